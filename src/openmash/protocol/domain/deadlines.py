"""Working days and deadlines (Terms, "Working days, deadlines and delivery").

Deadlines count from the ``recorded_at`` of the record version that causes the
notification, never from the wall clock, so the same feeds always give the same
``due_by``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays as holidays_package

from openmash.protocol.domain.policy import BankHolidays, Deadlines
from openmash.protocol.domain.windows import resolve_local


class WorkingCalendar:
    """Monday to Friday, less the bank holidays of the policy (the package's rules for any year)."""

    def __init__(self, setting: BankHolidays, *, warm: tuple[int, ...] = ()) -> None:
        self.setting = setting
        for year in warm:  # load the package's years up front, not inside the first incident's transaction
            _package_holidays(setting.country, setting.subdivision, year)

    def is_bank_holiday(self, day: dt.date) -> bool:
        if day in self.setting.remove:
            return False
        if day in self.setting.add:
            return True
        return day in _package_holidays(self.setting.country, self.setting.subdivision, day.year)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and not self.is_bank_holiday(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day *after* ``day``, whatever kind of day ``day`` is."""
        candidate = day + dt.timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += dt.timedelta(days=1)
        return candidate


@lru_cache(maxsize=256)
def _package_holidays(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays_package.country_holidays(country, subdiv=subdivision, years=year).keys())


def due_by(kind: str, recorded_at: dt.datetime, deadlines: Deadlines, calendar: WorkingCalendar) -> dt.datetime:
    """The deadline of the given kind for a version recorded at ``recorded_at``."""
    zone = deadlines.zone
    # Elapsed hours, even across a bank holiday or a clock change: add in UTC, never to a local wall time.
    instant = recorded_at.astimezone(dt.UTC)
    if kind == "immediate":
        return instant + dt.timedelta(hours=deadlines.immediate_hours)
    if kind == "same_day":
        return instant + dt.timedelta(hours=deadlines.same_day_hours)
    local_day = recorded_at.astimezone(zone).date()
    if kind == "next_working_day":
        day = calendar.next_working_day(local_day)
        return resolve_local(dt.datetime.combine(day, deadlines.next_working_day_time), zone)
    if kind == "school":
        day = calendar.next_working_day(local_day)
        return resolve_local(dt.datetime.combine(day, deadlines.school_time), zone)
    if kind == "routine":
        day = local_day
        for _ in range(deadlines.routine_working_days):
            day = calendar.next_working_day(day)
        return resolve_local(dt.datetime.combine(day, deadlines.next_working_day_time), zone)
    raise ValueError(f"unknown deadline kind {kind!r}")


def reads_before_school_today(
    recorded_at: dt.datetime, before: dt.time, deadlines: Deadlines, calendar: WorkingCalendar
) -> bool:
    """Option ``school_same_day_before``: made before that local time on a working day."""
    local = recorded_at.astimezone(deadlines.zone)
    return calendar.is_working_day(local.date()) and local.time() < before
