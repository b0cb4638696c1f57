"""Contract §1 line checks: what quarantines, what warns, and how problems are worded."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmash.intake.domain import contract
from openmash.intake.domain.contract import age_on, check_item, check_line, content_hash, is_blank
from tests.conftest import SHARED


def base() -> dict[str, Any]:
    return {
        "schema": "openmash.record/1",
        "source": {"agency": "police", "system": "niche"},
        "record_id": "POL-1",
        "version": 1,
        "kind": "da_incident",
        "occurred_at": "2024-12-02T01:00:00+00:00",
        "recorded_at": "2024-12-02T02:30:00Z",
        "address": {"lines": ["1 Newland View"], "town": "Lincoln", "postcode": "LN1 7ES"},
        "people": [
            {"ref": "p1", "role": "victim", "given_names": "Ann", "family_name": "Smith",
             "date_of_birth": "1990-01-01", "nhs_number": "943 476 5919"},
            {"ref": "p2", "role": "perpetrator", "given_names": "Bob", "family_name": "Smith"},
            {"ref": "c1", "role": "child_present", "given_names": "Cat", "date_of_birth": "2019-07-29"},
        ],
        "details": {"officer_risk": "medium", "dash": {"completed": True, "answers": {"1": "yes", "2": "no"}},
                    "children_seen": [{"ref": "c1", "seen": True}], "powers_used": ["arrest"]},
    }


def line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def changed(**fields: Any) -> dict[str, Any]:
    obj = base()
    obj.update(fields)
    return obj


def with_person(index: int, **fields: Any) -> dict[str, Any]:
    obj = base()
    obj["people"][index].update(fields)
    return obj


@pytest.fixture(params=["rs", "python"])
def validator(request, monkeypatch):
    """Run each check with both schema validators: the wording must not depend on which is installed."""
    if request.param == "python":
        python = contract._python_validator(json.loads(contract.SCHEMA_FILE.read_text()))
        monkeypatch.setattr(contract, "_validator", lambda: python)
    return request.param


def test_a_valid_record_is_accepted_without_warnings(validator):
    result = check_line(line(base()))
    assert result.accepted and result.warnings == ()
    assert result.record is not None and result.record.key == ("police", "POL-1")
    assert [p.ref for p in result.record.people] == ["p1", "p2", "c1"]


def test_a_byte_order_mark_is_ignored_only_on_the_first_line(validator):
    assert check_line(b"\xef\xbb\xbf" + line(base()), first_line=True).accepted
    later = check_line(b"\xef\xbb\xbf" + line(base()))
    assert not later.accepted and "byte order mark" in later.problems[0]


def test_a_version_with_a_zero_fraction_is_the_integer(validator):
    result = check_line(line(changed(version=2.0)))
    assert result.accepted and result.record.version == 2
    assert result.data["version"] == 2 and isinstance(result.data["version"], int)


@pytest.mark.parametrize(("obj", "expected"), [
    (changed(version="1"), ["version is not an integer (it is a string '1')"]),
    (changed(version=2.5), ["version is not an integer (it is the number 2.5)"]),
    (changed(version=0), ["version is 0, less than the minimum of 1"]),
    (changed(kind="burglary_report"), ["unknown kind 'burglary_report' (not one of the 20 kinds of contract §5)"]),
    (changed(people={"ref": "p1", "role": "victim"}), ["people is not an array (it is an object)"]),
    (changed(people=[]), ["people is empty: a record names at least one person"]),
    (changed(occurred_at="31/12/2024 23:10"), ["occurred_at '31/12/2024 23:10' does not parse as an RFC 3339 "
                                               "date-time with an offset (e.g. 2024-12-31T23:10:00Z or "
                                               "2024-12-31T23:10:00+01:00)"]),
    (with_person(0, date_of_birth="2015-02-30"), ["people[0].date_of_birth '2015-02-30' is not a real date"]),
    (changed(record_id=""), ["record_id is empty"]),
    (changed(schema="openmash.record/2"), ["schema must be 'openmash.record/1' (it is 'openmash.record/2')"]),
    (changed(narrative="N" * 20001), ["narrative is 20,001 characters long, longer than the 20,000 allowed "
                                      "(it is never truncated)"]),
    (changed(address="1 High St"), ["address is not an address object or null (it is a string '1 High St')"]),
    (changed(address={"lines": "1 High St"}), ["address.lines is not an array (it is a string '1 High St')"]),
])
def test_each_schema_violation_is_worded_for_the_sender(validator, obj, expected):
    assert list(check_line(line(obj)).problems) == expected


def test_the_record_id_of_a_bad_line_is_still_read(validator):
    result = check_line(line(changed(kind="nope")))
    assert (result.agency, result.record_id, result.kind) == ("police", "POL-1", "nope")


def test_every_problem_is_listed_not_only_the_first(validator):
    obj = changed(kind="welfare_check", version="3")
    del obj["people"]
    obj["occurred_at"] = "yesterday"
    problems = check_line(line(obj)).problems
    assert len(problems) == 4
    assert "missing required field people" in problems


def test_a_missing_nested_field_names_its_path(validator):
    obj = base()
    del obj["people"][1]["role"]
    assert check_line(line(obj)).problems == ("missing required field people[1].role",)


def test_an_unknown_role_lists_the_roles(validator):
    (problem,) = check_line(line(with_person(0, role="witness"))).problems
    assert problem.startswith("people[0].role 'witness' is an unknown role (expected one of: victim, perpetrator")


def test_recorded_before_occurred_is_quarantined():
    (problem,) = check_line(line(changed(recorded_at="2024-12-01T00:00:00Z"))).problems
    assert problem.startswith("recorded_at '2024-12-01T00:00:00Z' is before occurred_at")


def test_times_compare_as_instants_across_offsets():
    # 01:30+01:00 is 00:30Z: before occurred_at 01:00Z.
    assert not check_line(line(changed(recorded_at="2024-12-02T01:30:00+01:00"))).accepted
    assert check_line(line(changed(recorded_at="2024-12-02T02:30:00+01:00"))).accepted


def test_duplicate_refs_are_quarantined():
    (problem,) = check_line(line(with_person(2, ref="p2"))).problems
    assert problem == "duplicate person ref 'p2' (people[1] and people[2]): refs must be unique within a record"


@pytest.mark.parametrize(("raw", "start"), [
    (b'{"schema": "openmash.rec', "not JSON (truncated?)"),
    (b"[1, 2]", "not a JSON object: the line holds an array"),
    (b'{"version": NaN}', "not JSON: NaN is not a JSON value"),
    (b"{'a': 1}", "not JSON: Expecting property name"),
    (b'{"details": {"x": 1e400}}', "not JSON: the number 1e400 is too large to store"),
])
def test_lines_that_are_not_json_objects(raw, start):
    result = check_line(raw)
    assert result.problems[0].startswith(start), result.problems
    assert result.record_id is None and result.is_safeguarding


def test_not_utf8_is_a_problem_but_the_id_is_still_read():
    raw = line(with_person(0, family_name="M\u00fcller")).replace("Müller".encode(), b"M\xfcller")
    result = check_line(raw)
    assert result.problems[0].startswith("not UTF-8: byte 0xFC at position")
    assert len(result.problems) == 1 and result.record_id == "POL-1" and result.kind == "da_incident"


def test_text_that_no_database_can_store_is_quarantined():
    assert "NUL character" in check_line(line(with_person(0, given_names="A\u0000B"))).problems[0]
    assert "unpaired surrogate" in check_line(rb'{"x": "\ud800"}' ).problems[0]


def test_a_version_too_large_to_store_is_quarantined():
    assert "larger than the largest allowed" in check_line(line(changed(version=2**63))).problems[0]


def test_blank_lines():
    assert is_blank(b"   \t\r") and is_blank(b"\xef\xbb\xbf ", first_line=True)
    assert not is_blank(b"\xef\xbb\xbf") and not is_blank(b"{}")


# --- warnings ---------------------------------------------------------------------------------------------------

def warnings_of(obj: dict[str, Any]) -> tuple[str, ...]:
    result = check_line(line(obj))
    assert result.accepted, result.problems
    return result.warnings


def test_an_invalid_nhs_number_warns_and_is_not_trusted():
    result = check_line(line(with_person(0, nhs_number="943 476 5918")))
    (warning,) = result.warnings
    assert "people[0].nhs_number '943 476 5918' is not a valid NHS number" in warning
    assert result.record.people[0].nhs_number_valid is None


def test_a_doubtful_date_of_birth_warns_and_is_not_trusted():
    result = check_line(line(with_person(0, date_of_birth="2052-03-14")))
    assert "after the record's date" in result.warnings[0]
    assert result.record.people[0].trusted_date_of_birth is None
    assert "more than 120 years" in warnings_of(with_person(0, date_of_birth="1880-01-01"))[0]


def test_a_non_uk_postcode_warns_wherever_it_is():
    obj = changed(address={"postcode": "75002"})
    obj["people"][1]["address"] = {"postcode": "SW1A 1AA"}
    obj["people"][2]["address"] = {"postcode": "12345-678"}
    assert [w.split(" ")[0] for w in warnings_of(obj)] == ["address.postcode", "people[2].address.postcode"]


def test_ended_before_occurred_warns():
    assert "ended_at" in warnings_of(changed(ended_at="2024-12-01T00:00:00Z"))[0]


def test_a_child_role_aged_18_or_more_warns():
    (warning,) = warnings_of(with_person(2, date_of_birth="2006-12-02"))
    assert warning == "people[2] is named child_present but is 18 on 2024-12-02 by date of birth 2006-12-02"
    assert warnings_of(with_person(2, date_of_birth="2006-12-03")) == ()


def test_two_people_sharing_a_valid_nhs_number_warns():
    (warning,) = warnings_of(with_person(1, nhs_number="9434765919"))
    assert warning.startswith("people[0] and people[1] share NHS number 9434765919")


@pytest.mark.parametrize(("details", "fragment"), [
    ({"officer_risk": "very high"}, "details.officer_risk 'very high' is not one of"),
    ({"dash": {"answers": {"28": "yes"}}}, "outside '1'-'27'"),
    ({"dash": {"answers": {"3": "maybe"}}}, "details.dash.answers['3'] 'maybe'"),
    ({"children_seen": [{"ref": "c9", "seen": True}]}, "details.children_seen[0].ref 'c9' names no person"),
    ({"powers_used": ["arrest", "caution"]}, "details.powers_used[1] 'caution'"),
])
def test_details_values_outside_the_contract_lists_warn(details, fragment):
    obj = changed(details=details)
    (warning,) = warnings_of(obj)
    assert fragment in warning


def test_details_rules_apply_by_kind_and_unknown_keys_are_kept():
    obj = changed(kind="police_incident", details={"officer_risk": "very high", "tenure": "secure"})
    result = check_line(line(obj))
    assert result.warnings == () and result.record.details["tenure"] == "secure"
    assert warnings_of(changed(kind="csc_contact", details={"outcome": "s47"}))


def test_age_counts_completed_years_and_leap_birthdays():
    import datetime as dt
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18


def test_content_hash_ignores_key_order_and_spacing():
    obj = base()
    reordered = dict(reversed(list(copy.deepcopy(obj).items())))
    assert content_hash(obj) == content_hash(reordered)
    assert content_hash(obj) != content_hash(with_person(0, given_names="Anne"))


def test_the_packaged_schema_is_the_contract_schema():
    shared = SHARED / "spec" / "record-v1.schema.json"
    if not shared.exists():
        pytest.skip("the shared contract is not beside this checkout")
    assert json.loads(shared.read_text()) == json.loads(contract.SCHEMA_FILE.read_text())


def test_every_public_sample_record_is_accepted():
    for name in ("history.jsonl", "live.jsonl"):
        path = SHARED / "samples" / name
        if not path.exists():
            pytest.skip("the public sample is not beside this checkout")
        for number, raw in enumerate(path.read_bytes().splitlines(), 1):
            assert check_line(raw, first_line=number == 1).accepted, (name, number)


def test_api_items_are_checked_like_lines():
    assert check_item(base()).accepted
    assert check_item([base()]).problems[0].startswith("not a JSON object")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.binary(max_size=300))
def test_no_bytes_make_the_check_crash(data):
    result = check_line(data, first_line=True)
    assert result.accepted or result.problems


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_a_corrupted_valid_line_is_either_accepted_or_quarantined_with_reasons(position, byte):
    raw = bytearray(line(base()))
    raw[position % len(raw)] = byte
    result = check_line(bytes(raw))
    assert result.accepted == (not result.problems)
    if result.accepted:
        assert result.record is not None
