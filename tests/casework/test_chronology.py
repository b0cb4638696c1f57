"""Chronology rules: significance, summaries, the pattern at a glance, households over time, voices."""

from __future__ import annotations

import datetime as dt

from openmash.casework.domain.chronology import (
    Significance,
    Stay,
    at_a_glance,
    dash_yes,
    household_over_time,
    residence_intervals,
    significance,
    summary_facts,
    voices_in,
)
from openmash.casework.domain.decisions import Problem, check_decision

UTC = dt.UTC


def at(y, m, d, h=12):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


def test_glance_counts_the_last_twelve_months_and_everything_since_the_first_year():
    incidents = [at(2012, 5, 1)] + [at(2015 + n, 1, 1) for n in range(7)] + [at(2024, 8, 1), at(2024, 12, 1),
                                                                              at(2025, 3, 1)]
    glance = at_a_glance(incidents, at(2025, 3, 1))
    assert (glance.in_window, glance.total, glance.since_year) == (3, 11, 2012)
    assert dict(glance.by_year)[2024] == 2


def test_glance_ignores_incidents_after_the_moment_it_looks_from():
    glance = at_a_glance([at(2024, 1, 2), at(2026, 1, 1)], at(2025, 1, 1))
    assert (glance.in_window, glance.total) == (1, 1)


def test_the_window_start_itself_is_outside_twelve_months():
    assert at_a_glance([at(2024, 3, 1)], at(2025, 3, 1)).in_window == 0


def test_significance_marks_plans_high_risk_incidents_and_victims():
    assert significance("cp_plan", {}) is Significance.HIGH
    assert significance("da_incident", {}, level="high") is Significance.HIGH
    assert significance("da_incident", {}, level="standard", roles=["victim"]) is Significance.HIGH
    assert significance("da_incident", {}, level="standard", roles=["child_present"]) is Significance.MEDIUM
    assert significance("csc_referral", {"outcome": "s47"}) is Significance.HIGH
    assert significance("gp_registration", {}) is Significance.LOW


def test_summary_facts_follow_the_kind_and_skip_empty_values():
    facts = summary_facts("probation_supervision", {"order_type": "Licence", "offender_manager": {"team": "North"}})
    assert facts == [("order_type", "Licence"), ("team", "North")]
    assert summary_facts("da_incident", {"offences": [], "powers_used": ["arrest", "dvpn"]}) == [
        ("powers_used", "arrest, dvpn")]


def test_dash_yes_counts_yes_answers_under_the_27_keys_only():
    answers = {"1": "yes", "2": "YES ", "3": "no", "28": "yes", "x": "yes"}
    assert dash_yes({"dash": {"answers": answers, "completed": False}}) == 2
    assert dash_yes({}) == 0


def stay(key, since, until=None, record="r"):
    return Stay(key, "AB1 2CD", False, since, until, ("police", record))


def test_a_move_ends_the_previous_stretch():
    intervals = residence_intervals([stay("A", dt.date(2020, 1, 1)), stay("A", dt.date(2021, 1, 1), record="r2"),
                                     stay("B", dt.date(2022, 6, 1))])
    assert [(i.household_key, i.start, i.end) for i in intervals] == [
        ("A", dt.date(2020, 1, 1), dt.date(2022, 6, 1)), ("B", dt.date(2022, 6, 1), None)]
    assert intervals[0].sources == (("police", "r"), ("police", "r2"))


def test_household_over_time_lists_who_lived_there_while_the_child_did():
    child = [stay("A", dt.date(2020, 1, 1)), stay("B", dt.date(2023, 1, 1))]
    others = {
        "P-MUM": [stay("A", dt.date(2019, 1, 1)), stay("B", dt.date(2023, 1, 1))],
        "P-EX": [stay("A", dt.date(2021, 5, 1)), stay("C", dt.date(2022, 2, 1))],
        "P-NEW": [stay("B", dt.date(2024, 3, 1))],
    }
    homes = household_over_time(child, others)
    assert [h.interval.household_key for h in homes] == ["A", "B"]
    assert [(m.person_id, m.start, m.end) for m in homes[0].members] == [
        ("P-MUM", dt.date(2020, 1, 1), dt.date(2023, 1, 1)), ("P-EX", dt.date(2021, 5, 1), dt.date(2022, 2, 1))]
    assert [m.person_id for m in homes[1].members] == ["P-MUM", "P-NEW"]


def test_voices_gather_only_the_named_childrens_words():
    data = {"details": {"children_seen": [
        {"ref": "c1", "seen": True, "said": "Daddy shouted", "demeanour": "tearful"},
        {"ref": "c2", "seen": False},
        "junk"]}}
    voices = voices_in(data, ["c1"], occurred_at=at(2025, 1, 1), agency="police", record_id="I1")
    assert [(v.said, v.demeanour, v.seen) for v in voices] == [("Daddy shouted", "tearful", True)]


def test_a_decision_needs_a_known_outcome_and_a_rationale_of_a_few_words():
    assert check_decision("referral", "Three incidents this year, baby in household") == []
    assert check_decision("", "") == [Problem.OUTCOME_MISSING, Problem.RATIONALE_MISSING]
    assert check_decision("section47", "ok") == [Problem.OUTCOME_UNKNOWN, Problem.RATIONALE_TOO_SHORT]
    assert check_decision("nfa", "x" * 6000) == [Problem.RATIONALE_TOO_LONG]
