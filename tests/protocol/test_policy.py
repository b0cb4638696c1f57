"""§7: the protocol as data — the shipped file loads, an area's edits change behaviour, errors are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openmash.protocol.domain.policy import PolicyError, load_policy, parse_policy

from .builders import County

SHIPPED = Path(__file__).resolve().parents[2] / "src/openmash/protocol/policy/default-protocol.toml"


def edited(old: str, new: str) -> str:
    text = SHIPPED.read_text("utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_the_shipped_policy_holds_every_row_and_alert_of_the_default_protocol():
    policy = load_policy()
    assert [r.reason for r in policy.rows] == [
        "CSC_CHILD_AT_DA_INCIDENT", "CSC_CHILD_VICTIM_UNDER_16", "HV_CHILD_UNDER_5", "SCHOOL_NURSING_SCHOOL_AGE",
        "SCHOOL_ENCOMPASS", "MIDWIFERY_PREGNANCY", "MARAC_REFERRAL", "MARAC_REPEAT", "IDVA_HIGH_RISK",
        "PROBATION_SUPERVISED_PERSON", "YOS_SUPERVISED_PERSON", "DRUG_ALCOHOL_OPEN_CASE", "MENTAL_HEALTH_OPEN_CASE",
        "GP_HIGH_RISK"]
    assert set(policy.alerts.recipients) == {"REPEAT_INCIDENTS", "PERPETRATOR_NEW_HOUSEHOLD", "REPEAT_CONTACTS",
                                             "SUPERVISED_ADULT_WITH_CHILDREN", "UNBORN_CHILD_DA"}
    assert policy.risk.visible_high_risk_min_yes == 14 and policy.people.child_under == 18


def test_an_area_that_lowers_the_visible_high_risk_threshold_gets_marac_at_ten():
    policy = parse_policy(edited("visible_high_risk_min_yes = 14", "visible_high_risk_min_yes = 10"))
    c = County(policy)
    incident = c.incident("2025-01-10T10:00", c.person("v", "victim"), c.person("p", "perpetrator"), yes=10,
                          officer="medium")
    c.live(incident)
    assert c.notification(incident, "marac") is not None


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('priority = "same_day"', 'priority = "urgent"', "rows[0].priority: 'urgent' is not one of"),
    ("visible_high_risk_min_yes = 14", "visible_high_risk_min_yes = 30", "cannot exceed dash_questions"),
    ("visible_high_risk_min_yes = 14", 'visible_high_risk_min_yes = "14"', "must be int, not str"),
    ("csc_for_unborn_at_high = false", "csc_for_unborn_at_high = 0", "must be bool, not int"),
    ("grace_days = 0", "grace_dayz = 0", "pregnancy.grace_dayz: is not a setting"),
    ('recipient = "school"', 'recipient = "schools"', "'schools' is not one of"),
    ('next_working_day_time = "17:00"', 'next_working_day_time = "5pm"', "is not a local time HH:MM"),
    ("min_age = 5", "min_age = 20", "min_age: 20 is above max_age 17"),
    ('span_kind = "yos_order"', 'span_kind = "yos_order"\nbelow_age = 3', "below_age: is not a parameter of rule"),
])
def test_an_invalid_policy_is_refused_with_the_place_of_each_problem(old, new, problem):
    with pytest.raises(PolicyError) as raised:
        parse_policy(edited(old, new))
    assert any(problem in p for p in raised.value.problems), raised.value.problems


def test_not_toml_at_all_is_explained():
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy("rows = [")


def test_protocol_check_command_validates_and_explains(tmp_path, capsys):
    call_command("protocol", "check", str(SHIPPED))
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(edited('recipient = "gp"', 'recipient = "doctor"'), "utf-8")
    with pytest.raises(CommandError):
        call_command("protocol", "check", str(bad))
    assert "'doctor' is not one of" in capsys.readouterr().out


def test_protocol_simulate_runs_feeds_in_memory_with_given_links(tmp_path):
    from tests.conftest import SAMPLES

    if not (SAMPLES / "live.jsonl").exists():
        pytest.skip("public sample not present")
    call_command("protocol", "simulate", "--backfill", str(SAMPLES / "history.jsonl"), "--live",
                 str(SAMPLES / "live.jsonl"), "--links", str(SAMPLES / "truth_links.csv"), "--out", str(tmp_path))
    assert (tmp_path / "notifications.jsonl").read_text("utf-8").count("\n") > 50
    assert (tmp_path / "alerts.jsonl").exists()
