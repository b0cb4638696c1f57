"""Training with Splink 5 on DuckDB gives a usable, serialisable model."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.generator.county import generate_county
from openmash.identity.domain.blocking import birth_years, given_keys, surname_keys
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.names import given_variants, surname_stem
from openmash.identity.domain.scoring import LinkageModel
from openmash.identity.harness import Harness
from openmash.identity.training import features_table, train_model
from openmash.intake.domain.record import Record

from .mentions import HOME, one


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


# --- the features table ------------------------------------------------------------------------------------------

_NAMES = ["John", "Jon", "Bill", "William", "Kasia", "Katarzyna", "Łukasz", "Anna-Maria", "Smith", "Kowalska", ""]


@st.composite
def _drawn_features(draw: st.DrawFn) -> MentionFeatures:
    dated = draw(st.booleans())
    return one(
        agency=draw(st.sampled_from(["gp", "police"])),
        given_names=" ".join(draw(st.lists(st.sampled_from(_NAMES), max_size=4))) or None,
        family_name=draw(st.sampled_from(["Smith", "Kowalska", "Nowak-Smith", "Baby", None])),
        other_names=draw(st.lists(st.sampled_from(["Anna Kowalski", "Jones", "Nowakowa"]), max_size=2)),
        **({"date_of_birth": draw(st.sampled_from(["1980-01-02", "2012-06-24", "2019-12-31"]))} if dated
           else {"estimated_age": draw(st.integers(0, 90))} if draw(st.booleans()) else {}),
        sex=draw(st.sampled_from([None, "female", "male"])),
        agency_person_id=draw(st.sampled_from([None, "A1"])),
        address=draw(st.sampled_from([None, HOME, {"lines": ["Flat 2", "41 High St"], "postcode": "PE25 1AA"},
                                      {"lines": ["Nowhere"], "town": "Skegness", "uprn": "100123"}])),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_drawn_features(), max_size=8), st.integers(0, 1000))
def test_each_row_of_the_features_table_holds_its_mentions_own_derived_values(features, first_id):
    # The table is built row by row from cached derivations (a rebuild makes a million rows): each column must
    # still be its own mention's value, in the column it is named for.
    rows = features_table(features, first_id=first_id).to_pylist()
    assert len(rows) == len(features)
    for i, (row, f) in enumerate(zip(rows, features, strict=True)):
        formals = sorted(set().union(*(given_variants(t) for t in f.given[:3])))
        years = [int(f.dob[:4])] * 2 if f.dob else list(f.birth_years or (None, None))
        assert row["unique_id"] == first_id + i
        assert (row["given_first"], row["given_all"], row["given_formals"]) == (
            f.given[0] if f.given else None, list(f.given), formals)
        assert row["given_joined"] == ("".join(f.given) if len(f.given) > 1 else None)
        assert (row["family"], row["surname_forms"]) == (f.family or None, list(f.surnames))
        assert row["surname_stems"] == sorted({surname_stem(s) for s in f.surnames})
        assert [row["birth_lo"], row["birth_hi"]] == years
        assert row["adult"] == (years[1] is not None and int(f.occurred[:4]) - years[1] >= 18)
        assert row["dob_md"] == (f.dob[5:7] + f.dob[8:10] if f.dob else None)
        assert (row["postcode"], row["district"], row["households"]) == (
            f.postcode, f.postcode[:-3] if f.postcode else None, list(f.household))
        assert row["uprns"] == [k for k in f.household if k.startswith("U:")]
        assert (row["key_surnames"], row["key_givens"], row["key_years"]) == (
            list(surname_keys(f)), list(given_keys(f)), list(birth_years(f)))
        assert (row["agency"], row["agency_person_id"], row["sex"], row["nhs"]) == (f.agency, f.agency_person_id,
                                                                                    f.sex, f.nhs)


def test_a_features_worker_imports_the_features_table_without_pandas():
    """Each worker of a rebuild imports this module for ``features_table``; pandas (0.6 s a process) is not needed."""
    import subprocess
    import sys

    code = "import sys, openmash.identity.training; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
