"""The front-door queue's order (protocol-default.md §6) and deadline clock."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from openmash.casework.domain.triage import (
    ClockState,
    QueueItem,
    age_band,
    clock,
    level_rank,
    order_queue,
    postcode_district,
    queue_key,
    youngest_age,
)

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def item(key, level, ages, minutes=0):
    return QueueItem(key, level, tuple(ages), T0 + dt.timedelta(minutes=minutes))


def test_high_comes_before_medium_before_standard_whatever_the_age_or_time():
    queue = [item("s", "standard", [0], 0), item("m", "medium", [0], 0), item("h", "high", [16], 500)]
    assert [i.key for i in order_queue(queue)] == ["h", "m", "s"]


def test_within_a_level_the_youngest_child_comes_first():
    queue = [item("older", "medium", [9, 12]), item("baby", "medium", [1, 15]), item("toddler", "medium", [3])]
    assert [i.key for i in order_queue(queue)] == ["baby", "toddler", "older"]


def test_an_unknown_age_counts_as_zero():
    assert youngest_age([None, 7]) == 0
    queue = [item("one", "high", [1]), item("unknown", "high", [None])]
    assert [i.key for i in order_queue(queue)] == ["unknown", "one"]


def test_then_the_oldest_recorded_first():
    queue = [item("new", "standard", [4], 60), item("old", "standard", [4], 5)]
    assert [i.key for i in order_queue(queue)] == ["old", "new"]


def test_an_unknown_level_sorts_after_every_known_level():
    assert level_rank("severe") == 3 > level_rank("standard")


@given(st.lists(st.tuples(st.sampled_from(["high", "medium", "standard"]),
                          st.lists(st.one_of(st.none(), st.integers(0, 17)), min_size=1, max_size=4),
                          st.integers(0, 10_000)), max_size=30))
def test_the_order_is_by_level_then_youngest_then_recorded(rows):
    queue = order_queue(item(str(n), level, ages, minutes) for n, (level, ages, minutes) in enumerate(rows))
    keys = [queue_key(i)[:3] for i in queue]
    assert keys == sorted(keys)


def test_a_deadline_passed_is_overdue_and_counts_minutes_past():
    c = clock(T0, T0 + dt.timedelta(hours=2, minutes=5))
    assert c.state is ClockState.OVERDUE
    assert c.hours_and_minutes == (2, 5)


def test_a_deadline_within_the_hour_is_due_soon_and_later_on_time():
    assert clock(T0 + dt.timedelta(minutes=30), T0).state is ClockState.DUE_SOON
    assert clock(T0 + dt.timedelta(hours=5), T0).state is ClockState.ON_TIME
    assert clock(T0, T0).state is ClockState.DUE_SOON  # the instant itself is still in time


def test_an_acknowledged_item_is_done_whatever_the_time():
    assert clock(T0, T0 + dt.timedelta(days=3), done=True).state is ClockState.DONE


def test_age_bands_and_postcode_districts():
    assert age_band("under-5").oldest == 4
    assert age_band("nonsense") is None
    assert postcode_district("cb4 1aa") == "CB4"
    assert postcode_district("SW1A1AA") == "SW1A"
    assert postcode_district("nowhere") is None
    assert postcode_district(None) is None
