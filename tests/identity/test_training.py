"""Training with Splink 5 on DuckDB gives a usable, serialisable model."""

from __future__ import annotations

import datetime as dt
import json

from openmash.generator.county import generate_county
from openmash.identity.domain.scoring import LinkageModel
from openmash.identity.harness import Harness
from openmash.identity.training import train_model
from openmash.intake.domain.record import Record


def test_a_model_trained_on_stored_mentions_round_trips_and_still_links_well():
    county = generate_county(households=300, seed=23, start=dt.datetime(2020, 11, 2, tzinfo=dt.UTC),
                             cutoff=dt.datetime(2024, 11, 2, tzinfo=dt.UTC), live_end=dt.datetime(2025, 5, 11, tzinfo=dt.UTC))
    records = sorted((Record.from_json(o) for o in county.history + county.live), key=lambda r: r.recorded_at)
    first = Harness()
    first.run(records)
    model = train_model(list(first.features().values()), version="test-1")
    assert model.version == "test-1" and 0 < model.prior < 1
    assert model.term_frequencies["surname"] and model.trained_on["engine"] == "splink-duckdb"
    for levels in model.levels.values():
        for m, u in levels.values():
            assert 0 < m < 1 and 0 < u < 1
    assert model.levels["dob"]["exact"][0] > model.levels["dob"]["exact"][1]
    assert LinkageModel.from_json(json.loads(json.dumps(model.to_json()))) == model
    retrained = Harness(model)
    retrained.run(records)
    truth = {(a, r, p): t for a, r, p, t in county.truth}
    persons_of_truth: dict[str, set[str]] = {}
    for a, r, p, person in retrained.links():
        persons_of_truth.setdefault(person, set()).add(truth[(a, r, p)])
    merged = sum(1 for people in persons_of_truth.values() if len(people) > 1)
    assert merged <= len(persons_of_truth) * 0.002
