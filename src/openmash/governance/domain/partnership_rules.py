"""Partnership figures for analysts: the rules that keep counts from identifying anyone.

A count of 1 to 4 is shown as "fewer than 5" (0 stays 0: it identifies no one). Where a row shows its
total, one suppressed cell could be worked out from the total and the others, so the next smallest
cell is suppressed too. A rate or a median from fewer than 5 cases is not shown at all.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SMALLEST_SHOWN = 5
LONDON = ZoneInfo("Europe/London")
RISK_LEVELS = ("high", "medium", "standard")
DECISION_OUTCOMES = ("referral", "early_help", "nfa", "advice")


@dataclass(frozen=True, slots=True)
class Cell:
    """A count as it may be shown: ``value`` None when suppressed."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


def is_small(count: int) -> bool:
    return 0 < count < SMALLEST_SHOWN


def cell(count: int) -> Cell:
    return Cell(None if is_small(count) else count)


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    total: Cell


def table_row(label: str, counts: Sequence[int]) -> Row:
    """A row with its total; a lone suppressed cell takes the next smallest with it (no subtraction)."""
    cells = [cell(n) for n in counts]
    total = cell(sum(counts))
    suppressed = [i for i, c in enumerate(cells) if c.suppressed]
    if len(suppressed) == 1 and not total.suppressed:
        others = [i for i, n in enumerate(counts) if i not in suppressed and n > 0]
        if others:
            cells[min(others, key=lambda i: counts[i])] = Cell(None)
    return Row(label, tuple(cells), total)


def rate(part: int, whole: int) -> int | None:
    """A whole-number percentage, or None when ``whole`` is too small to show."""
    if whole < SMALLEST_SHOWN:
        return None
    return round(100 * part / whole)


def median_hours(durations: Iterable[dt.timedelta]) -> float | None:
    """The median in hours (one decimal), or None from fewer than 5 cases."""
    hours = [d.total_seconds() / 3600 for d in durations]
    if len(hours) < SMALLEST_SHOWN:
        return None
    return round(statistics.median(hours), 1)


def month_of(instant: dt.datetime) -> str:
    """The local (Europe/London) calendar month, ``YYYY-MM``."""
    return instant.astimezone(LONDON).strftime("%Y-%m")


def by_month_and_level(incidents: Iterable[tuple[dt.datetime, str]], *, months: int = 12) -> list[Row]:
    """Incidents ``(occurred_at, level)`` counted per local month and risk level, the latest ``months``."""
    counts: dict[str, dict[str, int]] = {}
    for occurred_at, level in incidents:
        counts.setdefault(month_of(occurred_at), dict.fromkeys(RISK_LEVELS, 0))
        if level in RISK_LEVELS:
            counts[month_of(occurred_at)][level] += 1
    latest = sorted(counts)[-months:]
    return [table_row(month, [counts[month][level] for level in RISK_LEVELS]) for month in reversed(latest)]


@dataclass(frozen=True, slots=True)
class AgencyNotifications:
    agency: str
    sent: Cell
    acknowledged_percent: int | None
    overdue: Cell


def agency_notifications(agency: str, *, sent: int, acknowledged: int, overdue: int) -> AgencyNotifications:
    return AgencyNotifications(agency, cell(sent), rate(acknowledged, sent), cell(overdue))


def mix(counts: Mapping[str, int], keys: Sequence[str]) -> list[tuple[str, Cell]]:
    """Counts in the order of ``keys`` (missing ones are 0), each suppressed as a count."""
    return [(key, cell(counts.get(key, 0))) for key in keys]
