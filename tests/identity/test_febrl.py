"""FEBRL4 and FEBRL3 through the contract, against Splink on the same contract data in the same run.

Like for like: Splink 5 runs its demo notebook's model adapted to the fields that survive the contract, on
exactly the values our scorer compares (``febrl.contract_frame``), trained by the demo's own recipe; both
are scored pairwise at p >= 0.5 and at our link threshold, p >= 0.99.

What holds, and is asserted: every FEBRL row passes the contract; the linker's links are at least as
precise as Splink's at the link threshold; the linker's and the model's F1 stay above floors.

What does not hold yet, and is recorded as a strict expected failure: our F1 >= Splink's. Our blocking
keys all need a name or a date of birth, so FEBRL's many-error duplicates are never compared (the recall
ceiling is below Splink's recall); and the linker refuses the duplicates FEBRL made by replacing the given
name, which look exactly like twins (issue 4). docs/benchmarks.md (Identity, FEBRL) has the figures.
"""

from __future__ import annotations

from functools import cache

import pytest

from openmash.identity import febrl

pytestmark = pytest.mark.slow

THRESHOLDS = (0.5, 0.99)


@cache
def run(name: str) -> dict[str, febrl.Scores]:
    dataset = febrl.load(name)
    linker, _, model = febrl.link_openmash(dataset)
    ours = febrl.score_openmash_pairs(dataset, model, thresholds=THRESHOLDS)
    splink = febrl.link_splink_contract(dataset, thresholds=THRESHOLDS)
    return {"linker": linker, **{f"ours@{t}": ours[t] for t in THRESHOLDS},
            **{f"splink@{t}": splink[t] for t in THRESHOLDS}}


@pytest.mark.parametrize("name", ["febrl4", "febrl3"])
def test_the_linker_is_at_least_as_precise_as_splink_on_the_same_contract_data(name):
    scores = run(name)
    assert scores["linker"].precision >= scores["splink@0.99"].precision
    assert scores["linker"].f1 >= 0.88, scores["linker"]
    assert scores["ours@0.5"].f1 >= 0.95 and scores["ours@0.99"].precision >= 0.999, scores


@pytest.mark.xfail(strict=True, reason="blocking keys need a name or a date of birth (recall ceiling below "
                                       "Splink's recall), and the linker refuses FEBRL's renamed duplicates as twins")
@pytest.mark.parametrize("threshold", THRESHOLDS)
@pytest.mark.parametrize("name", ["febrl4", "febrl3"])
def test_our_f1_is_at_least_splinks_on_the_same_contract_data(name, threshold):
    scores = run(name)
    assert scores[f"ours@{threshold}"].f1 >= scores[f"splink@{threshold}"].f1
