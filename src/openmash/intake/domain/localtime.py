"""Local (Europe/London) time helpers shared by every rule that speaks of 'the local date'."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local_date(instant: dt.datetime) -> dt.date:
    """The Europe/London calendar date of an aware instant."""
    return instant.astimezone(LONDON).date()


def to_london(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(LONDON)
