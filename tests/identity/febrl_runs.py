"""FEBRL4 and FEBRL3 through the contract, against Splink on the same contract data in the same run.

The tests below are collected in ``test_febrl4.py`` and ``test_febrl3.py``, one file per dataset, so that
the two (each under a minute) run side by side on CI's two xdist workers (``--dist loadfile``).

Like for like: Splink 5 runs its demo notebook's model adapted to the fields that survive the contract, on
exactly the values our scorer compares (``febrl.contract_frame``), trained by the demo's own recipe; both
are scored pairwise at p >= 0.5 and at our link threshold, p >= 0.99.

What holds, and is asserted: every FEBRL row passes the contract; the blocking keys compare nearly every true
pair; the linker's links are at least as precise as Splink's at the link threshold; the linker's and the
model's F1 stay above floors.

And our F1 >= Splink's at both thresholds, on both datasets, since the address is compared part by part (the
building number, the street, the town) where no postcode places it, as FEBRL's records are. A threshold where it
fails again goes into ``NOT_MET`` (a strict expected failure) with the reason in docs/benchmarks.md (Identity, FEBRL).
"""

from __future__ import annotations

from functools import cache

import pytest

from openmash.identity import febrl

THRESHOLDS = (0.5, 0.99)


@cache
def run(name: str) -> dict[str, febrl.Scores]:
    """Each figure once per dataset: the model is trained once (inside the linker's run) and reused to score
    the candidate pairs, which are found once; Splink is trained once and scored at both thresholds."""
    dataset = febrl.load(name)
    linker, _, model = febrl.link_openmash(dataset)
    pairs = febrl.candidate_pairs(dataset)
    ours = febrl.score_openmash_pairs(dataset, model, thresholds=THRESHOLDS, pairs=pairs)
    splink = febrl.link_splink_contract(dataset, thresholds=THRESHOLDS)
    blocking = febrl.blocking_recall(dataset, pairs)
    return {"linker": linker, **{f"ours@{t}": ours[t] for t in THRESHOLDS},
            **{f"splink@{t}": splink[t] for t in THRESHOLDS},
            "blocking": febrl.Scores(1.0, blocking, blocking, len(dataset.true_pairs), len(pairs), 0.0)}


#: (dataset, threshold) where our F1 is below Splink's: a strict expected failure, so that meeting it fails the test
#: until it is removed from here (docs/benchmarks.md, Identity, FEBRL, has the figures and why). None since the
#: address parts (scoring.COMPARISONS 2).
NOT_MET: set[tuple[str, float]] = set()


# The tests, collected in each dataset's own file (which defines the ``febrl`` fixture: the dataset's name).


def test_the_linker_is_at_least_as_precise_as_splink_on_the_same_contract_data(febrl):
    scores = run(febrl)
    assert scores["linker"].precision >= scores["splink@0.99"].precision
    assert scores["linker"].f1 >= 0.88, scores["linker"]
    assert scores["ours@0.5"].f1 >= 0.97 and scores["ours@0.99"].precision >= 0.999, scores


def test_the_blocking_keys_compare_nearly_every_true_pair(febrl):
    # Many-error duplicates (names, date and town all changed) are found by the building line alone and by the
    # names' first letters; before those keys 2.8% (FEBRL4) and 5% (FEBRL3) of true pairs were never compared.
    assert run(febrl)["blocking"].recall >= 0.985, run(febrl)["blocking"]


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_our_f1_is_at_least_splinks_on_the_same_contract_data(febrl, threshold, request):
    if (febrl, threshold) in NOT_MET:
        request.applymarker(pytest.mark.xfail(strict=True, reason="our model is more cautious than Splink's with "
                                              "FEBRL's many-error duplicates"))
    scores = run(febrl)
    assert scores[f"ours@{threshold}"].f1 >= scores[f"splink@{threshold}"].f1
