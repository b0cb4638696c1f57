"""The address comparisons: one comparison where postcodes place both sides, three parts where they do not."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.identity.domain.scoring import COMPARISONS, LinkageModel, comparison_levels, score_pair

from .mentions import one

WITH_POSTCODE = {"lines": ["14 Mill Lane"], "town": "Boston", "postcode": "PE21 8AA"}
NO_POSTCODE = {"lines": ["14 Mill Lane"], "town": "Boston"}


def _address(lines: str, town: str, postcode: str | None = None) -> dict[str, object]:
    return {"lines": [lines], "town": town, **({"postcode": postcode} if postcode else {})}


def _levels(left: dict[str, object], right: dict[str, object]) -> tuple[str | None, ...]:
    levels = comparison_levels(one(family_name="Nowak", address=left), one(family_name="Nowak", address=right))
    return tuple(levels[name] for name in ("address", "number", "street", "town"))


@pytest.mark.parametrize(("left", "right", "expected"), [
    # Postcodes place both sides: the address is one comparison, the parts say nothing.
    (WITH_POSTCODE, WITH_POSTCODE, ("household", None, None, None)),
    (WITH_POSTCODE, _address("22 Mill Lane", "Boston", "PE21 8AA"), ("postcode", None, None, None)),
    (WITH_POSTCODE, _address("14 Mill Lane", "Skegness", "PE25 1AA"), ("building", None, None, None)),
    # A postcode missing on either side: the parts, each on its own.
    (NO_POSTCODE, WITH_POSTCODE, (None, "exact", "exact", "exact")),
    (NO_POSTCODE, NO_POSTCODE, (None, "exact", "exact", "exact")),
    (NO_POSTCODE, _address("41 Mill Lnae", "Bostn"), (None, "else", "typo", "typo")),
    (NO_POSTCODE, _address("14 Church Road", "Boston"), (None, "exact", "else", "exact")),
    (NO_POSTCODE, _address("14 Mill Lane", "Skegness"), (None, "exact", "exact", "else")),
    (NO_POSTCODE, {"lines": ["The Old Barn"], "town": "Boston"}, (None, None, None, "exact")),
    # Two UPRNs place both sides as a postcode does.
    ({**NO_POSTCODE, "uprn": "100030000001"}, {**NO_POSTCODE, "uprn": "100030000002"}, ("town", None, None, None)),
])
def test_the_address_is_compared_whole_where_postcodes_place_it_and_part_by_part_where_not(left, right, expected):
    assert _levels(left, right) == expected


def test_all_three_parts_agreeing_weigh_what_one_household_does_untrained():
    # So that a family at one address weighs no more when a postcode is missing than when it is there.
    model = LinkageModel()
    household = model.weight("address", "household")
    parts = model.weight("number", "exact") + model.weight("street", "exact") + model.weight("town", "exact")
    assert abs(parts - household) < 0.5


SIBLINGS = st.tuples(st.sampled_from(["Amelia", "Oliver", "Zofia", "Jack", "Harry", "Maja"]),
                     st.sampled_from(["Isla", "Noah", "Lena", "Jake", "George", "Kuba"])).filter(lambda p: p[0] != p[1])


@given(SIBLINGS, st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2023, 12, 31)),
       st.integers(min_value=300, max_value=4000), st.booleans(), st.booleans())
def test_siblings_at_one_address_never_link_and_weigh_the_same_without_postcodes(names, born, apart_days, left_pc,
                                                                                 right_pc):
    first, second = names
    family = {"family_name": "Kowalski", "sex": "female"}
    younger_born = (born + dt.timedelta(days=apart_days)).isoformat()

    def score(left: dict[str, object], right: dict[str, object]) -> float:
        return score_pair(model, one(given_names=first, date_of_birth=born.isoformat(), address=left, **family),
                          one(given_names=second, date_of_birth=younger_born, address=right, **family)).weight

    model = LinkageModel()
    weight = score(WITH_POSTCODE if left_pc else NO_POSTCODE, WITH_POSTCODE if right_pc else NO_POSTCODE)
    assert weight < model.link_weight
    assert abs(weight - score(WITH_POSTCODE, WITH_POSTCODE)) < 0.5


def test_a_parent_and_child_of_one_name_at_one_address_without_postcodes_are_not_linked():
    model = LinkageModel()
    for address in (WITH_POSTCODE, NO_POSTCODE):
        parent = one(given_names="Michael", family_name="Byrne", date_of_birth="1979-04-02", address=address)
        child = one(given_names="Michael", family_name="Byrne", date_of_birth="2009-11-20", address=NO_POSTCODE)
        assert score_pair(model, parent, child).probability < model.link_at


def test_the_town_agreeing_counts_for_less_when_the_town_is_common():
    model = LinkageModel(term_frequencies={"town": {"BOSTON": 0.4, "WRANGLE": 0.001}})
    assert model.weight("town", "exact", "BOSTON") < model.weight("town", "exact", "WRANGLE")


def test_a_model_stored_for_other_comparisons_is_not_current():
    stored = LinkageModel().to_json()
    assert LinkageModel.from_json(json.loads(json.dumps(stored))).is_current
    del stored["comparisons"]
    assert not LinkageModel.from_json(stored).is_current
    assert LinkageModel.from_json({**stored, "comparisons": COMPARISONS - 1}).comparisons != COMPARISONS
