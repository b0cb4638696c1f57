"""Access rules as a table: deny by default; auditors read-only; analysts never see a person."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.platform.domain.access_rules import Level, Relationship, Role, Viewer, decide_person_access


def viewer(*roles: Role, agency: str = "csc", active: bool = True) -> Viewer:
    return Viewer("u", agency, "", frozenset(roles), active)


NOTIFIED_HEALTH = Relationship("notification", Level.HEALTH)
NOTIFIED_FULL = Relationship("notification", Level.FULL)


@pytest.mark.parametrize("who, relationships, allowed, level", [
    (viewer(Role.PRACTITIONER), (), False, Level.NONE),
    (viewer(Role.TRIAGE), (), False, Level.NONE),
    (viewer(Role.ANALYST), (), False, Level.NONE),
    (viewer(Role.ADMIN), (), False, Level.NONE),
    (viewer(Role.AUDITOR), (), True, Level.FULL),
    (viewer(Role.PRACTITIONER), (NOTIFIED_HEALTH,), True, Level.HEALTH),
    (viewer(Role.PRACTITIONER), (NOTIFIED_HEALTH, NOTIFIED_FULL), True, Level.FULL),
    (viewer(Role.PRACTITIONER, active=False), (NOTIFIED_FULL,), False, Level.NONE),
    (viewer(Role.AUDITOR, active=False), (), False, Level.NONE),
])
def test_person_access_table(who, relationships, allowed, level):
    decision = decide_person_access(who, relationships)
    assert (decision.allowed, decision.level) == (allowed, level)


def test_auditor_access_is_read_only():
    assert decide_person_access(viewer(Role.AUDITOR), ()).read_only


@pytest.mark.parametrize("agency", ["probation", "yos", "drug_alcohol", "adult_mental_health", "school", "police"])
def test_barred_agencies_never_see_confidential_addresses(agency):
    assert decide_person_access(viewer(Role.PRACTITIONER, agency=agency), (NOTIFIED_FULL,)).barred_from_confidential


@given(roles=st.frozensets(st.sampled_from([r for r in Role if r is not Role.AUDITOR])))
def test_without_a_relationship_nobody_but_an_auditor_sees_a_person(roles):
    assert not decide_person_access(Viewer("u", "csc", "", roles), ()).allowed


@given(levels=st.lists(st.sampled_from(list(Level)), min_size=1))
def test_the_level_granted_is_never_more_than_the_best_relationship(levels):
    decision = decide_person_access(viewer(Role.PRACTITIONER), tuple(Relationship("x", lv) for lv in levels))
    assert decision.level <= max(levels)
