"""The one content filter: levels per record agency, and confidential addresses withheld from barred agencies."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.governance.disclosure import context_for, present_person, present_record, present_text
from openmash.governance.domain.disclosure_rules import filter_person, filter_record
from openmash.platform.domain.access_rules import Decision, Level, Relationship, Role, Viewer, decide_person_access
from tests.governance.scenario import REFUGE, person

RECORD = {
    "schema": "openmash.record/1", "source": {"agency": "csc"}, "record_id": "CSC-1", "version": 1,
    "kind": "csc_referral", "occurred_at": "2024-01-01T00:00:00Z", "recorded_at": "2024-01-01T00:00:00Z",
    "address": REFUGE,
    "people": [
        person("s", "subject", "Zofia", "Kowalska", "2020-07-08", address=REFUGE, nhs_number="9990000026",
               school_urn="123456"),
        person("m", "parent", "Anna", "Kowalska", "1990-02-03", address=REFUGE),
        {"ref": "w", "role": "professional", "given_names": "Sam"},
    ],
    "details": {"outcome": "s47", "decision_rationale": "Mother fled to 4 Saxifrage Road"},
    "narrative": "Visited at 4 Saxifrage Rd, LN1 3ZZ; flat is above the shop.",
}


def decision(agency: str, *relationships: Relationship, roles=(Role.PRACTITIONER,)) -> Decision:
    return decide_person_access(Viewer("u", agency, "", frozenset(roles)), tuple(relationships))


def test_minimal_carries_only_the_people_the_relationship_is_about_and_no_address():
    shown = filter_record(RECORD, Level.MINIMAL, about_refs={"s"})
    assert set(shown) <= {"schema", "source", "record_id", "version", "kind", "occurred_at", "recorded_at", "people"}
    assert shown["people"] == [{"ref": "s", "role": "subject", "given_names": "Zofia", "family_name": "Kowalska",
                                "date_of_birth": "2020-07-08"}]


def test_health_carries_names_addresses_and_facts_never_narrative_or_rationale():
    shown = filter_record(RECORD, Level.HEALTH)
    assert "narrative" not in shown
    assert shown["details"] == {"outcome": "s47"}
    assert [p["ref"] for p in shown["people"]] == ["s", "m"]  # never the professional
    assert "nhs_number" not in shown["people"][0]
    assert shown["people"][0]["address"] == REFUGE


def test_full_is_the_record_as_made():
    assert filter_record(RECORD, Level.FULL) == RECORD


def test_a_person_above_the_level_loses_the_fields_but_keeps_their_identity():
    shown = filter_person(RECORD["people"][0], Level.NONE, identity_level=Level.MINIMAL)
    assert set(shown) == {"ref", "role", "given_names", "family_name", "date_of_birth"}


@pytest.mark.django_db
@pytest.mark.parametrize("agency", ["probation", "yos", "drug_alcohol", "adult_mental_health", "school", "housing",
                                    "early_help", "ed", "police"])
def test_barred_agencies_see_address_withheld_everywhere(agency):
    seen = present_record(decision(agency, Relationship("notification", Level.FULL)), RECORD)
    text = json.dumps(seen)
    assert "Saxifrage" not in text and "LN1" not in text
    assert seen["address"] == {"withheld": True, "reason": "confidential address"}
    assert "[address withheld]" in seen["narrative"]
    assert "school_urn" in seen["people"][0]  # only hidden for people whose latest known address is confidential


@pytest.mark.django_db
@pytest.mark.parametrize("agency", ["csc", "idva", "marac", "health_visiting", "midwifery", "school_nursing", "gp"])
def test_permitted_agencies_see_the_address(agency):
    seen = present_record(decision(agency, Relationship("notification", Level.FULL)), RECORD)
    assert seen["address"] == REFUGE


@pytest.mark.django_db
def test_a_barred_agency_still_sees_its_own_records_as_made():
    own = {**RECORD, "source": {"agency": "police"}}
    seen = present_record(decision("police", Relationship("own_records", Level.FULL, frozenset({"police"}))), own)
    assert seen == own


@pytest.mark.django_db
def test_a_person_object_and_free_text_are_withheld_too():
    barred = decision("probation", Relationship("notification", Level.FULL))
    shown = present_person(barred, RECORD["people"][1], source_agency="csc")
    assert shown["address"] == {"withheld": True, "reason": "confidential address"}
    ctx = context_for(RECORD)
    assert "Saxifrage" not in present_text(barred, RECORD["narrative"], source_agency="csc", context=ctx)


def test_a_refused_decision_shows_nothing():
    refused = decision("csc")
    assert present_record(refused, RECORD) == {} and present_person(refused, RECORD["people"][0]) == {}


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=12)


@given(st.dictionaries(st.sampled_from(["record_id", "details", "people", "narrative", "source"]), _JSON),
       st.sampled_from([Level.MINIMAL, Level.HEALTH, Level.FULL]))
def test_a_filtered_record_shares_nothing_with_the_data_it_came_from(data, level):
    before = json.dumps(data, sort_keys=True)
    shown = filter_record(data, level)
    _scribble(shown)
    assert json.dumps(data, sort_keys=True) == before


def _scribble(value):
    """Change every dict and list in ``value`` in place."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")
