"""A child's model match on too little goes to review: ``clustering.child_match_needs_review`` and its use by the
real-time linker and the batch clustering (issue 4: zero merges of two different children)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.identity.batch import cluster
from openmash.identity.domain.clustering import child_match_needs_review, child_review_possible
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.linker import InMemoryStore, link_record
from openmash.identity.domain.scoring import LinkageModel, comparison_levels, score_pair

from .mentions import HOME, features, person

MODEL = LinkageModel()
NHS = "9990000026"
ON = "2024-03-01T10:00:00+00:00"
NORWICH = {"lines": ["3 Oak Road"], "town": "Norwich", "postcode": "NR2 4LS"}
DISS = {"lines": ["41 Mere Street"], "town": "Diss", "postcode": "IP22 4AG"}
DISS_NO_POSTCODE = {"lines": ["41 Mere Street"], "town": "Diss"}
NORWICH_NO_POSTCODE = {"lines": ["3 Oak Road"], "town": "Norwich"}


def _one(agency: str = "gp", occurred_at: str = ON, ref: str = "p1", role: str = "subject", **fields: Any) -> MentionFeatures:
    kind = {"gp": "gp_registration", "school": "school_enrolment", "police": "police_incident"}[agency]
    return features(person(ref, role, **fields), agency=agency, kind=kind, occurred_at=occurred_at)[0]


def _charlie(agency: str, dob: str = "2011-06-24", **fields: Any) -> MentionFeatures:
    return _one(agency, given_names="Charlie", family_name="Hicks", date_of_birth=dob, sex="male", **fields)


def _reason(a: MentionFeatures, b: MentionFeatures) -> str | None:
    held = child_match_needs_review(a, b, comparison_levels(a, b))
    return held.reason if held is not None else None


# Born 2006-03-02: 17 on 2024-03-01; born 2006-03-01: 18 that day.
CHILD, ADULT = "2006-03-02", "2006-03-01"


@pytest.mark.parametrize(("dob", "left", "right", "expected"), [
    # names and date of birth, addresses in two towns: a child is held, an adult is not
    (CHILD, {"address": NORWICH}, {"address": DISS}, "child_names_and_dob_only"),
    (ADULT, {"address": NORWICH}, {"address": DISS}, None),
    ("2011-06-24", {"address": NORWICH}, {"address": DISS}, "child_names_and_dob_only"),
    ("1980-06-24", {"address": NORWICH}, {"address": DISS}, None),
    # no address on one side
    (CHILD, {"address": NORWICH}, {}, "child_names_and_dob_only"),
    (ADULT, {"address": NORWICH}, {}, None),
    # compared part by part (a postcode missing): no part agreeing is held, the town agreeing is not
    (CHILD, {"address": NORWICH_NO_POSTCODE}, {"address": DISS}, "child_names_and_dob_only"),
    (CHILD, {"address": DISS_NO_POSTCODE}, {"address": DISS}, None),
    # the address agrees
    (CHILD, {"address": HOME}, {"address": HOME}, None),
    # a strong identifier on both sides
    (CHILD, {"address": NORWICH, "nhs_number": NHS}, {"address": DISS, "nhs_number": NHS}, None),
])
def test_names_and_date_of_birth_alone_hold_a_child_at_the_18th_birthday_boundary(dob, left, right, expected):
    a = _one("gp", given_names="Charlie", family_name="Hicks", date_of_birth=dob, sex="male", **left)
    b = _one("school", given_names="Charlie", family_name="Hicks", date_of_birth=dob, sex="male", **right)
    assert _reason(a, b) == expected
    assert _reason(b, a) == expected


def test_a_child_on_the_earlier_record_is_a_child_whatever_the_later_one_says():
    a = _one("gp", given_names="Charlie", family_name="Hicks", date_of_birth=CHILD, address=NORWICH)
    b = _one("school", "2026-01-01T10:00:00+00:00", given_names="Charlie", family_name="Hicks", date_of_birth=CHILD,
             address=DISS)
    assert _reason(a, b) == "child_names_and_dob_only"


def test_the_same_agency_person_id_is_a_strong_identifier():
    a = _one("gp", given_names="Charlie", family_name="Hicks", date_of_birth=CHILD, address=NORWICH, agency_person_id="G1")
    b = _one("gp", given_names="Charlie", family_name="Hicks", date_of_birth=CHILD, address=DISS, agency_person_id="G1")
    assert _reason(a, b) is None


SON = {"given_names": "Nathan", "family_name": "Ward", "sex": "male", "address": HOME}


@pytest.mark.parametrize(("role", "son_dob", "expected"), [
    ("other_adult", "2014-05-01", "role_contradicts_age"),   # the father, named on a police record without a date
    ("parent", "2014-05-01", "role_contradicts_age"),
    ("perpetrator", CHILD, "role_contradicts_age"),          # 17 on the police record's date
    ("perpetrator", ADULT, None),                            # 18 that day
    ("subject", "2014-05-01", None),                         # the role says nothing about age
    ("victim", "2014-05-01", None),
    ("child_present", "2014-05-01", None),                   # a child named as a child
    ("child_present", "1984-05-01", "role_contradicts_age"),  # ... is not the adult namesake
    ("other_adult", "1984-05-01", None),
])
def test_a_dateless_mention_whose_role_contradicts_the_other_sides_age_is_held(role, son_dob, expected):
    dated = _one("gp", date_of_birth=son_dob, **SON)
    dateless = _one("police", role=role, **SON)
    assert _reason(dateless, dated) == expected
    assert _reason(dated, dateless) == expected


def test_a_dateless_adult_role_with_a_shared_nhs_number_is_not_held():
    dated = _one("gp", date_of_birth="2014-05-01", nhs_number=NHS, **SON)
    dateless = _one("police", role="other_adult", nhs_number=NHS, **SON)
    assert _reason(dateless, dated) is None


# --- the real-time linker ------------------------------------------------------------------------------


def _link(store: InMemoryStore, mention: MentionFeatures):
    return link_record(store, MODEL, [mention])[mention.mention_key]


def test_two_children_of_one_name_and_birthday_in_two_towns_are_reviewed_not_linked():
    gp, school = _charlie("gp", address=NORWICH), _charlie("school", address=DISS)
    assert score_pair(MODEL, gp, school).weight >= MODEL.link_weight  # the model alone would link them
    store = InMemoryStore()
    first = _link(store, gp)
    second = _link(store, school)
    assert second.method == "review"
    assert second.person != first.person
    assert "child_names_and_dob_only" in second.explanation["held_for_review"]
    assert [(r[1], r[2]) for r in store.reviews] == [(second.person, first.person)]
    assert store.merges == []


@pytest.mark.parametrize(("dob", "gp_fields", "school_fields", "method"), [
    ("1980-06-24", {"address": NORWICH}, {"address": DISS}, "model"),              # adults unaffected
    (ADULT, {"address": NORWICH}, {"address": DISS}, "model"),
    (CHILD, {"address": NORWICH, "nhs_number": NHS}, {"address": DISS, "nhs_number": NHS}, "nhs_number"),
    (CHILD, {"address": HOME}, {"address": HOME}, "model"),                        # the address agrees
])
def test_what_still_links(dob, gp_fields, school_fields, method):
    store = InMemoryStore()
    first = _link(store, _charlie("gp", dob, **gp_fields))
    second = _link(store, _charlie("school", dob, **school_fields))
    assert (second.method, second.person) == (method, first.person)


def test_the_father_without_a_date_of_birth_does_not_join_his_namesake_son():
    store = InMemoryStore()
    son = _link(store, _one("gp", date_of_birth="2014-05-01", **SON))
    father = _link(store, _one("police", role="other_adult", given_names="Nathan Connor", family_name="Ward",
                               sex="male", address=HOME))
    assert father.method == "review"
    assert father.person != son.person
    assert store.merges == []


def test_a_held_match_does_not_merge_two_people_either():
    store = InMemoryStore()
    norwich = _link(store, _charlie("gp", address=NORWICH))
    diss = _link(store, _charlie("gp", address=DISS, nhs_number=NHS))
    # A school record in Diss with the NHS number: links strongly to the Diss boy, and only names and date to the other.
    school = _link(store, _charlie("school", address=DISS, nhs_number=NHS))
    assert school.person == diss.person != norwich.person
    assert store.resolve(norwich.person) != store.resolve(diss.person)


# --- the batch clustering --------------------------------------------------------------------------------


def test_batch_clustering_holds_the_same_pairs():
    gp, school = _charlie("gp", address=NORWICH), _charlie("school", address=DISS)
    adult_gp, adult_school = _charlie("gp", "1980-06-24", address=NORWICH), _charlie("school", "1980-06-24", address=DISS)
    mentions = [gp, school, adult_gp, adult_school]
    p = score_pair(MODEL, gp, school).probability
    clusters = cluster(mentions, [(0, 1, p), (2, 3, p)], MODEL)
    groups = sorted(sorted(m) for m in clusters.members.values())
    assert groups == [[0], [1], [2, 3]]
    assert (clusters.merges, clusters.reviews) == (1, 1)


# --- a property ---------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(dt.date(1990, 1, 1), dt.date(2023, 12, 31)),
    left=st.sampled_from([NORWICH, DISS, HOME, NORWICH_NO_POSTCODE, DISS_NO_POSTCODE, None]),
    right=st.sampled_from([NORWICH, DISS, HOME, NORWICH_NO_POSTCODE, DISS_NO_POSTCODE, None]),
    nhs=st.booleans(),
)
def test_a_held_pair_always_involves_a_child_and_never_a_shared_strong_identifier(born, left, right, nhs):
    extra = {"nhs_number": NHS} if nhs else {}
    a = _charlie("gp", born.isoformat(), **({"address": left} if left else {}), **extra)
    b = _charlie("school", born.isoformat(), **({"address": right} if right else {}), **extra)
    held = child_match_needs_review(a, b, comparison_levels(a, b))
    is_child = born > dt.date(2006, 3, 1)
    if held is not None:
        assert is_child and not nhs
    if is_child and not nhs and (left is None or right is None or left["town"] != right["town"]):
        assert held is not None


def test_after_a_withdrawal_two_children_on_names_and_date_alone_are_no_longer_bridged():
    """A merge whose only bridge is withdrawn splits unless the two sides still join as the linker would join them
    (``services._still_bridged``): two Charlie Hicks in two towns do not, an NHS number shared does."""
    from openmash.identity.services import _still_bridged

    norwich, diss = _charlie("gp", address=NORWICH), _charlie("school", address=DISS)
    assert score_pair(MODEL, norwich, diss).weight >= MODEL.link_weight
    assert not _still_bridged([norwich], [diss], MODEL)
    assert _still_bridged([_charlie("gp", address=NORWICH, nhs_number=NHS)], [_charlie("school", address=DISS, nhs_number=NHS)], MODEL)


@settings(max_examples=60, deadline=None)
@given(
    born=st.one_of(st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2023, 12, 31))),
    other_born=st.one_of(st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2023, 12, 31))),
    role=st.sampled_from(["subject", "parent", "child_present", "victim", "perpetrator"]),
    address=st.sampled_from([NORWICH, DISS, None]),
)
def test_a_pair_the_cheap_check_rules_out_is_never_held(born, other_born, role, address):
    """``child_review_possible`` is only a shortcut: where it says no, the rule itself says no."""
    a = _one("gp", role=role, given_names="Charlie", family_name="Hicks", sex="male",
             **({"date_of_birth": born.isoformat()} if born else {}), **({"address": address} if address else {}))
    b = _one("police", ref="p2", role="subject", given_names="Charlie", family_name="Hicks", sex="male",
             **({"date_of_birth": other_born.isoformat()} if other_born else {}))
    if not child_review_possible(a, b):
        assert child_match_needs_review(a, b, comparison_levels(a, b)) is None
    adults = all(d is not None and d <= dt.date(2006, 3, 1) for d in (born, other_born))  # 18 on both records (ON)
    assert child_review_possible(a, b) is not adults


@settings(max_examples=500, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)), st.integers(1880, 2030), st.booleans(),
       st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2050, 12, 31)), min_size=1, max_size=3))
def test_a_child_on_a_record_date_is_under_18_by_age_on_that_day(born, latest_year, dated, days):
    """``_is_child`` compares ISO texts against the day the person turns 18; it must agree with ``age_on``, the
    rule as written (leap days, estimated ages and the boundary day included)."""
    from dataclasses import replace

    from openmash.identity.domain import clustering
    from openmash.identity.domain.scoring import age_on

    base = _one(occurred_at=ON)
    mention = (replace(base, dob=born.isoformat(), birth_years=None) if dated
               else replace(base, dob=None, birth_years=(latest_year - 1, latest_year)))
    expected = any((age := age_on(mention, day)) is not None and age < clustering.ADULT_AGE for day in days)
    assert clustering._is_child(mention, *(day.isoformat() for day in days)) == expected
    assert not clustering._is_child(replace(base, dob=None, birth_years=None), *(day.isoformat() for day in days))
