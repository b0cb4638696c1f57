"""§1: DASH count, officer grading, level and criteria — table-driven at the boundaries."""

from __future__ import annotations

import pytest

from openmash.protocol.domain.policy import load_policy
from openmash.protocol.domain.risk import VictimEvidence, assess, dash_yes, officer_grade

from .builders import County, dash

RISK = load_policy().risk


@pytest.mark.parametrize(("yes", "officer", "level", "criteria"), [
    (13, "medium", "medium", ()),
    (14, "medium", "high", ("visible_high_risk",)),
    (13, None, "standard", ()),
    (14, "high", "high", ("officer_high", "visible_high_risk")),
    (0, "high", "high", ("officer_high",)),
    (27, "standard", "high", ("visible_high_risk",)),
])
def test_level_from_dash_count_and_officer_grading(yes, officer, level, criteria):
    details = {"dash": dash(yes)} | ({"officer_risk": officer} if officer else {})
    result = assess(details, [VictimEvidence("v", 1, False, False)], RISK)
    assert (result.level, result.criteria) == (level, criteria)


@pytest.mark.parametrize(("answers", "expected"), [
    ({"1": "YES", "2": "Yes", "3": "yes"}, 3),
    ({"1": "yes", "28": "yes", "0": "yes", "x": "yes"}, 1),
    ({"1": "yes ", "2": "y", "3": True}, 0),
])
def test_dash_yes_counts_yes_under_keys_1_to_27_whatever_the_case(answers, expected):
    assert dash_yes({"dash": {"completed": False, "answers": answers}}, RISK) == expected


@pytest.mark.parametrize(("value", "grade"), [
    (" HIGH ", "high"), ("Medium", "medium"), ("very high", None), (None, None), (3, None), ("", None)])
def test_officer_grading_is_trimmed_and_case_insensitive_else_not_given(value, grade):
    assert officer_grade({"officer_risk": value}, RISK) == grade


@pytest.mark.parametrize(("earlier", "level", "criteria"), [
    (1, "medium", []),  # 2 incidents in 12 months: no escalation
    (2, "high", ["potential_escalation"]),  # the third: potential escalation
])
def test_potential_escalation_at_the_third_incident_in_twelve_months(earlier, level, criteria):
    c = County()
    v, p = c.person("v", "victim", dob="1990-01-01"), c.person("p", "perpetrator", dob="1988-01-01")
    months = ["2024-03-10", "2024-06-10"][:earlier]
    c.backfill(*[c.incident(m, v, p) for m in months])
    incident = c.incident("2024-12-01T20:00", v, p, yes=8, officer="medium")
    c.live(incident)
    a = c.assessment(incident)
    assert (a.level, list(a.risk.criteria)) == (level, criteria)


def test_an_incident_just_outside_twelve_months_does_not_count():
    c = County()
    v, p = c.person("v", "victim"), c.person("p", "perpetrator")
    c.backfill(c.incident("2023-12-01T19:59", v, p), c.incident("2024-06-01", v, p))
    incident = c.incident("2024-12-01T20:00", v, p, officer="medium")
    c.live(incident)
    assert c.assessment(incident).level == "medium"


def test_several_victims_are_assessed_separately_and_the_incident_takes_the_highest():
    c = County()
    v1, v2, p = c.person("v1", "victim"), c.person("v2", "victim"), c.person("p", "perpetrator")
    c.backfill(c.incident("2024-05-01", v1, p), c.incident("2024-07-01", v1, p))
    incident = c.incident("2024-12-01", v1, v2, p, officer="medium")
    c.live(incident)
    a = c.assessment(incident)
    assert a.level == "high" and a.risk.criteria == ("potential_escalation",)
    assert {v.person_id: v.level for v in a.risk.victims} == {"v1": "high", "v2": "medium"}


def test_the_tool_and_its_version_are_kept_with_the_assessment():
    result = assess({"dash": dash(3)}, [], RISK)
    assert (result.tool, result.tool_version, result.level) == ("police_dash", "2009", "standard")


@pytest.mark.parametrize(("months_before", "repeat"), [(11, True), (13, False)])
def test_repeat_marac_when_a_referral_named_the_victim_within_twelve_months(months_before, repeat):
    c = County()
    v, p = c.person("v", "victim"), c.person("p", "perpetrator")
    referral_month = 12 - months_before + 1  # incident on 2025-01-15; the referral that many months earlier
    year = 2024 if referral_month > 0 else 2023
    month = referral_month if referral_month > 0 else referral_month + 12
    c.backfill(c.record("marac_referral", f"{year}-{month:02d}-15", v, p, agency="marac",
                        details={"criteria": ["visible_high_risk"]}))
    incident = c.incident("2025-01-15T10:00", v, p, officer="high")
    c.live(incident)
    marac = c.notification(incident, "marac")
    assert marac is not None
    assert ("MARAC_REPEAT" in marac["reasons"]) is repeat


@pytest.mark.parametrize(("months_before", "repeat"), [(11, True), (13, False)])
def test_repeat_marac_when_an_earlier_live_incident_caused_a_marac_referral(months_before, repeat):
    c = County()
    v, p = c.person("v", "victim"), c.person("p", "perpetrator")
    first = c.incident("2024-01-10T10:00", v, p, officer="high")
    month = 1 + months_before
    second = c.incident(f"{2024 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}-10T09:00", v, p, officer="high")
    c.live(first)
    c.live(second)
    assert "MARAC_REPEAT" in c.notification(second, "marac")["reasons"] if repeat else \
        "MARAC_REPEAT" not in c.notification(second, "marac")["reasons"]


def test_incidents_loaded_by_backfill_never_make_a_repeat_marac():
    c = County()
    v, p = c.person("v", "victim"), c.person("p", "perpetrator")
    c.backfill(c.incident("2024-06-10", v, p, officer="high"))
    incident = c.incident("2024-12-10", v, p, officer="high")
    c.live(incident)
    assert c.notification(incident, "marac")["reasons"] == ["MARAC_REFERRAL"]
