"""The access rules as a table a safeguarding lead can read, plus properties over generated inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.intake.domain.record import AGENCIES
from openmash.platform.domain.access_rules import (
    BARRED_FROM_CONFIDENTIAL,
    CASEWORK_ROLES,
    Level,
    Relationship,
    Role,
    Viewer,
    decide_person_access,
    level_of,
)

F, H, M, N = Level.FULL, Level.HEALTH, Level.MINIMAL, Level.NONE
NOTE_H = Relationship("notification", H)
NOTE_M = Relationship("notification", M)
OWN = Relationship("own_records", F, frozenset({"police"}))
GLASS = Relationship("break_glass", F)
TRIAGE = Relationship("triage", F)


def v(*roles, agency="police", active=True):
    return Viewer("u", agency, "", frozenset(roles), active)


PR = Role.PRACTITIONER


@pytest.mark.parametrize("viewer, rels, exists, allowed, level, police_level, csc_level, glass", [
    # deny by default
    (v(PR), (), True, False, N, N, N, False),
    (v(PR), (NOTE_H,), False, False, N, N, N, False),  # non-existent looks like foreign
    (v(PR, active=False), (NOTE_H,), True, False, N, N, N, False),
    # notifications: the content level, for every agency's records
    (v(PR), (NOTE_M,), True, True, M, M, M, False),
    (v(PR), (NOTE_M, NOTE_H), True, True, H, H, H, False),
    # own records: full for the agency's own records only
    (v(PR), (OWN,), True, True, N, F, N, False),
    (v(PR), (OWN, NOTE_M), True, True, M, F, M, False),
    (v(PR, agency="csc"), (OWN,), True, False, N, N, N, False),  # scoped to another agency: nothing
    # break-glass: full, flagged when it is what gives the access
    (v(PR), (GLASS,), True, True, F, F, F, True),
    (v(PR), (GLASS, NOTE_H), True, True, F, F, F, True),
    (v(PR), (GLASS, TRIAGE), True, True, F, F, F, False),  # triage already gives full: not a break-glass read
    # roles that never see a person
    (v(Role.ANALYST), (NOTE_H, GLASS), True, False, N, N, N, False),
    (v(Role.ADMIN), (NOTE_H,), True, False, N, N, N, False),
    (v(), (NOTE_H,), True, False, N, N, N, False),
    # auditor: everything that exists, read-only
    (v(Role.AUDITOR), (), True, True, F, F, F, False),
    (v(Role.AUDITOR), (), False, False, N, N, N, False),
])
def test_rules(viewer, rels, exists, allowed, level, police_level, csc_level, glass):
    d = decide_person_access(viewer, rels, exists=exists)
    assert (d.allowed, d.level, d.level_for("police"), d.level_for("csc"), d.break_glass) == (
        allowed, level, police_level, csc_level, glass)


@pytest.mark.parametrize("agency", AGENCIES)
def test_who_is_barred_from_confidential_addresses_in_another_agencys_record(agency):
    d = decide_person_access(v(PR, agency=agency), (NOTE_H,))
    assert d.withholds_confidential_from("other-agency") is (agency in BARRED_FROM_CONFIDENTIAL)
    assert d.withholds_confidential_from(None) is (agency in BARRED_FROM_CONFIDENTIAL)  # unknown source: foreign
    assert d.withholds_confidential_from(agency) is False  # their own records, as made


def test_the_barred_list_is_the_protocols():
    assert BARRED_FROM_CONFIDENTIAL == {"probation", "yos", "drug_alcohol", "adult_mental_health", "school",
                                        "housing", "early_help", "ed", "police"}


@pytest.mark.parametrize("name, level", [("minimal", M), ("health", H), ("full", F), ("FULL ", F), ("", N),
                                         (None, N), ("everything", N)])
def test_content_level_names(name, level):
    assert level_of(name) == level


relationships = st.lists(st.builds(Relationship, st.sampled_from(["notification", "own_records", "break_glass",
                                                                   "triage", "alert"]),
                                   st.sampled_from(list(Level)),
                                   st.frozensets(st.sampled_from(["police", "csc", "school"]), max_size=2)),
                         max_size=5)
viewers = st.builds(Viewer, st.just("u"), st.sampled_from(AGENCIES), st.just(""),
                    st.frozensets(st.sampled_from(list(Role))), st.booleans())


@given(viewer=viewers, rels=relationships, agency=st.sampled_from([*AGENCIES, None]))
def test_never_more_than_a_relationship_gives(viewer, rels, agency):
    d = decide_person_access(viewer, tuple(rels))
    if Role.AUDITOR in viewer.roles and viewer.active:
        return
    applicable = [r.level for r in rels if not r.agencies or (agency is not None and agency in r.agencies
                                                              and agency == viewer.agency)]
    assert d.level_for(agency) <= max(applicable, default=N)
    if d.allowed:
        assert viewer.active and CASEWORK_ROLES & viewer.roles


@given(viewer=viewers, rels=relationships)
def test_refused_decisions_show_nothing(viewer, rels):
    d = decide_person_access(viewer, tuple(rels))
    if not d.allowed:
        assert d.level == N and d.identity_level == N and all(d.level_for(a) == N for a in AGENCIES)
