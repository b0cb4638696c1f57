"""Terms: "within the N months up to X" and "open at X"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.protocol.domain.windows import is_open_at, months_before, within_months

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(("end", "months", "start"), [
    (local(2025, 3, 31, 10, 0), 1, local(2025, 2, 28, 10, 0)),  # no 31 February: the month's last day
    (local(2024, 3, 31, 10, 0), 1, local(2024, 2, 29, 10, 0)),  # leap year
    (local(2025, 2, 28, 9, 0), 12, local(2024, 2, 28, 9, 0)),
    (local(2025, 1, 15, 8, 0), 48, local(2021, 1, 15, 8, 0)),
])
def test_start_is_the_local_date_time_less_n_calendar_months(end, months, start):
    assert months_before(end, months) == start


def test_a_local_time_that_does_not_exist_moves_forward_by_the_clock_change():
    # 30 March 2025 01:30 does not exist in London (clocks went 01:00 GMT -> 02:00 BST).
    start = months_before(local(2025, 4, 30, 1, 30), 1)
    assert start == dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # = 02:30 BST


def test_a_local_time_that_occurs_twice_takes_the_earlier_instant():
    # 26 October 2025 01:30 happens in BST and again in GMT.
    start = months_before(local(2025, 11, 26, 1, 30), 1)
    assert start == dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_the_end_is_inside_and_the_start_is_not():
    end = local(2025, 1, 15, 12, 0)
    assert within_months(end, end, 12)
    assert not within_months(local(2024, 1, 15, 12, 0), end, 12)
    assert within_months(local(2024, 1, 15, 12, 1), end, 12)
    assert not within_months(end + dt.timedelta(seconds=1), end, 12)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(LONDON)),
       st.integers(min_value=1, max_value=60))
def test_the_window_start_is_always_before_its_end_and_within_n_plus_one_months(end, months):
    start = months_before(end, months)
    assert start < end
    assert (end - start) <= dt.timedelta(days=31 * months + 1)


@pytest.mark.parametrize(("occurred", "ended", "at", "open_"), [
    (local(2024, 1, 1), None, local(2024, 1, 1), True),
    (local(2024, 1, 1), local(2024, 6, 1), local(2024, 6, 1), True),
    (local(2024, 1, 1), local(2024, 6, 1), local(2024, 6, 1, 0, 1), False),
    (local(2024, 1, 2), None, local(2024, 1, 1), False),
    (local(2024, 6, 1), local(2024, 1, 1), local(2024, 3, 1), False),  # ended before it began: never open
])
def test_open_at(occurred, ended, at, open_):
    assert is_open_at(occurred, ended, at) is open_
