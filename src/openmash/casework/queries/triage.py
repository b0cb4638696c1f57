"""The front-door triage queue: filtered, ordered by §6, paged, with its clock and backlog.

The queue lists no one's name (only references, levels, ages and areas), so reading it is not
a read of anyone's record; names appear on the incident page, through the access layer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, QuerySet

from openmash.casework.domain.triage import Clock, age_band, clock, postcode_district
from openmash.casework.models import Allocation, ThresholdDecision
from openmash.intake.models import Record
from openmash.protocol.models import IncidentChild, Notification, TriageItem

PER_PAGE = 25
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


@dataclass(frozen=True)
class QueueFilters:
    level: str = ""
    area: str = ""
    age: str = ""
    mine: bool = False

    @property
    def district(self) -> str:
        value = "".join(self.area.split()).upper()
        return value if _DISTRICT.match(value) else ""


@dataclass(frozen=True)
class QueueRow:
    record_pk: int
    agency: str
    record_id: str
    level: str
    level_criteria: tuple[str, ...]
    youngest_age: int
    children: int
    recorded_at: dt.datetime
    occurred_at: dt.datetime
    area: str
    clock: Clock | None
    assignee: str
    assignee_username: str


@dataclass(frozen=True)
class QueueSummary:
    backlog: int
    oldest_recorded_at: dt.datetime | None
    oldest: QueueRow | None = None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    number: int
    pages: int
    total: int
    summary: QueueSummary
    filters: QueueFilters


def open_items() -> QuerySet[TriageItem]:
    """Every queued incident not yet decided (a decision is casework's, so it is checked here).

    NOT EXISTS rather than a left join: PostgreSQL then walks the queue index in order and stops at the page.
    """
    decided = ThresholdDecision.objects.filter(record_id=OuterRef("record_id"))
    return TriageItem.objects.filter(~Exists(decided), status=TriageItem.Status.QUEUED, record__withdrawn=False)


def _filtered(filters: QueueFilters, user_pk: int | None) -> QuerySet[TriageItem]:
    items = open_items()
    if filters.level:
        items = items.filter(level=filters.level)
    band = age_band(filters.age)
    if band is not None:
        items = items.filter(youngest_age__gte=band.youngest, youngest_age__lte=band.oldest)
    if filters.district:
        # The incident's own postcode, in any spacing: the outward code then the inward code.
        items = items.filter(record__current__data__address__postcode__iregex=rf"^\s*{filters.district}\s*[0-9][A-Z]{{2}}\s*$")
    if filters.mine and user_pk is not None:
        items = items.filter(record__allocation__assignee_id=user_pk)
    return items


def _rows(items: list[TriageItem], now: dt.datetime) -> list[QueueRow]:
    record_pks = [i.record_id for i in items]
    due: dict[int, dt.datetime] = {}
    for record_pk, due_by in (Notification.objects.filter(record_id__in=record_pks, recipient_agency="csc",
                                                          family=Notification.Family.INCIDENT,
                                                          withdrawn_at__isnull=True)
                              .values_list("record_id", "due_by")):
        due[record_pk] = min(due_by, due.get(record_pk, due_by))
    children = dict(IncidentChild.objects.filter(assessment_id__in=[i.assessment_id for i in items])
                    .values_list("assessment_id").annotate(n=Count("mention_id", distinct=True)).values_list(
                        "assessment_id", "n"))
    postcodes = dict(Record.objects.filter(pk__in=record_pks).values_list("pk", "current__data__address__postcode"))
    allocations = {a.record_id: a for a in Allocation.objects.filter(record_id__in=record_pks).select_related("assignee")}
    rows = []
    for item in items:
        allocation = allocations.get(item.record_id)
        deadline = due.get(item.record_id)
        rows.append(QueueRow(
            record_pk=item.record_id, agency=item.record.agency, record_id=item.record.record_id, level=item.level,
            level_criteria=tuple(item.assessment.level_criteria), youngest_age=item.youngest_age,
            children=children.get(item.assessment_id, 0), recorded_at=item.recorded_at,
            occurred_at=item.assessment.occurred_at, area=_district_of(postcodes.get(item.record_id)),
            clock=clock(deadline, now) if deadline else None,
            assignee=(allocation.assignee.get_full_name() or allocation.assignee.username) if allocation else "",
            assignee_username=allocation.assignee.username if allocation else ""))
    return rows


def _district_of(postcode: object) -> str:
    return (postcode_district(postcode) if isinstance(postcode, str) else None) or ""


def _page_items(items: QuerySet[TriageItem]) -> QuerySet[TriageItem]:
    return (items.select_related("record", "assessment")
            .order_by("level_rank", "youngest_age", "recorded_at", "pk"))


def _summary_and_oldest(now: dt.datetime) -> tuple[int, dt.datetime | None, TriageItem | None]:
    """Backlog size, the oldest unassessed time and that incident (its row is read with the page's rows)."""
    items = open_items()
    found = items.aggregate(backlog=Count("pk"), oldest=Min("recorded_at"))
    backlog: int = found["backlog"]
    oldest_at: dt.datetime | None = found["oldest"]
    if not backlog or oldest_at is None:
        return backlog, None, None
    return backlog, oldest_at, _page_items(items.filter(recorded_at=oldest_at)).first()


def queue_summary(now: dt.datetime) -> QueueSummary:
    """Backlog size and the oldest unassessed incident: always on screen, whatever the filters."""
    backlog, oldest_at, oldest = _summary_and_oldest(now)
    return QueueSummary(backlog, oldest_at, _rows([oldest], now)[0] if oldest else None)


def triage_queue(filters: QueueFilters, *, page: int, now: dt.datetime, user_pk: int | None = None,
                 per_page: int = PER_PAGE) -> QueuePage:
    backlog, oldest_at, oldest = _summary_and_oldest(now)
    items = _filtered(filters, user_pk)
    total = backlog if filters == QueueFilters() else items.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    chosen = list(_page_items(items)[start:start + per_page])
    # The oldest incident's row is built with the page's (one read of deadlines, children, areas, assignees).
    rows = _rows(chosen + ([oldest] if oldest else []), now)
    summary = QueueSummary(backlog, oldest_at, rows.pop() if oldest else None)
    return QueuePage(rows, number, pages, total, summary, filters)
