"""Time windows of the protocol (Terms, "History and time windows").

"Within the N months up to X": after the start instant and not after X. The start
is X's local date-time less N calendar months, clamped to the month's last day; a
local time that does not exist moves forward by the length of the clock change and
one that occurs twice takes its earlier instant.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from openmash.intake.domain.localtime import LONDON


def months_before(instant: dt.datetime, months: int, zone: ZoneInfo = LONDON) -> dt.datetime:
    """The start instant of the window of ``months`` calendar months up to ``instant``."""
    local = instant.astimezone(zone)
    total = local.year * 12 + (local.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    # fold=0: see resolve_local for why this applies the protocol's gap and repeat rules.
    wall = dt.datetime(year, month, day, local.hour, local.minute, local.second, local.microsecond, tzinfo=zone, fold=0)
    return wall.astimezone(dt.UTC)


def resolve_local(wall: dt.datetime, zone: ZoneInfo = LONDON) -> dt.datetime:
    """A naive local wall time as an aware instant, by the protocol's gap and fold rules.

    zoneinfo with fold=0 already does both: inside a spring-forward gap it uses the
    offset before the change (so 01:30 becomes 02:30 BST, moved forward by the change),
    and on an autumn repeat it picks the first, earlier, occurrence.
    """
    # Returned in UTC: aware datetimes sharing a zone compare by wall time, which the repeated hour breaks.
    return wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def within_months(moment: dt.datetime, up_to: dt.datetime, months: int, zone: ZoneInfo = LONDON) -> bool:
    """``moment`` lies within the ``months`` months up to ``up_to`` (the end itself is inside)."""
    return months_before(up_to, months, zone) < moment <= up_to


def is_open_at(occurred_at: dt.datetime, ended_at: dt.datetime | None, at: dt.datetime) -> bool:
    """A span is open at X when it began by X and has not ended before X; a reversed span never is."""
    if ended_at is not None and ended_at < occurred_at:
        return False
    return occurred_at <= at and (ended_at is None or ended_at >= at)
