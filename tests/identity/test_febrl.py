"""FEBRL4 and FEBRL3 through the contract, against Splink's own demo models in the same run.

What holds, and is asserted: every FEBRL row passes the contract; OpenMASH's links are at least as
precise as Splink's; and the linker's F1 stays above a floor.

What does not hold, and is recorded as a strict expected failure: the linker's F1 ≥ Splink's. Through
the contract the linker has neither the social security number nor the (Australian) postcode that
Splink's demo model scores; it links only at p ≥ 0.99 (the band below goes to review, unmerged); and it
refuses to merge two records with the same surname and date of birth but unrelated given names, the
"twins" guard that FEBRL's corrupted duplicates trip hundreds of times. docs/benchmarks.md (Identity,
FEBRL) has the figures and the breakdown of the missed pairs.
"""

from __future__ import annotations

from functools import cache

import pytest

from openmash.identity import febrl

pytestmark = pytest.mark.slow


@cache
def run(name: str) -> dict[str, febrl.Scores]:
    dataset = febrl.load(name)
    ours, _, _ = febrl.link_openmash(dataset)
    return {"ours": ours, "splink": febrl.link_splink_demo(dataset)}


@pytest.mark.parametrize("name", ["febrl4", "febrl3"])
def test_openmash_links_are_at_least_as_precise_as_splinks_demo_model(name):
    scores = run(name)
    assert scores["ours"].precision >= scores["splink"].precision
    assert scores["ours"].f1 >= 0.85, scores["ours"]


@pytest.mark.xfail(strict=True, reason="no social security number or UK postcode through the contract, links only "
                                       "at p >= 0.99, and the twins guard refuses FEBRL's renamed duplicates")
@pytest.mark.parametrize("name", ["febrl4", "febrl3"])
def test_openmash_f1_is_at_least_splinks_demo_model(name):
    scores = run(name)
    assert scores["ours"].f1 >= scores["splink"].f1
