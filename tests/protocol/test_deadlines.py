"""Terms: working days and deadlines, from recorded_at, on England and Wales working days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from openmash.protocol.domain.deadlines import WorkingCalendar, due_by
from openmash.protocol.domain.policy import BankHolidays, load_policy

LONDON = ZoneInfo("Europe/London")
POLICY = load_policy()
CAL = WorkingCalendar(POLICY.bank_holidays)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(("recorded", "kind", "due"), [
    # Friday evening: Monday.
    ("2025-05-02T20:15", "next_working_day", "2025-05-06T17:00"),  # Monday 5 May is a bank holiday
    ("2025-05-02T20:15", "school", "2025-05-06T08:30"),
    ("2025-05-09T18:00", "next_working_day", "2025-05-12T17:00"),
    # The evening before Christmas, and the bank holidays themselves.
    ("2024-12-24T16:58", "next_working_day", "2024-12-27T17:00"),
    ("2024-12-25T10:00", "school", "2024-12-27T08:30"),
    ("2024-12-31T17:29", "next_working_day", "2025-01-02T17:00"),
    # Easter: Good Friday and Easter Monday.
    ("2025-04-17T17:59", "school", "2025-04-22T08:30"),
    # Small hours of a working day: still the next working day.
    ("2025-04-07T04:07", "next_working_day", "2025-04-08T17:00"),
    ("2025-04-07T04:07", "school", "2025-04-08T08:30"),
    # Elapsed hours, whatever the day.
    ("2024-12-24T23:30", "immediate", "2024-12-25T00:30"),
    ("2024-12-24T16:58", "same_day", "2024-12-25T16:58"),
])
def test_due_by(recorded, kind, due):
    assert due_by(kind, at(recorded), POLICY.deadlines, CAL) == at(due)


def test_same_day_is_twenty_four_elapsed_hours_across_a_clock_change():
    recorded = at("2025-03-29T12:00")  # the clocks go forward that night
    assert due_by("same_day", recorded, POLICY.deadlines, CAL) == dt.datetime(2025, 3, 30, 12, 0, tzinfo=dt.UTC)


def test_one_off_bank_holidays_are_not_working_days():
    assert not CAL.is_working_day(dt.date(2023, 5, 8))  # the Coronation
    assert not CAL.is_working_day(dt.date(2022, 9, 19))  # the State Funeral


def test_a_date_beyond_any_list_follows_the_package_rules():
    assert not CAL.is_working_day(dt.date(2040, 12, 25))
    assert CAL.is_working_day(dt.date(2040, 12, 27))


def test_an_area_may_add_and_remove_non_working_days():
    cal = WorkingCalendar(BankHolidays(add=frozenset({dt.date(2025, 6, 2)}), remove=frozenset({dt.date(2025, 5, 5)})))
    assert cal.next_working_day(dt.date(2025, 5, 2)) == dt.date(2025, 5, 5)
    assert cal.next_working_day(dt.date(2025, 5, 30)) == dt.date(2025, 6, 3)
