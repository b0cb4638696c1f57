"""Batch linking (``identity.batch``): the SQL twins agree with real time, and the people it forms meet the bar."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmash.generator.county import generate_county
from openmash.identity import batch
from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.identity.domain.linker import SMALL_BLOCK, InMemoryStore, candidate_people
from openmash.identity.domain.scoring import LinkageModel
from openmash.intake.domain.record import Record

from .test_harness import pairwise


@cache
def county(seed: int) -> tuple[list[MentionFeatures], dict[tuple[str, str, str], str]]:
    """Each record's latest version's linkable mentions (as a rebuild sees them), and the truth."""
    made = generate_county(households=600, seed=seed, start=dt.datetime(2020, 11, 2, tzinfo=dt.UTC),
                           cutoff=dt.datetime(2024, 11, 2, tzinfo=dt.UTC), live_end=dt.datetime(2025, 5, 11, tzinfo=dt.UTC))
    latest: dict[tuple[str, str], Record] = {}
    for obj in made.history + made.live:
        record = Record.from_json(obj)
        if record.key not in latest or record.version > latest[record.key].version:
            latest[record.key] = record
    features = [mention_features(r, p) for r in latest.values() if not r.withdrawn for p in r.people if p.is_linkable]
    return features, {(a, r, p): t for a, r, p, t in made.truth}


def test_blocking_keys_in_sql_are_the_real_time_keys_string_for_string():
    features, _ = county(5)
    scorer = batch.DuckDBScorer()
    scorer.load(features)
    scorer.keys()
    in_sql: dict[int, set[str]] = defaultdict(set)
    rows = scorer.con.execute("SELECT m, key FROM mention_keys").fetchall()
    for m, key in rows:
        in_sql[m].add(key)
    assert all(in_sql[i] == blocking_keys(f) for i, f in enumerate(features))
    assert len(rows) == len(set(rows))  # each once: the block sizes count mentions


def test_a_mention_holds_each_key_once_even_from_lists_holding_a_value_twice():
    """Stored features of any version may repeat a value in a list (a name form, a household key): the keys in SQL
    are still each mention's set of keys, once each (``pairs_sql`` counts a block's mentions by its rows)."""
    features, _ = county(2)
    doubled = [dataclasses.replace(f, surnames=f.surnames + f.surnames, given=f.given + f.given[:1],
                                   household=f.household + f.household) for f in features[:40]]
    scorer = batch.DuckDBScorer()
    scorer.load(doubled)
    scorer.keys()
    rows = scorer.con.execute("SELECT m, key FROM mention_keys").fetchall()
    assert len(rows) == len(set(rows))
    assert {(m, key) for m, key in rows} == {(i, key) for i, f in enumerate(doubled) for key in blocking_keys(f)}


def test_candidate_pairs_in_sql_follow_the_real_time_rule():
    features, _ = county(5)
    # Mentions as holders (one person each), so block sizes are the same on both sides.
    holders: dict[str, set[str]] = defaultdict(set)
    keys = [blocking_keys(f) for f in features]
    for i, ks in enumerate(keys):
        for key in ks:
            holders[key].add(str(i))
    expected = set()
    for i, ks in enumerate(keys):
        for other in candidate_people({k: holders[k] for k in ks}):
            if int(other) > i:
                expected.add((i, int(other)))
    scorer = batch.DuckDBScorer()
    scorer.load(features)
    scorer.keys()
    scorer.pairs()
    assert set(scorer.con.execute("SELECT l, r FROM candidate_pairs").fetchall()) == expected


def test_a_broad_block_alone_finds_nobody_but_two_broad_keys_do():
    found = {"SY:SMITH|1980": {str(i) for i in range(SMALL_BLOCK + 5)},
             "GY:JOHN|1980": {"1", "2", "40"}, "SP:SMITH|PE218AA": {"3"}}
    assert candidate_people(found) == {"1", "2", "40", "3"}
    store = InMemoryStore()
    for person in found["SY:SMITH|1980"]:
        store.index.setdefault("SY:SMITH|1980", set()).add(person)
    store.index["GY:JOHN|1980"] = {"1"}
    assert store.candidates(["SY:SMITH|1980", "GY:JOHN|1980"]) == {"1"}


def test_a_building_line_or_name_prefix_block_finds_candidates_only_when_small():
    broad = {str(i) for i in range(SMALL_BLOCK + 5)}
    # Shared with a broad surname-and-year block, a broad building-line or name-prefix block finds nobody.
    assert candidate_people({"SY:SMITH|1980": broad, "L:1|HIGHSTREET": broad, "Q:JOH|SMI": broad}) == set()
    assert candidate_people({"L:16|TOWNSCRESCENT": {"7", "8"}}) == {"7", "8"}


@pytest.mark.parametrize("seed", [3, 17])
def test_batch_people_meet_the_bar_with_no_children_merged(seed):
    features, truth = county(seed)
    clusters, stats = batch.score_and_cluster(features, LinkageModel(), batch.DuckDBScorer())
    predicted = {features[i].mention_key: str(root) for root, members in clusters.members.items() for i in members}
    known = {k: truth[k] for k in predicted if k in truth}
    precision, recall = pairwise(known, predicted)
    assert precision >= 0.995 and recall >= 0.98, (precision, recall, stats)
    born = {truth[f.mention_key]: f.dob for f in features if f.dob and f.mention_key in truth}
    children = {t for t, dob in born.items() if dt.date.fromisoformat(dob) > dt.date(2007, 5, 11)}
    people: dict[str, set[str]] = defaultdict(set)
    for key, person in predicted.items():
        if key in truth:
            people[person].add(truth[key])
    assert not [p for p in people.values() if len(p & children) >= 2]


def test_splink_scores_the_pairs_as_the_in_process_scorer_does():
    from openmash.identity.domain.scoring import score_pair

    features, _ = county(5)
    model = LinkageModel()
    scorer, _ = _paired(features)
    scored = scorer.score(model)
    assert scored
    apart = [(i, j) for i, j, p in scored if abs(score_pair(model, features[i], features[j]).probability - p) > 0.01]
    # Only the Python scorer's extra given-name nuance (a middle name's typo) may differ: a handful in thousands.
    assert len(apart) <= len(scored) // 500 + 3, apart[:5]


def _paired(features: list[MentionFeatures]) -> tuple[batch.DuckDBScorer, int]:
    """A scorer with the mentions, their keys and candidate pairs in; and how many pairs."""
    scorer = batch.DuckDBScorer()
    scorer.load(features)
    scorer.keys()
    return scorer, scorer.pairs()


def _scored_pairs(features: list[MentionFeatures], model: LinkageModel, *, bound: bool) -> set[tuple[int, int, float]]:
    scorer, _ = _paired(features)
    if not bound:
        scorer.bound = False
    scored = {(i, j, round(p, 9)) for i, j, p in scorer.score(model)}
    scorer.close()
    return scored


def _frequencies(features: list[MentionFeatures]) -> dict[str, dict[str, float]]:
    """Name and town frequencies as training would give them (rare names weigh more)."""
    out: dict[str, dict[str, float]] = {}
    for name, value in (("given", lambda f: f.first_given), ("surname", lambda f: f.family), ("town", lambda f: f.town)):
        counts: dict[str, int] = defaultdict(int)
        for f in features:
            if (v := value(f)) is not None:
                counts[v] += 1
        total = sum(counts.values())
        out[name] = {v: n / total for v, n in counts.items()}
    return out


def test_the_bound_sets_aside_only_pairs_splink_scores_below_the_review_threshold():
    features, _ = county(5)
    model = LinkageModel()
    scorer, candidates = _paired(features)
    with_bound = scorer.score(model)
    assert scorer.bounded is not None and scorer.bounded < candidates / 2  # it does set most pairs aside
    # Bounded again with every level's own weight (no name frequencies here): Splink scores only what reaches review.
    assert scorer.bounded == len(with_bound)
    assert {(i, j, round(p, 9)) for i, j, p in with_bound} == _scored_pairs(features, model, bound=False)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_for_any_model_the_bound_keeps_every_pair_splink_would_score(data: st.DataObject):
    """m/u of every level drawn at random (trained models put levels in any order of weight), a prior and a review
    threshold drawn, name frequencies or none: what Splink scores is the same with the bound as without."""
    features, _ = county(7)
    base = LinkageModel()
    probability = st.floats(min_value=0.0005, max_value=0.9995)
    levels = {c: {level: (data.draw(probability), data.draw(probability)) for level in base.levels[c]}
              for c in base.levels if c not in ("nhs", "agency_id")}
    model = LinkageModel(
        levels={**base.levels, **levels}, prior=data.draw(st.floats(min_value=1e-7, max_value=1e-3)),
        review_at=data.draw(st.floats(min_value=0.05, max_value=0.95)),
        term_frequencies=_frequencies(features) if data.draw(st.booleans()) else {},
    )
    assert _scored_pairs(features, model, bound=True) == _scored_pairs(features, model, bound=False)


def test_no_bound_is_claimed_for_a_level_without_weights():
    from openmash.identity.training import splink_settings

    settings_ = splink_settings(LinkageModel())
    settings_["comparisons"][0]["comparison_levels"][2].pop("m_probability")
    assert batch.bound_sql(settings_, 0.5) is None
    assert batch.bound_sql(splink_settings(LinkageModel()), 0.5) is not None


@pytest.mark.parametrize(("in_workers", "everyone"), [(False, True), (True, True), (True, False)])
def test_stored_key_batches_are_each_persons_keys_hashed_person_by_person(monkeypatch, in_workers, everyone):
    from openmash.identity.blocking_index import key_hash

    features, _ = county(5)
    scorer = batch.DuckDBScorer()
    scorer.load(features)
    scorer.keys()
    person_of = [100 + i // 3 for i in range(len(features))]  # every three mentions one person
    targets = set(person_of) if everyone else {p for p in person_of if p % 2} | {7}  # 7 holds no mention
    if in_workers:
        monkeypatch.setattr(batch, "HASH_IN_WORKERS_FROM", 0)
        monkeypatch.setattr(batch, "HASH_CHUNK", 1000)  # several chunks, gathered in order
    secret = b"a test index secret"
    batches = scorer.person_key_batches(person_of, targets, secret=secret)
    rows = [row for part in batches for row in zip(part.column(0).to_pylist(), part.column(1).to_pylist(), strict=True)]
    expected = {(key_hash(key, secret), person) for i, person in enumerate(person_of) if person in targets
                for key in blocking_keys(features[i])}
    assert rows == sorted(expected, key=lambda row: (row[1], row[0]))
