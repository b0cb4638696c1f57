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
