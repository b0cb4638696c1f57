"""Threshold decisions and what goes back to the referrer (protocol-default.md §6).

A decision on a queued incident takes one of the ``csc_contact`` outcome codes and a
written rationale. Its feedback to the referring agency, and a challenge to the
front-door manager, are notifications whose content is built here as plain data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openmash.platform.domain.access_rules import Role
from openmash.protocol.domain.ids import manager_team

DEFAULT_OUTCOMES: tuple[str, ...] = ("referral", "early_help", "nfa", "advice")
#: A rationale must say something: a single word is not a reason another professional can act on.
MIN_RATIONALE_WORDS = 3
MAX_RATIONALE_CHARS = 5000

DECISION_FEEDBACK = "DECISION_FEEDBACK"
CHALLENGE = "CHALLENGE"


class Problem(StrEnum):
    OUTCOME_MISSING = "outcome_missing"
    OUTCOME_UNKNOWN = "outcome_unknown"
    RATIONALE_MISSING = "rationale_missing"
    RATIONALE_TOO_SHORT = "rationale_too_short"
    RATIONALE_TOO_LONG = "rationale_too_long"


def check_decision(outcome: str, rationale: str, allowed: Sequence[str] = DEFAULT_OUTCOMES) -> list[Problem]:
    """Every problem with a proposed decision (empty when it may be recorded)."""
    problems: list[Problem] = []
    if not outcome:
        problems.append(Problem.OUTCOME_MISSING)
    elif outcome not in allowed:
        problems.append(Problem.OUTCOME_UNKNOWN)
    problems.extend(check_rationale(rationale))
    return problems


def check_rationale(text: str) -> list[Problem]:
    stripped = text.strip()
    if not stripped:
        return [Problem.RATIONALE_MISSING]
    if len(stripped) > MAX_RATIONALE_CHARS:
        return [Problem.RATIONALE_TOO_LONG]
    if len(stripped.split()) < MIN_RATIONALE_WORDS:
        return [Problem.RATIONALE_TOO_SHORT]
    return []


@dataclass(frozen=True, slots=True)
class IncidentRef:
    agency: str
    record_id: str
    occurred_at: dt.datetime


def feedback_content(incident: IncidentRef, *, outcome: str, rationale: str, decided_at: dt.datetime,
                     decided_by_team: str, children: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the referring agency is told about the decision on its record."""
    return {
        "incident": {"agency": incident.agency, "record_id": incident.record_id,
                     "occurred_at": incident.occurred_at.isoformat()},
        "decision": outcome,
        "rationale": rationale.strip(),
        "decided_at": decided_at.isoformat(),
        "decided_by_team": decided_by_team,
        "children": list(children),
    }


def challenge_content(feedback: dict[str, Any], *, reason: str, raised_at: dt.datetime,
                      raised_by_agency: str) -> dict[str, Any]:
    """What the front-door manager is told: the decision challenged and why."""
    return {
        "incident": feedback.get("incident", {}),
        "decision": feedback.get("decision"),
        "rationale": feedback.get("rationale"),
        "challenge": reason.strip(),
        "raised_at": raised_at.isoformat(),
        "raised_by_agency": raised_by_agency,
    }


# --- resolving a challenge ----------------------------------------------------------------------------

CHALLENGE_OUTCOME = "CHALLENGE_OUTCOME"


class Resolution(StrEnum):
    """How a challenge ends: the decision stands (with a response), or a new decision replaces it."""

    UPHELD = "upheld"
    REVISED = "revised"


class ResolutionProblem(StrEnum):
    ALREADY_RESOLVED = "already_resolved"
    RESOLUTION_MISSING = "resolution_missing"
    RESOLUTION_UNKNOWN = "resolution_unknown"
    REVISION_SAME_OUTCOME = "revision_same_outcome"
    NOT_RESOLVER = "not_resolver"


@dataclass(frozen=True, slots=True)
class Resolver:
    """Who would resolve: their agency, their own team code, their roles and the team codes they manage."""

    agency: str
    team: str
    roles: frozenset[str]
    manages: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ChallengedDecision:
    """The decision under challenge: who made it (agency and team code) and where challenges go."""

    outcome: str
    deciding_agency: str
    deciding_team: str
    front_door_agency: str
    front_door_team: str


def may_resolve(resolver: Resolver, decision: ChallengedDecision) -> bool:
    """A team manager who is the front-door manager, or a manager of the team that made the decision."""
    if Role.TEAM_MANAGER not in resolver.roles:
        return False
    if resolver.agency == decision.front_door_agency and resolver.team == manager_team(decision.front_door_team):
        return True
    return resolver.agency == decision.deciding_agency and (
        decision.deciding_team in resolver.manages or resolver.team == manager_team(decision.deciding_team))


def check_resolution(*, resolved: bool, resolution: str, response: str, outcome: str, challenged_outcome: str,
                     allowed: Sequence[str] = DEFAULT_OUTCOMES) -> list[str]:
    """Every problem with a proposed resolution (empty when it may be recorded).

    ``upheld`` needs a reply to the referrer (``reply_*`` problems); ``revised`` needs a new outcome, other
    than the one challenged, and its rationale (the response is the new decision's rationale).
    """
    if resolved:
        return [ResolutionProblem.ALREADY_RESOLVED]
    problems: list[str] = []
    if not resolution:
        problems.append(ResolutionProblem.RESOLUTION_MISSING)
    elif resolution not in set(Resolution):
        problems.append(ResolutionProblem.RESOLUTION_UNKNOWN)
    if resolution == Resolution.REVISED:
        problems.extend(check_decision(outcome, response, allowed))
        if outcome and outcome == challenged_outcome:
            problems.append(ResolutionProblem.REVISION_SAME_OUTCOME)
    else:
        problems.extend("reply" + p.removeprefix("rationale") for p in check_rationale(response))
    return problems


def resolution_content(challenge: dict[str, Any], *, resolution: str, response: str, resolved_at: dt.datetime,
                       resolved_by_team: str) -> dict[str, Any]:
    """What the referrer is told when their challenge is resolved (the CHALLENGE content it answers)."""
    return {
        "incident": challenge.get("incident", {}),
        "decision": challenge.get("decision"),
        "rationale": challenge.get("rationale"),
        "challenge": challenge.get("challenge"),
        "resolution": resolution,
        "response": response.strip(),
        "resolved_at": resolved_at.isoformat(),
        "resolved_by_team": resolved_by_team,
    }
