"""The synthetic county generator: contract-valid, deterministic, realistic enough to test linking."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from openmash.generator.county import ALL_KINDS, GeneratedCounty, generate_county
from openmash.generator.people import nhs_valid

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "record-v1.schema.json"
PACKAGED = Path(__file__).resolve().parents[2] / "src" / "openmash" / "intake" / "domain" / "record-v1.schema.json"
START = dt.datetime(2020, 11, 2, tzinfo=dt.UTC)
CUTOFF = dt.datetime(2024, 11, 2, tzinfo=dt.UTC)
LIVE_END = dt.datetime(2025, 5, 11, tzinfo=dt.UTC)


@cache
def validator() -> Draft202012Validator:
    path = SPEC if SPEC.exists() else PACKAGED
    return Draft202012Validator(json.loads(path.read_text()), format_checker=FormatChecker())


def county(households: int, seed: int = 7) -> GeneratedCounty:
    return _county(households, seed)


@cache
def _county(households: int, seed: int) -> GeneratedCounty:
    return generate_county(households=households, seed=seed, start=START, cutoff=CUTOFF, live_end=LIVE_END)


def records(c: GeneratedCounty) -> list[dict[str, Any]]:
    return c.history + c.live


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def assert_valid(c: GeneratedCounty) -> None:
    v = validator()
    for rec in records(c):
        errors = [e.message for e in v.iter_errors(rec)]
        assert not errors, (rec["record_id"], errors)
        assert at(rec["recorded_at"]) >= at(rec["occurred_at"]), rec["record_id"]
        if rec.get("ended_at"):
            assert at(rec["ended_at"]) >= at(rec["occurred_at"]), rec["record_id"]
        refs = [p["ref"] for p in rec["people"]]
        assert len(refs) == len(set(refs)), rec["record_id"]
    cut = CUTOFF
    assert all(at(r["recorded_at"]) < cut for r in c.history)
    assert all(cut <= at(r["recorded_at"]) < LIVE_END for r in c.live)
    for part in (c.history, c.live):
        times = [at(r["recorded_at"]) for r in part]
        assert times == sorted(times)


def test_every_record_is_schema_valid_with_formats() -> None:
    assert_valid(county(200))


def test_same_seed_gives_the_same_county_and_another_seed_does_not() -> None:
    a = generate_county(households=60, seed=11, start=START, cutoff=CUTOFF, live_end=LIVE_END)
    b = generate_county(households=60, seed=11, start=START, cutoff=CUTOFF, live_end=LIVE_END)
    c = generate_county(households=60, seed=12, start=START, cutoff=CUTOFF, live_end=LIVE_END)
    assert json.dumps(records(a)) == json.dumps(records(b))
    assert a.truth == b.truth
    assert json.dumps(records(a)) != json.dumps(records(c))


def test_every_kind_in_the_contract_appears() -> None:
    kinds = {r["kind"] for r in records(county(300))}
    assert kinds == set(ALL_KINDS)


def test_every_kind_appears_even_in_a_small_county() -> None:
    kinds = {r["kind"] for r in records(county(40, seed=3))}
    assert kinds == set(ALL_KINDS)


def test_truth_covers_every_named_person_except_professionals() -> None:
    c = county(300)
    mentions = {(r["source"]["agency"], r["record_id"], p["ref"])
                for r in records(c) for p in r["people"] if p["role"] != "professional"}
    professionals = {(r["source"]["agency"], r["record_id"], p["ref"])
                     for r in records(c) for p in r["people"] if p["role"] == "professional"}
    keys = [row[:3] for row in c.truth]
    assert len(keys) == len(set(keys))
    assert set(keys) == mentions
    assert professionals and not professionals & set(keys)


def test_versions_keep_identity_and_grow() -> None:
    versions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for rec in records(county(300)):
        versions[(rec["source"]["agency"], rec["record_id"])].append(rec)
    resent = [v for v in versions.values() if len(v) > 1]
    assert resent
    for vs in versions.values():
        assert [r["version"] for r in vs] == list(range(1, len(vs) + 1))
        assert len({r["kind"] for r in vs}) == 1
        assert len({tuple(p["ref"] for p in r["people"]) for r in vs}) == 1
    ended = [vs for vs in resent if vs[0].get("ended_at") is None and vs[-1].get("ended_at")]
    assert ended


def test_twins_share_birth_date_surname_and_address_but_not_given_name() -> None:
    c = county(1000)
    truth = {row[:3]: row[3] for row in c.truth}
    seen: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for rec in records(c):
        for p in rec["people"]:
            if p["role"] == "professional":
                continue
            facts = seen[truth[(rec["source"]["agency"], rec["record_id"], p["ref"])]]
            facts["dob"][p.get("date_of_birth") or ""] += 1
            facts["family"][p["family_name"].casefold()] += 1
            facts["given"][p["given_names"].split()[0]] += 1
            postcode = (p.get("address") or {}).get("postcode") or ""
            facts["postcode"][postcode.replace(" ", "").upper()] += 1
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for pid, facts in seen.items():
        key = tuple(facts[k].most_common(1)[0][0] for k in ("dob", "family", "postcode"))
        groups[key].append(pid)  # type: ignore[index]
    twins = [ids for key, ids in groups.items() if len(ids) > 1 and all(key)]
    assert len(twins) >= 1000 // 200
    for ids in twins:
        assert len({seen[i]["given"].most_common(1)[0][0] for i in ids}) == len(ids)


def test_realistic_data_quality() -> None:
    c = county(1000)
    people = [p for r in records(c) for p in r["people"] if p["role"] != "professional"]
    police = [p for r in records(c) if r["source"]["agency"] == "police" for p in r["people"]]
    health = [p for r in records(c) if r["source"]["agency"] in ("gp", "midwifery", "ed") for p in r["people"]]
    numbers = [p["nhs_number"] for p in people if p.get("nhs_number")]
    invalid = [n for n in numbers if not nhs_valid(n)]
    assert all(n.replace(" ", "").replace("-", "").startswith("999") for n in numbers)
    assert 0.005 < len(invalid) / len(numbers) < 0.06
    assert sum(1 for p in police if p.get("nhs_number")) / len(police) < 0.15
    assert sum(1 for p in health if p.get("nhs_number")) / len(health) > 0.85
    assert any(p.get("estimated_age") is not None and p["date_of_birth"] is None for p in people)
    assert any(p.get("other_names") for p in people)
    assert any(p.get("language") in ("pl", "lt", "ro") for p in people)
    assert any(any(ord(ch) > 127 for ch in p["family_name"]) for p in people)
    addresses = [p["address"] for p in people if p.get("address")]
    assert any(a.get("uprn") for a in addresses) and any(not a.get("uprn") for a in addresses)
    refuges = [a for a in addresses if a.get("confidential")]
    assert refuges
    # Not every agency flags a refuge: the same refuge address appears unflagged somewhere.
    def postcode(a: dict[str, Any]) -> str:
        return (a.get("postcode") or "").replace(" ", "").upper()

    refuge_postcodes = {postcode(a) for a in refuges} - {""}
    assert any(postcode(a) in refuge_postcodes and not a.get("confidential") for a in addresses)


def test_repeat_domestic_abuse_and_perpetrators_who_move_on() -> None:
    c = county(1000)
    truth = {row[:3]: row[3] for row in c.truth}
    victims: Counter[str] = Counter()
    perp_homes: dict[str, set[str]] = defaultdict(set)
    for rec in c.history:
        if rec["kind"] != "da_incident":
            continue
        for p in rec["people"]:
            pid = truth[(rec["source"]["agency"], rec["record_id"], p["ref"])]
            if p["role"] == "victim":
                victims[pid] += 1
    for rec in records(c):
        for p in rec["people"]:
            if p["role"] == "perpetrator":
                perp_homes[truth[(rec["source"]["agency"], rec["record_id"], p["ref"])]]
    assert victims.most_common(1)[0][1] >= 11
    assert perp_homes


def test_write_produces_feeds_truth_and_manifest(tmp_path: Path) -> None:
    c = county(60)
    c.write(tmp_path)
    history = (tmp_path / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in history] == c.history
    with (tmp_path / "truth_links.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["agency", "record_id", "person_ref", "true_person_id"]
    assert [tuple(r) for r in rows[1:]] == c.truth
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["households"] == 60
    assert manifest["cutoff"] == CUTOFF.isoformat()
    assert sum(manifest["counts_history"].values()) == len(c.history)
    assert sum(manifest["counts_live"].values()) == len(c.live)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), households=st.integers(min_value=1, max_value=6))
def test_any_seed_gives_a_valid_tiny_county(seed: int, households: int) -> None:
    c = generate_county(households=households, seed=seed, start=START, cutoff=CUTOFF, live_end=LIVE_END)
    assert_valid(c)
    mentions = {(r["source"]["agency"], r["record_id"], p["ref"])
                for r in records(c) for p in r["people"] if p["role"] != "professional"}
    assert {row[:3] for row in c.truth} == mentions


def test_cli_writes_a_county(tmp_path: Path) -> None:
    from openmash.generator.cli import main

    assert main(["generate", "--households", "5", "--seed", "3", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"history.jsonl", "live.jsonl", "truth_links.csv", "manifest.json"}
    assert main(["generate", "--households", "0", "--out", str(tmp_path)]) == 2


def test_only_nhs_numbers_are_doubtful() -> None:
    """Dates of birth and postcodes are never doubtful (§1 warnings): the mistakes are the realistic kind."""
    import re

    uk = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
    for rec in records(county(300)):
        on = at(rec["occurred_at"]).date()
        for p in rec["people"]:
            dob = p.get("date_of_birth")
            if dob:
                born = dt.date.fromisoformat(dob)
                assert born <= on, rec["record_id"]
                if p["role"] in ("child_present", "child_in_household"):
                    assert (on.year - born.year - ((on.month, on.day) < (born.month, born.day))) < 18
            for address in (p.get("address"), rec.get("address")):
                if address and address.get("postcode"):
                    assert uk.match(address["postcode"].replace(" ", "").upper())
