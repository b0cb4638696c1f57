"""Who may see what: the access rules as pure functions a safeguarding lead can review.

Deny by default. A rule grants a *content level* for a purpose; the caller never sees more
than the level granted. Relationship rules (a notification to the viewer's team, an open
involvement of their agency) are facts handed in by the access layer, so they are testable
as a table without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Role(StrEnum):
    TRIAGE = "triage"
    PRACTITIONER = "practitioner"
    TEAM_MANAGER = "team_manager"
    MARAC_COORDINATOR = "marac_coordinator"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Level(IntEnum):
    """What a viewer may see of a person; ordered, so the highest granted level wins."""

    NONE = 0
    MINIMAL = 1
    HEALTH = 2
    FULL = 3


#: Agencies never shown a confidential address (protocol-default.md §4.1).
BARRED_FROM_CONFIDENTIAL: frozenset[str] = frozenset({
    "probation", "yos", "drug_alcohol", "adult_mental_health", "school", "housing", "early_help", "ed", "police",
})


@dataclass(frozen=True, slots=True)
class Viewer:
    username: str
    agency: str
    team: str
    roles: frozenset[Role]
    active: bool = True


@dataclass(frozen=True, slots=True)
class Relationship:
    """Why a viewer's team is connected to a person, and at which content level."""

    kind: str  # "notification", "open_involvement", "triage", "break_glass"
    level: Level


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    level: Level
    reasons: tuple[str, ...] = field(default=())
    read_only: bool = False
    audit_purpose: str = ""
    #: The viewer's agency is barred from confidential addresses (protocol §4.1): withhold them.
    barred_from_confidential: bool = False


DENY = Decision(allowed=False, level=Level.NONE, reasons=("no legitimate relationship",))


def decide_person_access(viewer: Viewer, relationships: tuple[Relationship, ...]) -> Decision:
    """May ``viewer`` see a person's data, and at which level?

    * inactive users see nothing;
    * auditors/inspectors read everything at ``full``, read-only, every view audited;
    * partnership analysts see aggregates only, never a person;
    * administrators run the system and see no person's data through that role;
    * anyone else needs a legitimate relationship of their team; the highest level granted wins.
    """
    if not viewer.active:
        return Decision(False, Level.NONE, ("account disabled",))
    if Role.AUDITOR in viewer.roles:
        return Decision(True, Level.FULL, ("auditor/inspector: read-only",), read_only=True, audit_purpose="inspection",
                        barred_from_confidential=viewer.agency in BARRED_FROM_CONFIDENTIAL)
    granted = [r for r in relationships if r.level > Level.NONE]
    if not granted:
        return DENY
    best = max(r.level for r in granted)
    return Decision(
        True, best, tuple(sorted({r.kind for r in granted})), audit_purpose="safeguarding",
        barred_from_confidential=viewer.agency in BARRED_FROM_CONFIDENTIAL,
    )


def may_administer(viewer: Viewer) -> bool:
    return viewer.active and Role.ADMIN in viewer.roles


def may_see_aggregates(viewer: Viewer) -> bool:
    return viewer.active and bool({Role.ANALYST, Role.AUDITOR, Role.TEAM_MANAGER, Role.ADMIN} & viewer.roles)
