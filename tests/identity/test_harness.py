"""The linker alone on counties it was not built on: the project generator, fresh seeds.

Counties of a few hundred households are too small for a stable pairwise recall (one person
with a second agency id, kept apart by the guard, can cost 1%), so these use 600.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from openmash.generator.county import generate_county
from openmash.identity.harness import Harness
from openmash.intake.domain.record import Record


def pairwise(truth: dict[tuple[str, str, str], str], predicted: dict[tuple[str, str, str], str]) -> tuple[float, float]:
    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(Counter((truth[k], predicted[k]) for k in truth))
    return both / max(pairs(Counter(predicted[k] for k in truth)), 1), both / max(pairs(Counter(truth.values())), 1)


@pytest.mark.parametrize("seed", [3, 17])
def test_generated_county_links_meet_the_bar_with_no_children_merged(seed):
    county = generate_county(households=600, seed=seed, start=dt.datetime(2020, 11, 2, tzinfo=dt.UTC),
                             cutoff=dt.datetime(2024, 11, 2, tzinfo=dt.UTC), live_end=dt.datetime(2025, 5, 11, tzinfo=dt.UTC))
    records = sorted((Record.from_json(o) for o in county.history + county.live), key=lambda r: r.recorded_at)
    harness = Harness()
    harness.run(records)
    predicted = {(a, r, p): person for a, r, p, person in harness.links()}
    truth = {(a, r, p): t for a, r, p, t in county.truth if (a, r, p) in predicted}
    precision, recall = pairwise(truth, predicted)
    assert precision >= 0.995 and recall >= 0.98, (precision, recall)
    born: dict[str, dt.date] = {}
    for key, features in harness.features().items():
        if features.dob:
            born.setdefault(truth[key], dt.date.fromisoformat(features.dob))
    children = {t for t, d in born.items() if d > dt.date(2007, 5, 11)}
    clusters: dict[str, set[str]] = defaultdict(set)
    for key, person in predicted.items():
        clusters[person].add(truth[key])
    assert not [people for people in clusters.values() if len(people & children) >= 2]
