"""The contract's address identity: building lines, places and the household keys identity indexes on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.intake.domain.address import (
    household_lookup_keys,
    normalise_address,
    same_building,
    same_household,
)
from openmash.intake.domain.record import Address

LINES = ["Flat 2", "41 High St", "2/14 Mill Ln", "Flat 3, 14 Mill Lane", "14 MILL LANE", "The Old Forge", "Boston",
         "", "  14   mill  lane  "]


def test_a_flat_and_an_abbreviated_street_are_read_into_one_building_line():
    address = normalise_address(Address(("Flat 2", "41 High St", "Boston"), postcode="pe21 8aa"))
    assert (address.building.number, address.building.street, address.building.flat) == ("41", "HIGH STREET", "2")
    assert (address.postcode, address.town) == ("PE218AA", "BOSTON")
    assert household_lookup_keys(address) == ("B:41|HIGH STREET|2|P:PE218AA", "B:41|HIGH STREET|2|T:BOSTON")


def test_the_same_home_written_two_ways_is_the_same_household_and_another_flat_only_the_same_building():
    one = normalise_address(Address(("14 Mill Lane",), town="Boston", postcode="PE21 8AA"))
    two = normalise_address(Address(("14 MILL LN",), town="BOSTON", postcode="pe218aa"))
    flat = normalise_address(Address(("Flat 3, 14 Mill Lane",), postcode="PE21 8AA"))
    assert same_household(one, two) and set(household_lookup_keys(one)) & set(household_lookup_keys(two))
    assert not same_household(one, flat) and same_building(one, flat)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=4), st.sampled_from([None, "Boston", "  skegness "]),
       st.sampled_from([None, "PE21 8AA", "pe25 1aa", "not a postcode"]), st.sampled_from([None, "100123"]),
       st.booleans())
def test_an_address_normalises_the_same_whether_its_lines_are_a_list_or_a_tuple_and_however_often(
        lines, town, postcode, uprn, confidential):
    # Normalising is cached (a rebuild normalises every record's address): an address whose lines arrive as a
    # list (unhashable) must still normalise, to the same value, and a cached answer must equal a fresh one.
    as_tuple = Address(tuple(lines), town, postcode, uprn, confidential)
    as_list = Address(lines, town, postcode, uprn, confidential)  # type: ignore[arg-type]
    first = normalise_address(as_tuple)
    assert normalise_address(as_list) == first == normalise_address(as_tuple)
    fresh = normalise_address.__globals__["_normalised"].__wrapped__(tuple(lines), town, postcode, uprn, confidential)
    assert first == fresh
    assert first.confidential is confidential and first.uprn == uprn
