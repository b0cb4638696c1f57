"""The front-door triage queue: filtered, ordered by §6, paged, with its clock and backlog.

The queue lists no one's name (only references, levels, ages and areas), so reading it is not
a read of anyone's record; names appear on the incident page, through the access layer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Window

from openmash.casework.domain.triage import Clock, age_band, clock, postcode_district
from openmash.casework.models import ThresholdDecision
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
    """The queue's rows for items read by ``_with_row_facts`` (their deadline, children, area and assignee came
    in the same statement)."""
    rows = []
    for item in items:
        allocation = getattr(item.record, "allocation", None)
        deadline = item.due  # type: ignore[attr-defined]
        rows.append(QueueRow(
            record_pk=item.record_id, agency=item.record.agency, record_id=item.record.record_id, level=item.level,
            level_criteria=tuple(item.assessment.level_criteria), youngest_age=item.youngest_age,
            children=item.children or 0, recorded_at=item.recorded_at,  # type: ignore[attr-defined]
            occurred_at=item.assessment.occurred_at, area=_district_of(item.postcode),  # type: ignore[attr-defined]
            clock=clock(deadline, now) if deadline else None,
            assignee=(allocation.assignee.get_full_name() or allocation.assignee.username) if allocation else "",
            assignee_username=allocation.assignee.username if allocation else ""))
    return rows


def _with_row_facts(item_pks: list[int], oldest_at: dt.datetime | None = None
                    ) -> tuple[list[TriageItem], TriageItem | None]:
    """The items with everything a row shows, in one statement: the earliest csc deadline of the incident's
    notification, how many children it involves, the incident's postcode and who is working it. With
    ``oldest_at`` (the oldest unassessed time), the oldest incident comes in the same statement: among those
    recorded then, the first in the queue's order."""
    due = (Notification.objects.filter(record_id=OuterRef("record_id"), recipient_agency="csc",
                                       family=Notification.Family.INCIDENT, withdrawn_at__isnull=True)
           .order_by("due_by").values("due_by")[:1])
    children = (IncidentChild.objects.filter(assessment_id=OuterRef("assessment_id")).order_by()
                .values("assessment_id").annotate(n=Count("mention_id", distinct=True)).values("n"))
    wanted = Q(pk__in=item_pks)
    if oldest_at is not None:
        wanted |= Q(pk=Subquery(open_items().filter(recorded_at=oldest_at).order_by(*QUEUE_ORDER).values("pk")[:1]))
    items = list(TriageItem.objects.filter(wanted)
                 .select_related("record__allocation__assignee", "assessment")
                 .annotate(due=Subquery(due), children=Subquery(children),
                           postcode=F("record__current__data__address__postcode")))
    by_pk = {item.pk: item for item in items}
    # The oldest is first in the queue's order among those recorded at the oldest time: any item on the page
    # recorded then that came before it would itself be the oldest.
    at_oldest = [item for item in items if item.recorded_at == oldest_at]
    oldest = min(at_oldest, key=lambda i: (i.level_rank, i.youngest_age, i.recorded_at, i.pk), default=None)
    return [by_pk[pk] for pk in item_pks if pk in by_pk], oldest


def _district_of(postcode: object) -> str:
    return (postcode_district(postcode) if isinstance(postcode, str) else None) or ""


#: The queue's order (§6): highest risk first, then the youngest child, then the longest waiting.
QUEUE_ORDER = ("level_rank", "youngest_age", "recorded_at", "pk")


def _backlog() -> tuple[int, dt.datetime | None]:
    """Backlog size and the oldest unassessed time: one pass over the queue, nothing sorted."""
    found = open_items().aggregate(backlog=Count("pk"), oldest=Min("recorded_at"))
    return found["backlog"], found["oldest"]


def queue_summary(now: dt.datetime) -> QueueSummary:
    """Backlog size and the oldest unassessed incident: always on screen, whatever the filters."""
    backlog, oldest_at = _backlog()
    _items, oldest = _with_row_facts([], oldest_at) if oldest_at else ([], None)
    return QueueSummary(backlog, oldest_at, _rows([oldest], now)[0] if oldest else None)


def triage_queue(filters: QueueFilters, *, page: int, now: dt.datetime, user_pk: int | None = None,
                 per_page: int = PER_PAGE) -> QueuePage:
    backlog, oldest_at = _backlog()
    # The page's ids first, sorted narrow (the queue's keys, not its joined rows: on the first pages PostgreSQL
    # walks the queue's index and stops), then the rows of those ids and of the oldest incident alone.
    items = _filtered(filters, user_pk).order_by(*QUEUE_ORDER)
    number = max(1, page)
    if filters == QueueFilters():
        total = backlog
        number = min(number, max(1, -(-total // per_page)))
        chosen = [pk for pk, _n in _page_ids(items, number, per_page, count=False)]
    else:
        counted = _page_ids(items, number, per_page, count=True)
        if not counted and number > 1:  # past the last page: show the last one
            number = max(1, -(-items.count() // per_page))
            counted = _page_ids(items, number, per_page, count=True)
        chosen, total = [pk for pk, _n in counted], counted[0][1] if counted else 0
    pages = max(1, -(-total // per_page))
    found, oldest = _with_row_facts(chosen, oldest_at)
    rows = _rows(found + ([oldest] if oldest else []), now)
    summary = QueueSummary(backlog, oldest_at, rows.pop() if oldest else None)
    return QueuePage(rows, number, pages, total, summary, filters)


def _page_ids(items: QuerySet[TriageItem], number: int, per_page: int, *, count: bool) -> list[tuple[int, int]]:
    """(pk, total matching when ``count``, else 0) of the items on page ``number``. Without the count, PostgreSQL
    walks the queue's index in order and stops at the page."""
    start = (number - 1) * per_page
    if not count:
        return [(pk, 0) for pk in items.values_list("pk", flat=True)[start:start + per_page]]
    return list(items.annotate(total=Window(Count("pk"))).values_list("pk", "total")[start:start + per_page])
