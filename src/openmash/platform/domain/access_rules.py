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


#: Roles whose purpose is casework on individual people; anyone else (analyst, administrator, no role yet)
#: never sees a person, whatever their team's relationships.
CASEWORK_ROLES: frozenset[Role] = frozenset({Role.TRIAGE, Role.PRACTITIONER, Role.TEAM_MANAGER, Role.MARAC_COORDINATOR})

CONTENT_LEVELS: dict[str, Level] = {"minimal": Level.MINIMAL, "health": Level.HEALTH, "full": Level.FULL}


def level_of(content_level: str | None) -> Level:
    """The level of a protocol content level name; anything unknown grants nothing."""
    return CONTENT_LEVELS.get((content_level or "").strip().lower(), Level.NONE)


@dataclass(frozen=True, slots=True)
class Relationship:
    """Why a viewer's team is connected to a person, and at which content level.

    ``agencies`` scopes the level to records made by those agencies (an agency's own records);
    empty means the level holds for the person's records from every agency.
    """

    kind: str  # "notification", "alert", "own_records", "triage", "marac", "break_glass"
    level: Level
    agencies: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Decision:
    """What one viewer may see of one person.

    ``level`` holds for records of every agency; ``own_level`` only for records made by ``own_agencies``
    (use :meth:`level_for` per record, never ``level`` alone). ``identity_level`` is for the person's own
    details (name, date of birth), which a viewer with any relationship may see.
    """

    allowed: bool
    level: Level
    reasons: tuple[str, ...] = field(default=())
    read_only: bool = False
    audit_purpose: str = ""
    #: The viewer's agency is barred from confidential addresses (protocol §4.1): withhold them.
    barred_from_confidential: bool = False
    own_agencies: frozenset[str] = frozenset()
    own_level: Level = Level.NONE
    #: The access rests on a break-glass grant (no other relationship gives as much): flag every read.
    break_glass: bool = False
    viewer_agency: str = ""

    def level_for(self, agency: str | None) -> Level:
        """The level at which a record made by ``agency`` may be shown."""
        if not self.allowed:
            return Level.NONE
        if agency is not None and agency in self.own_agencies:
            return max(self.level, self.own_level)
        return self.level

    @property
    def identity_level(self) -> Level:
        if not self.allowed:
            return Level.NONE
        return max(self.level, self.own_level, Level.MINIMAL)

    def withholds_confidential_from(self, agency: str | None) -> bool:
        """Must confidential addresses in a record made by ``agency`` be withheld from this viewer?

        A barred agency's users still see the records their own agency made (§4.1: "a force's own users
        still see the records it made"); an unknown source counts as foreign.
        """
        if not self.barred_from_confidential:
            return False
        return agency is None or agency != self.viewer_agency


DENY = Decision(allowed=False, level=Level.NONE, reasons=("no legitimate relationship",))


def decide_person_access(viewer: Viewer, relationships: tuple[Relationship, ...], *, exists: bool = True) -> Decision:
    """May ``viewer`` see a person's data, and at which level?

    * a person who does not exist is refused exactly like a foreign one;
    * inactive users see nothing;
    * auditors/inspectors read everything at ``full``, read-only, every view audited;
    * partnership analysts see aggregates only, and administrators run the system: neither sees a person,
      nor does a user without a casework role;
    * anyone else needs a legitimate relationship of their team (or a break-glass grant); the highest level
      granted wins, and a relationship scoped to their own agency's records raises only those records.
    """
    if not exists:
        return DENY
    if not viewer.active:
        return Decision(False, Level.NONE, ("account disabled",))
    barred = viewer.agency in BARRED_FROM_CONFIDENTIAL
    if Role.AUDITOR in viewer.roles:
        return Decision(True, Level.FULL, ("auditor/inspector: read-only",), read_only=True, audit_purpose="inspection",
                        barred_from_confidential=barred, viewer_agency=viewer.agency)
    if not CASEWORK_ROLES & viewer.roles:
        return DENY
    granted = [r for r in relationships if r.level > Level.NONE]
    if not granted:
        return DENY
    general = [r for r in granted if not r.agencies]
    own = [r for r in granted if r.agencies and viewer.agency in r.agencies]
    level = max((r.level for r in general), default=Level.NONE)
    own_level = max((r.level for r in own), default=Level.NONE)
    if level == Level.NONE and own_level == Level.NONE:
        return DENY
    without_glass = [r for r in granted if r.kind != "break_glass"]
    best_without = max((r.level for r in without_glass if not r.agencies), default=Level.NONE)
    glass = any(r.kind == "break_glass" for r in granted) and best_without < level
    return Decision(
        True, level, tuple(sorted({r.kind for r in granted})), audit_purpose="break_glass" if glass else "safeguarding",
        barred_from_confidential=barred, own_agencies=frozenset({viewer.agency}) if own else frozenset(),
        own_level=own_level, break_glass=glass, viewer_agency=viewer.agency,
    )


def may_administer(viewer: Viewer) -> bool:
    return viewer.active and Role.ADMIN in viewer.roles


def may_see_aggregates(viewer: Viewer) -> bool:
    """Partnership figures (no person in them): the analyst's purpose; inspectors read everything, audited."""
    return viewer.active and bool({Role.ANALYST, Role.AUDITOR} & viewer.roles)
