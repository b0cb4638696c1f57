"""The front-door triage queue: filtered, ordered by §6, paged, with its clock and backlog.

The queue lists no one's name (only references, levels, ages and areas), so reading it is not
a read of anyone's record; names appear on the incident page, through the access layer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Value, Window

from openmash.casework.domain.triage import Clock, age_band, clock, postcode_district
from openmash.casework.models import ThresholdDecision
from openmash.platform.compiled import Compiled, Ints, Static
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
    return _matching(*_filter_values(filters, user_pk))


def _filter_values(filters: QueueFilters, user_pk: int | None
                   ) -> tuple[tuple[int, int] | None, list[str], list[str], list[int]]:
    """``_matching``'s arguments for these filters: the age band's bounds (or None), then the level, district and
    assignee each as a list, empty when that filter is off."""
    band = age_band(filters.age)
    return ((band.youngest, band.oldest) if band else None, [filters.level] if filters.level else [],
            [filters.district] if filters.district else [],
            [user_pk] if filters.mine and user_pk is not None else [])


def _matching(ages: tuple[int, int] | None, levels: list[str], districts: list[str], assignees: list[int]
              ) -> QuerySet[TriageItem]:
    """The open items a filter keeps: the age band's bounds (or None), and lists holding the other filters'
    values, empty when off."""
    items = open_items()
    if levels:
        items = items.filter(level=levels[0])
    if ages is not None:
        items = items.filter(youngest_age__gte=ages[0], youngest_age__lte=ages[1])
    if districts:
        # The incident's own postcode, in any spacing: the outward code then the inward code.
        items = items.filter(record__current__data__address__postcode__iregex=rf"^\s*{districts[0]}\s*[0-9][A-Z]{{2}}\s*$")
    if assignees:
        items = items.filter(record__allocation__assignee_id=assignees[0])
    return items


#: The queue's order (§6): highest risk first, then the youngest child, then the longest waiting.
QUEUE_ORDER = ("level_rank", "youngest_age", "recorded_at", "pk")

# The page's statements, compiled once per connection (``platform.compiled``): building them cost more than
# running them. Their SQL is what the querysets below make; ``Static`` is the page's slice.
#: The oldest unassessed incident (the first in the queue's order among those recorded earliest), with the
#: backlog size counted over the whole queue in the same statement.
_OLDEST = Compiled(lambda: (open_items().annotate(backlog=Window(Count("pk")))
                            .order_by("recorded_at", *QUEUE_ORDER).values_list("pk", "recorded_at", "backlog")[:1]))
#: The ids on a page ((start, size), then the age band: ``Static``, a statement each); with any filter on, each
#: with the number matching.
_PAGE_IDS = Compiled(lambda window, ages, levels, districts, assignees: (
    _matching(ages, levels, districts, assignees).order_by(*QUEUE_ORDER)
    .annotate(total=Window(Count("pk")) if ages or levels or districts or assignees else Value(0))
    .values_list("pk", "total")[window[0]:window[0] + window[1]]), Static, Static, list, list, Ints)


def _row_facts(item_pks: list[int]) -> QuerySet[Any, Any]:
    """Everything a row shows, in one statement: the earliest csc deadline of the incident's notification, how
    many children it involves, the incident's postcode and who is working it."""
    due = (Notification.objects.filter(record_id=OuterRef("record_id"), recipient_agency="csc",
                                       family=Notification.Family.INCIDENT, withdrawn_at__isnull=True)
           .order_by("due_by").values("due_by")[:1])
    children = (IncidentChild.objects.filter(assessment_id=OuterRef("assessment_id")).order_by()
                .values("assessment_id").annotate(n=Count("mention_id", distinct=True)).values("n"))
    return (TriageItem.objects.filter(pk__in=item_pks)
            .annotate(due=Subquery(due), children=Subquery(children),
                      postcode=F("record__current__data__address__postcode"))
            .values_list("pk", "record_id", "record__agency", "record__record_id", "level",
                         "assessment__level_criteria", "youngest_age", "children", "recorded_at",
                         "assessment__occurred_at", "postcode", "due", "record__allocation__assignee__first_name",
                         "record__allocation__assignee__last_name", "record__allocation__assignee__username"))


_ROW_FACTS = Compiled(_row_facts, Ints)


def _rows(item_pks: list[int], now: dt.datetime) -> dict[int, QueueRow]:
    """The queue's rows of these items, by item."""
    by_pk = {}
    for (pk, record_pk, agency, record_id, level, criteria, youngest, children, recorded_at, occurred_at, postcode,
         deadline, first_name, last_name, username) in _ROW_FACTS.rows(item_pks):
        full_name = f"{first_name} {last_name}".strip() if username is not None else ""
        by_pk[pk] = QueueRow(
            record_pk=record_pk, agency=agency, record_id=record_id, level=level, level_criteria=tuple(criteria),
            youngest_age=youngest, children=children or 0, recorded_at=recorded_at, occurred_at=occurred_at,
            area=_district_of(postcode), clock=clock(deadline, now) if deadline else None,
            assignee=(full_name or username) if username is not None else "", assignee_username=username or "")
    return by_pk


def _district_of(postcode: object) -> str:
    return (postcode_district(postcode) if isinstance(postcode, str) else None) or ""


def _backlog() -> tuple[int, dt.datetime | None, int | None]:
    """Backlog size, the oldest unassessed time and that incident's item: one statement."""
    found = _OLDEST.rows()
    return (found[0][2], found[0][1], found[0][0]) if found else (0, None, None)


def queue_summary(now: dt.datetime) -> QueueSummary:
    """Backlog size and the oldest unassessed incident: always on screen, whatever the filters."""
    backlog, oldest_at, oldest_pk = _backlog()
    rows = _rows([oldest_pk], now) if oldest_pk is not None else {}
    return QueueSummary(backlog, oldest_at, rows.get(oldest_pk))  # type: ignore[arg-type]


def triage_queue(filters: QueueFilters, *, page: int, now: dt.datetime, user_pk: int | None = None,
                 per_page: int = PER_PAGE) -> QueuePage:
    backlog, oldest_at, oldest_pk = _backlog()
    # The page's ids first, sorted narrow (the queue's keys, not its joined rows: on the first pages PostgreSQL
    # walks the queue's index and stops), then the rows of those ids and of the oldest incident together.
    number = max(1, page)
    if filters == QueueFilters():
        total = backlog
        number = min(number, max(1, -(-total // per_page)))
        chosen = [pk for pk, _n in _page_ids(filters, user_pk, number, per_page)]
    else:
        counted = _page_ids(filters, user_pk, number, per_page)
        if not counted and number > 1:  # past the last page: show the last one
            number = max(1, -(-_filtered(filters, user_pk).count() // per_page))
            counted = _page_ids(filters, user_pk, number, per_page)
        chosen, total = [pk for pk, _n in counted], counted[0][1] if counted else 0
    pages = max(1, -(-total // per_page))
    rows = _rows(chosen + ([oldest_pk] if oldest_pk is not None and oldest_pk not in chosen else []), now)
    oldest = rows.get(oldest_pk) if oldest_pk is not None else None
    return QueuePage([rows[pk] for pk in chosen if pk in rows], number, pages, total,
                     QueueSummary(backlog, oldest_at, oldest), filters)


def _page_ids(filters: QueueFilters, user_pk: int | None, number: int, per_page: int) -> list[tuple[int, int]]:
    """(pk, total matching when a filter is on, else 0) of the items on page ``number``. Without a filter,
    PostgreSQL walks the queue's index in order and stops at the page."""
    return _PAGE_IDS.rows(((number - 1) * per_page, per_page), *_filter_values(filters, user_pk))
