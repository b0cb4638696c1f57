"""Search rules as a table: enough criteria to identify someone, fuzzy names, exact identifiers."""

from __future__ import annotations

import datetime as dt

import pytest

from openmash.governance.domain.search_rules import SearchQuery, matches, problems, search_keys

ANNA = {"given": ["ANNA"], "family": "KOWALSKA", "surnames": ["KOWALSKA"], "dob": "1990-02-03",
        "nhs": "9990000026", "postcode": "PE218AA"}


@pytest.mark.parametrize("query, expected", [
    (SearchQuery(nhs_number="999 000 0026"), []),
    (SearchQuery(nhs_number="1234567890"), ["nhs_number_invalid"]),
    (SearchQuery(family_name="Kowalska"), ["too_few_criteria"]),
    (SearchQuery(given_names="Anna"), ["too_few_criteria"]),
    (SearchQuery(given_names="Anna", family_name="Kowalska"), []),
    (SearchQuery(family_name="Kowalska", date_of_birth=dt.date(1990, 2, 3)), []),
    (SearchQuery(postcode="PE21 8AA", date_of_birth=dt.date(1990, 2, 3)), []),
    (SearchQuery(postcode="nowhere", date_of_birth=dt.date(1990, 2, 3)), ["postcode_invalid"]),
    (SearchQuery(), ["too_few_criteria"]),
])
def test_what_a_search_needs(query, expected):
    assert problems(query) == expected


@pytest.mark.parametrize("query", [
    SearchQuery(given_names="Ania", family_name="Kowalski", date_of_birth=dt.date(1990, 2, 3)),  # nickname, stem
    SearchQuery(given_names="Anna", family_name="Kowalsak"),  # typo
    SearchQuery(family_name="KOWALSKA", date_of_birth=dt.date(1990, 3, 2)),  # day/month swapped
    SearchQuery(nhs_number="9990000026"),
    SearchQuery(family_name="Kowalska", postcode="pe21 8aa"),
])
def test_fuzzy_matches(query):
    assert matches(query, [ANNA]) > 0
    assert search_keys(query)


@pytest.mark.parametrize("query", [
    SearchQuery(given_names="Anna", family_name="Nowak"),
    SearchQuery(family_name="Kowalska", date_of_birth=dt.date(1991, 2, 3)),
    SearchQuery(nhs_number="9990000034"),
    SearchQuery(family_name="Kowalska", postcode="PE21 8AB"),
])
def test_non_matches(query):
    assert matches(query, [ANNA]) == 0


def test_the_audit_gets_the_fields_used_never_the_values():
    assert SearchQuery(given_names="Anna", family_name="K").fields_used() == ["given_names", "family_name"]
