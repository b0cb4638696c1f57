"""Risk level of a domestic abuse incident (``protocol-default.md`` §1).

Scored from the DASH count, the officer's grading and each victim's linked
history. The tool and its version are kept with every assessment so that another
checklist (SafeLives' 24-question form) can be added beside the 2009 police one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openmash.protocol.domain.policy import LEVELS, Risk

OFFICER_HIGH = "officer_high"
VISIBLE_HIGH_RISK = "visible_high_risk"
POTENTIAL_ESCALATION = "potential_escalation"
CRITERIA_ORDER = (OFFICER_HIGH, VISIBLE_HIGH_RISK, POTENTIAL_ESCALATION)
#: In a ``marac_referral``, professional judgement stands for the officer's high grading (§1.6).
MARAC_CRITERIA_EQUIVALENT = {"professional_judgement": OFFICER_HIGH}


def dash_yes(details: Mapping[str, Any], risk: Risk) -> int:
    """Answers equal to "yes" (any case) under keys "1".."N", whatever ``completed`` says."""
    dash = details.get("dash")
    answers = dash.get("answers") if isinstance(dash, Mapping) else None
    if not isinstance(answers, Mapping):
        return 0
    wanted = risk.dash_yes_value.casefold()
    keys = {str(n) for n in range(1, risk.dash_questions + 1)}
    return sum(1 for k, v in answers.items() if k in keys and isinstance(v, str) and v.casefold() == wanted)


def officer_grade(details: Mapping[str, Any], risk: Risk) -> str | None:
    """``officer_risk`` trimmed and case-folded when it is a known grade, else "not given"."""
    value = details.get("officer_risk")
    if not isinstance(value, str):
        return None
    grade = value.strip().casefold()
    return grade if grade in risk.officer_grades else None


def higher(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


@dataclass(frozen=True, slots=True)
class VictimEvidence:
    """What the history says about one victim (§1.3, §1.8)."""

    person_id: str
    incidents_in_window: int
    repeat_marac: bool
    under_age: bool


@dataclass(frozen=True, slots=True)
class VictimRisk:
    person_id: str
    level: str
    criteria: tuple[str, ...]
    potential_escalation: bool
    incidents_in_window: int
    repeat_marac: bool
    under_age: bool

    @property
    def high(self) -> bool:
        return self.level == "high"


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    tool: str
    tool_version: str
    dash_yes: int
    officer_grade: str | None
    level: str
    criteria: tuple[str, ...]
    victims: tuple[VictimRisk, ...]

    @property
    def high(self) -> bool:
        return self.level == "high"

    def as_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "tool_version": self.tool_version, "dash_yes": self.dash_yes,
            "officer_grade": self.officer_grade, "level": self.level, "level_criteria": list(self.criteria),
            "victims": [
                {"person_id": v.person_id, "level": v.level, "level_criteria": list(v.criteria),
                 "incidents_in_window": v.incidents_in_window, "repeat_marac": v.repeat_marac,
                 "under_age": v.under_age}
                for v in self.victims
            ],
        }


def _level(officer: str | None, visible: bool, escalation: bool, risk: Risk) -> tuple[str, tuple[str, ...]]:
    held = {OFFICER_HIGH: officer == "high", VISIBLE_HIGH_RISK: visible, POTENTIAL_ESCALATION: escalation}
    criteria = tuple(c for c in CRITERIA_ORDER if held[c])
    if criteria:
        return "high", criteria
    return officer or risk.default_level, ()


def assess(details: Mapping[str, Any], victims: Sequence[VictimEvidence], risk: Risk) -> RiskAssessment:
    """Each victim assessed separately; the incident takes the highest level (§1.5-§1.7)."""
    count = dash_yes(details, risk)
    officer = officer_grade(details, risk)
    visible = count >= risk.visible_high_risk_min_yes
    assessed: list[VictimRisk] = []
    for v in victims:
        escalation = v.incidents_in_window >= risk.potential_escalation_min_incidents
        level, criteria = _level(officer, visible, escalation, risk)
        assessed.append(VictimRisk(v.person_id, level, criteria, escalation, v.incidents_in_window,
                                   v.repeat_marac, v.under_age))
    level, criteria = _level(officer, visible, any(v.potential_escalation for v in assessed), risk)
    for victim in assessed:
        level = higher(level, victim.level)
    return RiskAssessment(risk.dash_tool, risk.dash_version, count, officer, level, criteria, tuple(assessed))
