"""The front-door queue's order and clock (protocol-default.md §6).

Order: level ``high`` first, then ``medium``, then ``standard``; then the youngest child
involved (an unknown age counts as 0); then the oldest ``recorded_at`` first. The clock
compares a deadline with "now", which the caller supplies (the page's request time), so
the rules stay pure and testable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_LEVEL_ORDER: tuple[str, ...] = ("high", "medium", "standard")


def level_rank(level: str, order: Sequence[str] = DEFAULT_LEVEL_ORDER) -> int:
    """0 for the most urgent level; an unknown level sorts after every known one."""
    try:
        return order.index(level)
    except ValueError:
        return len(order)


def youngest_age(ages: Iterable[int | None]) -> int:
    """The youngest child's age, an unknown age counting as 0 (so it sorts first, as the youngest)."""
    known = [0 if a is None else max(a, 0) for a in ages]
    return min(known) if known else 0


@dataclass(frozen=True, slots=True)
class QueueItem:
    key: str
    level: str
    child_ages: tuple[int | None, ...]
    recorded_at: dt.datetime


def queue_key(item: QueueItem, order: Sequence[str] = DEFAULT_LEVEL_ORDER) -> tuple[int, int, dt.datetime, str]:
    """The sort key of §6; the item's own key breaks exact ties so the order is stable."""
    return (level_rank(item.level, order), youngest_age(item.child_ages), item.recorded_at, item.key)


def order_queue(items: Iterable[QueueItem], order: Sequence[str] = DEFAULT_LEVEL_ORDER) -> list[QueueItem]:
    return sorted(items, key=lambda i: queue_key(i, order))


class ClockState(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Clock:
    """Where a deadline stands: its state and the whole minutes left (negative when overdue)."""

    due_by: dt.datetime
    state: ClockState
    minutes: int

    @property
    def hours_and_minutes(self) -> tuple[int, int]:
        """Absolute hours and minutes, for "2 hours 5 minutes left" or "… overdue"."""
        return divmod(abs(self.minutes), 60)


def clock(due_by: dt.datetime, now: dt.datetime, *, done: bool = False,
          soon: dt.timedelta = dt.timedelta(hours=1)) -> Clock:
    """A deadline's clock at ``now``; overdue from the instant after ``due_by``."""
    left = due_by - now
    minutes = int(left.total_seconds() // 60)
    if done:
        state = ClockState.DONE
    elif left < dt.timedelta(0):
        state = ClockState.OVERDUE
    elif left <= soon:
        state = ClockState.DUE_SOON
    else:
        state = ClockState.ON_TIME
    return Clock(due_by, state, minutes)


@dataclass(frozen=True, slots=True)
class AgeBand:
    code: str
    youngest: int
    oldest: int


#: Filter bands on the youngest child involved (an unknown age counts as 0, so it falls "under 5").
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("under-1", 0, 0),
    AgeBand("under-5", 0, 4),
    AgeBand("5-11", 5, 11),
    AgeBand("12-17", 12, 17),
)


def age_band(code: str) -> AgeBand | None:
    return next((b for b in AGE_BANDS if b.code == code), None)


def postcode_district(postcode: str | None) -> str | None:
    """The outward code of a UK postcode ("CB4 1AA" → "CB4"), for the area filter; None when not a postcode."""
    if not postcode:
        return None
    compact = "".join(postcode.split()).upper()
    if len(compact) < 5 or not compact[-3].isdigit() or not compact[-2:].isalpha():
        return None
    return compact[:-3]
