"""The pure rules of resolving a challenge: who may resolve it, and what a resolution needs."""

from __future__ import annotations

import pytest

from openmash.casework.domain.decisions import ChallengedDecision, Resolver, check_resolution, may_resolve

DECISION = ChallengedDecision(outcome="nfa", deciding_agency="csc", deciding_team="", front_door_agency="csc",
                              front_door_team="front_door")
RATIONALE = "A third incident with the baby present."


@pytest.mark.parametrize(("resolver", "allowed"), [
    (Resolver("csc", "manager:front_door", frozenset({"team_manager"})), True),  # the front-door manager
    (Resolver("csc", "manager", frozenset({"team_manager"})), True),  # manager of the deciding (default) team
    (Resolver("csc", "manager:east", frozenset({"team_manager"}), manages=frozenset({""})), True),  # manages it
    (Resolver("csc", "manager:east", frozenset({"team_manager"}), manages=frozenset({"east"})), False),
    (Resolver("csc", "manager:front_door", frozenset({"triage"})), False),  # the team, not the role
    (Resolver("csc", "", frozenset({"triage", "practitioner"})), False),  # the officer who decided
    (Resolver("police", "manager:front_door", frozenset({"team_manager"})), False),  # another agency
    (Resolver("police", "manager", frozenset({"team_manager"}), manages=frozenset({""})), False),
])
def test_only_the_front_door_manager_or_a_manager_of_the_deciding_team_resolves(resolver, allowed):
    assert may_resolve(resolver, DECISION) is allowed


@pytest.mark.parametrize(("resolution", "response", "outcome", "problems"), [
    ("upheld", RATIONALE, "", []),
    ("revised", RATIONALE, "referral", []),
    ("", RATIONALE, "", ["resolution_missing"]),
    ("withdrawn", RATIONALE, "", ["resolution_unknown"]),
    ("upheld", "", "", ["reply_missing"]),
    ("upheld", "No.", "", ["reply_too_short"]),
    ("upheld", "x " * 3000, "", ["reply_too_long"]),
    ("revised", RATIONALE, "", ["outcome_missing"]),
    ("revised", RATIONALE, "s47", ["outcome_unknown"]),
    ("revised", "", "referral", ["rationale_missing"]),
    ("revised", RATIONALE, "nfa", ["revision_same_outcome"]),
])
def test_a_resolution_needs_a_reply_or_a_different_decision_with_its_rationale(resolution, response, outcome,
                                                                                problems):
    assert check_resolution(resolved=False, resolution=resolution, response=response, outcome=outcome,
                            challenged_outcome="nfa") == problems


@pytest.mark.parametrize("resolution", ["upheld", "revised"])
def test_a_challenge_is_resolved_once(resolution):
    assert check_resolution(resolved=True, resolution=resolution, response=RATIONALE, outcome="referral",
                            challenged_outcome="nfa") == ["already_resolved"]
