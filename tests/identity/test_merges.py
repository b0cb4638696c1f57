"""Merge chains (identity.domain.merges): the person an id stands under now, and the ids merged into a person."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openmash.identity.domain.merges import absorbed, standing


def test_an_id_never_merged_stands_as_itself():
    assert standing(7, {}) == 7
    assert standing(7, {7: None}) == 7


def test_a_chain_of_merges_is_followed_to_its_end():
    assert standing(1, {1: 2, 2: 3, 3: None}) == 3
    assert absorbed(3, {3: [2], 2: [1]}) == {1, 2, 3}


def test_a_loop_stops_where_it_closes_instead_of_hanging():
    assert standing(1, {1: 2, 2: 1}) in {1, 2}
    assert absorbed(1, {1: [2], 2: [1]}) == {1, 2}


# A forest of merges: each id points to a strictly larger id or to nothing (a merge never loops).
forests = st.dictionaries(st.integers(0, 30), st.integers(0, 30)).map(
    lambda d: {k: (v if v > k else None) for k, v in d.items()})


@given(forests)
def test_every_id_is_among_the_aliases_of_the_person_it_stands_under(into):
    absorbed_by: dict[int, set[int]] = {}
    for child, parent in into.items():
        if parent is not None:
            absorbed_by.setdefault(parent, set()).add(child)
    for start in into:
        end = standing(start, into)
        assert into.get(end) is None
        assert start in absorbed(end, absorbed_by)
        assert all(standing(other, into) == end for other in absorbed(end, absorbed_by))
