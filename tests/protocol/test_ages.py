"""Terms: ages on a record, several ages, 29 February, and who is a child."""

from __future__ import annotations

import datetime as dt

import pytest

from openmash.protocol.domain.ages import AgeEvidence, Ages, age_on, ages_on, is_child

from .builders import County

T = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def ev(dob: str | None = None, est: int | None = None, on: str = "2020-01-01", order: int = 0) -> AgeEvidence:
    return AgeEvidence(dt.date.fromisoformat(dob) if dob else None, est, dt.date.fromisoformat(on),
                       (T + dt.timedelta(days=order), T, 1))


@pytest.mark.parametrize(("dob", "day", "age"), [
    ("2020-05-10", "2025-05-09", 4), ("2020-05-10", "2025-05-10", 5),
    ("2007-05-10", "2025-05-09", 17), ("2007-05-10", "2025-05-10", 18),
    ("2008-02-29", "2025-02-28", 16), ("2008-02-29", "2025-03-01", 17), ("2008-02-29", "2024-02-29", 16),
])
def test_whole_years_on_the_day(dob, day, age):
    assert age_on(dt.date.fromisoformat(dob), dt.date.fromisoformat(day)) == age


def test_the_date_of_birth_given_most_often_wins():
    ages = ages_on([ev("2015-01-01"), ev("2015-01-01"), ev("2016-06-01")], dt.date(2025, 3, 1))
    assert ages.values == (10,)


def test_tied_dates_of_birth_each_give_an_age():
    ages = ages_on([ev("2020-05-01"), ev("2021-05-01")], dt.date(2025, 6, 1))
    assert ages.values == (4, 5)


def test_the_most_recent_estimated_age_counts_forward_in_whole_years():
    ages = ages_on([ev(est=30, on="2020-06-01", order=1), ev(est=3, on="2022-06-01", order=2)], dt.date(2025, 5, 31))
    assert ages.values == (5,)


def test_no_date_of_birth_and_no_estimate_is_an_unknown_age():
    assert not ages_on([ev()], dt.date(2025, 1, 1)).known


@pytest.mark.parametrize(("ages", "roles", "child"), [
    (Ages((17,), True), (), True),
    (Ages((18,), True), (), False),
    (Ages((17, 18), True), (), True),
    (Ages((), False), ("child_present",), True),
    (Ages((19,), True), ("child_in_household",), False),
    (Ages((), False), ("victim",), False),
    (Ages((), True, unborn=True), ("child_present",), False),
])
def test_who_is_a_child(ages, roles, child):
    assert is_child(ages, roles, child_under=18, child_roles=("child_present", "child_in_household")) is child


@pytest.mark.parametrize(("dob", "hv", "sn"), [
    ("2020-05-10", False, True),   # 5 on the day
    ("2020-05-11", True, False),   # 4 on the day
    ("2007-05-11", False, True),   # 17 on the day
    ("2007-05-10", False, False),  # 18 on the day: not a child
    (None, True, True),            # unknown age: both rows
])
def test_age_rows_at_their_boundaries_on_the_day(dob, hv, sn):
    c = County()
    v, p = c.person("v", "victim", dob="1990-01-01"), c.person("p", "perpetrator", dob="1990-01-01")
    kid = c.person("k", "child_present", dob=dob)
    incident = c.incident("2025-05-10T10:00", v, p, kid)
    c.live(incident)
    reasons = c.reasons(incident)
    assert (("health_visiting", None) in reasons) is hv
    assert (("school_nursing", None) in reasons) is sn
    assert (("csc", None) in reasons) is (hv or sn)


def test_an_age_from_another_record_of_the_same_person_counts():
    c = County()
    kid = c.person("k", "subject", dob="2021-01-01")
    c.backfill(c.record("hv_contact", "2022-01-01", kid, agency="health_visiting"))
    v, p = c.person("v", "victim"), c.person("p", "perpetrator")
    incident = c.incident("2025-01-10", v, p, c.person("k", "other_adult"))
    c.live(incident)
    assert ("health_visiting", None) in c.reasons(incident)
