"""Identity real time: one incoming person-in-record matched against 1,000,000 stored persons.

    .venv/bin/python bench/identity_realtime.py [--persons 1000000] [--probes 400] [--splink-probes 60]
                                                [--backends postgres,sqlite] [--no-docs]

Data: ``bench/_identity_people.py`` (the project generator's households and agency writing habits
at national scale). Each stored person has one person-record; the probes are new records written by
another agency (or another clerk) about 80% stored people and 20% people never seen.

Each backend runs in a fresh process on a fresh database (SQLite file in a temporary folder; a
throwaway PostgreSQL database at OPENMASH_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432,
dropped afterwards), migrated, then bulk-loaded by the fast path of ``bench/_identity_load.py``
(records, versions, mentions, people, links with features, blocking keys: the rows ingest would have
written, from the production feature and key functions). The probes are stored by intake without
pipeline stages, then each probe's version goes through the production identity stage,
``identity.services.link_record_version``, in its own transaction: features, blocking-key lookup,
candidate features, scoring, guards, and the writes (person, link, keys, residence), committed.
A second set goes through the whole live API path (``intake.services.ingest_items``: checks, storage,
audit and the identity stage, one transaction per record).

Splink: the same stored person-records in a DuckDB table and ``linker.inference.predict_between(existing,
new)`` per probe, results fetched: with the doc-style model of linkage-anchor.md §2 (the reference), and
with the Splink twin of our own model (``identity.training``'s comparisons, six blocking rules), both with
term-frequency tables computed once.

The section "Identity" of docs/benchmarks.md is updated (the "Real time" part).

Loading a million people takes a quarter of an hour and is not timing: ``--data DIR --load-only`` prepares, loads
and keeps each backend's database (outside the benchmark lock), and ``--data DIR --reuse URL`` then times the
probes on it (once: the probes are stored by the run).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _identity_docs import machine, revision, write_section  # noqa: E402

TARGET_P95_MS = 10.0
STAGE = "openmash.identity.services.link_record_version"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()


def _prepare_chunk(chunk: list[tuple[dict[str, Any], int]]) -> list[str]:
    from _identity_load import prepare_line

    return [prepare_line(record, person) for record, person in chunk]


def prepare(folder: Path, persons: int, probes: int, api_probes: int, seed: int) -> dict[str, Any]:
    """Write stored.jsonl (prepared lines), probes.jsonl and api_probes.jsonl with their truth."""
    from _identity_people import PeopleTable

    started = time.perf_counter()
    unseen = max(50, (probes + api_probes) // 4)
    table = PeopleTable(persons + unseen, seed=seed)
    generated = time.perf_counter() - started
    stored = folder / "stored.jsonl"
    with stored.open("w", encoding="utf-8") as out, multiprocessing.get_context("fork").Pool(2) as pool:
        def chunks() -> Any:
            chunk: list[tuple[dict[str, Any], int]] = []
            for i, person in enumerate(table.people[:persons]):
                chunk.append((table.record(person).record, i + 1))
                if len(chunk) == 5000:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        for lines in pool.imap(_prepare_chunk, chunks()):
            out.write("\n".join(lines) + "\n")
    rng = random.Random(seed + 7)
    sets: dict[str, list[dict[str, Any]]] = {}
    for name, count in (("probes", probes), ("api_probes", api_probes)):
        known = count - count // 5
        chosen = [(i + 1, table.people[i]) for i in rng.sample(range(persons), known)]
        chosen += [(None, table.people[persons + i]) for i in rng.sample(range(unseen), count // 5)]
        rng.shuffle(chosen)
        truth = []
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for number, person in chosen:
                written = table.record(person)
                out.write(json.dumps(written.record, ensure_ascii=False) + "\n")
                truth.append({"agency": written.record["source"]["agency"], "record_id": written.record["record_id"],
                              "person": number})
        sets[name] = truth
    (folder / "truth.json").write_text(json.dumps(sets))
    return {"generate_s": generated, "prepare_s": time.perf_counter() - started, "persons": persons}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50": statistics.median(ms), "p95": _percentile(ms, 0.95), "max": max(ms),
            "mean": statistics.fmean(ms)}


def db_worker(url: str, folder: Path, mode: str = "all") -> None:
    """Own process: migrate, load, then time the identity stage and the live API path per probe. ``mode`` "load":
    migrate and load only; "time": the probes only, on a database loaded so (``--load-only``, ``--reuse``)."""
    os.environ["OPENMASH_DATABASE_URL"] = url
    os.environ["OPENMASH_PIPELINE_STAGES"] = ""
    _setup_django()
    from _identity_load import load, read_prepared
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from openmash.identity import services
    from openmash.identity.domain.scoring import LinkageModel as ScoringModel
    from openmash.identity.models import MentionLink
    from openmash.intake.models import RecordVersion
    from openmash.intake.services import ingest_files, ingest_items
    from openmash.platform.audit import Actor

    settings.OPENMASH_PIPELINE_STAGES = []
    marker = folder / f"loaded-{url.rsplit('/', 1)[-1]}.json"
    if mode in ("time", "warm"):
        load_timings = json.loads(marker.read_text())
    else:
        call_command("migrate", verbosity=0, skip_checks=True)
        load_timings = load(read_prepared(str(folder / "stored.jsonl")), model_version=ScoringModel().version,
                            progress=lambda text: print(text, file=sys.stderr, flush=True))
        if mode == "load":
            marker.write_text(json.dumps(load_timings))
            print(json.dumps({"loaded": url}))
            return
    truth = json.loads((folder / "truth.json").read_text())
    stored_n = int(load_timings["person_records"])
    ingest_files([folder / "probes.jsonl"], backfill=True)
    versions = list(RecordVersion.objects.filter(seq__gt=stored_n).order_by("seq"))
    services.forget_cached_model()
    decisions_path = os.environ.get("OPENMASH_BENCH_DECISIONS")
    if mode == "warm":
        warm_passes(versions, int(os.environ.get("OPENMASH_BENCH_WARM_PASSES", "3")), stored_n, decisions_path)
        return
    stage_ms: list[float] = []
    cpu_ms: list[float] = []
    queries: list[int] = []
    statements: list[int] = []
    for i, version in enumerate(versions):
        started, cpu = time.perf_counter(), time.process_time()
        if i % 10 == 0:
            with CaptureQueriesContext(connection) as captured, transaction.atomic():
                services.link_record_version(version, live=True)
            elapsed = time.perf_counter() - started
            queries.append(len(captured.captured_queries))
            statements.append(_statements(captured.captured_queries))
        else:
            with transaction.atomic():
                services.link_record_version(version, live=True)
            elapsed = time.perf_counter() - started
        stage_ms.append(elapsed * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
    outcome = _check(truth["probes"], stored_n)
    if decisions_path:
        _write_decisions(decisions_path, [_decisions(v, stored_n, rename_new=False) for v in versions])
    settings.OPENMASH_PIPELINE_STAGES = [STAGE]
    api_ms: list[float] = []
    actor = Actor.system("bench")
    for line in (folder / "api_probes.jsonl").read_text(encoding="utf-8").splitlines():
        started = time.perf_counter()
        report = ingest_items([json.loads(line)], source="bench-api", actor=actor, live=True)
        api_ms.append((time.perf_counter() - started) * 1000)
        assert report.as_json()["new"] == 1, report.as_json()
    api_outcome = _check(truth["api_probes"], stored_n)
    warm = 10  # the first calls load the model and warm the process's caches
    result = {
        "load": load_timings, "stage": _summary(stage_ms[warm:]), "api": _summary(api_ms[warm:]),
        "stage_cpu": _summary(cpu_ms[warm:]), "load_average": os.getloadavg()[0],
        "queries_per_stage": statistics.fmean(queries) if queries else 0,
        "statements_per_stage": statistics.fmean(statements) if statements else 0, "outcome": outcome,
        "api_outcome": api_outcome, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "links": MentionLink.objects.count(), "db_bytes": _database_bytes(connection),
    }
    print(json.dumps(result))


def _statements(captured: list[dict[str, Any]]) -> int:
    """The statements the stage sent, the transaction's BEGIN and COMMIT (which Django lists too) aside."""
    return sum(q["sql"] not in ("BEGIN", "COMMIT") for q in captured)


class _RollbackError(Exception):
    pass


def warm_passes(versions: list[Any], passes: int, stored_n: int, decisions_path: str | None) -> None:
    """Each probe's stage in a transaction rolled back, ``passes`` times over the probes: the same database timed
    again and again, each probe against the loaded base alone (warm: its pages read by the passes before). Prints
    one JSON line per pass; the first pass's decisions go to ``decisions_path``."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from openmash.identity import services

    for n in range(passes):
        stage_ms: list[float] = []
        cpu_ms: list[float] = []
        statements: list[int] = []
        decided: list[dict[str, Any]] = []
        for i, version in enumerate(versions):
            try:
                with transaction.atomic():
                    started, cpu = time.perf_counter(), time.process_time()
                    if i % 10 == 0:
                        with CaptureQueriesContext(connection) as captured:
                            services.link_record_version(version, live=True)
                        statements.append(_statements(captured.captured_queries))
                    else:
                        services.link_record_version(version, live=True)
                    stage_ms.append((time.perf_counter() - started) * 1000)
                    cpu_ms.append((time.process_time() - cpu) * 1000)
                    if n == 0 and decisions_path:
                        decided.append(_decisions(version, stored_n, rename_new=True))
                    raise _RollbackError
            except _RollbackError:
                pass
        if decided:
            _write_decisions(decisions_path or "", decided)
        print(json.dumps({"pass": n + 1, "stage": _summary(stage_ms), "stage_cpu": _summary(cpu_ms),
                          "statements_per_stage": statistics.fmean(statements), "load_average": os.getloadavg()[0]}),
              flush=True)


def _decisions(version: Any, stored_n: int, *, rename_new: bool) -> dict[str, Any]:
    """What the stage decided for each person of a probe: person, method, probability, explanation, reviews (a
    person made by the probe as "new" when ``rename_new``: sequences do not roll back)."""
    from openmash.identity.models import MatchReview, MentionLink

    def who(person: int) -> Any:
        return "new" if rename_new and person > stored_n else person

    links = MentionLink.objects.filter(mention__record_id=version.record_id).order_by("mention__ref")
    reviews = MatchReview.objects.filter(mention__record_id=version.record_id).order_by("mention__ref", "pk")
    return {
        "record": version.record_id,
        "links": [[link.mention.ref, who(link.person_id), link.method, link.probability, link.explanation]
                  for link in links.select_related("mention")],
        "reviews": [[r.mention.ref, who(r.person_id), who(r.candidate_id), r.probability, r.explanation]
                    for r in reviews.select_related("mention")],
    }


def _write_decisions(path: str, decided: list[dict[str, Any]]) -> None:
    Path(path).write_text("".join(json.dumps(d, sort_keys=True) + "\n" for d in decided), encoding="utf-8")


def _check(truth: list[dict[str, Any]], stored_n: int) -> dict[str, int]:
    """How each probe was linked: to its stored person, to someone else, or as a new person."""
    from openmash.identity.models import MentionLink

    out = {"known_linked_right": 0, "known_linked_wrong": 0, "known_new": 0, "unseen_new": 0, "unseen_linked": 0,
           "reviews": 0}
    for item in truth:
        link = (MentionLink.objects.filter(mention__record__agency=item["agency"], mention__record__record_id=item["record_id"])
                .values_list("person_id", "method").get())
        person, method = link
        out["reviews"] += method == "review"
        if item["person"] is None:
            out["unseen_new" if person > stored_n else "unseen_linked"] += 1
        elif person == item["person"]:
            out["known_linked_right"] += 1
        elif person > stored_n:
            out["known_new"] += 1
        else:
            out["known_linked_wrong"] += 1
    return out


def _database_bytes(connection: Any) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_count")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        return pages * int(cursor.fetchone()[0])


def _doc_table(features: list[Any], first_id: int = 0) -> Any:
    """The columns a doc-style Splink model reads (linkage-anchor.md §2), from our normalised features."""
    import pyarrow as pa

    return pa.table({
        "unique_id": pa.array(range(first_id, first_id + len(features)), pa.int64()),
        "first_name": pa.array([f.given[0] if f.given else None for f in features], pa.string()),
        "surname": pa.array([f.family or None for f in features], pa.string()),
        "dob": pa.array([f.dob for f in features], pa.string()),
        "postcode": pa.array([f.postcode for f in features], pa.string()),
        "address_line": pa.array([f.building for f in features], pa.string()),
        "nhs_number": pa.array([f.nhs for f in features], pa.string()),
        "sex": pa.array([f.sex for f in features], pa.string()),
    })


def _doc_linker(db_api: Any, existing: Any) -> Any:
    """linkage-anchor.md §2's Splink model: what a competent user builds from the docs, trained as it was."""
    import logging

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.JaroWinklerAtThresholds("address_line"),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nhs_number"), block_on("surname", "dob"), block_on("first_name", "dob"),
            block_on("postcode", "first_name"),
            "substr(l.first_name, 1, 2) = substr(r.first_name, 1, 2) AND substr(l.surname, 1, 2) = substr(r.surname, 1, 2)"
            " AND substr(l.dob, 1, 4) = substr(r.dob, 1, 4)",
            block_on("dob", "postcode"),
        ],
    )
    linker = Linker(existing, settings, log_level=logging.WARNING)
    # The stored side holds one record per person, so EM has no matches to learn m from: u is estimated
    # from random pairs, m stays at Splink's defaults. Timing does not depend on the values.
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for column in ("first_name", "surname"):
        linker.table_management.compute_tf_table(column)
    return linker


def splink_worker(folder: Path, probes: int) -> None:
    """Own process: Splink 5 on DuckDB, ``predict_between`` of each probe against the stored table: the doc-style
    model of linkage-anchor.md §2 (every probe), then the Splink twin of our own model (a few probes)."""
    _setup_django()
    import logging

    from _identity_load import read_prepared
    from splink import DuckDBAPI, Linker

    from openmash.identity.domain.features import MentionFeatures, mention_features
    from openmash.identity.domain.scoring import LinkageModel as ScoringModel
    from openmash.identity.training import features_table, splink_settings
    from openmash.intake.domain.record import Record

    features = [MentionFeatures.from_json(line.features) for line in read_prepared(str(folder / "stored.jsonl"))
                if line.features is not None]
    truth = json.loads((folder / "truth.json").read_text())["probes"]
    lines = (folder / "probes.jsonl").read_text(encoding="utf-8").splitlines()[:probes]
    probe_features = []
    for line in lines:
        record = Record.from_json(json.loads(line))
        probe_features.append(mention_features(record, record.people[0]))
    out: dict[str, Any] = {"probes": len(lines)}
    for label, count in (("doc", len(lines)), ("twin", min(len(lines), 12))):
        started = time.perf_counter()
        db_api = DuckDBAPI()
        if label == "doc":
            existing = db_api.register(_doc_table(features), table_name="existing")
            linker = _doc_linker(db_api, existing)
        else:
            existing = db_api.register(features_table(features), table_name="existing")
            linker = Linker(existing, splink_settings(ScoringModel()), log_level=logging.WARNING)
            for column in ("given_first", "family"):
                linker.table_management.compute_tf_table(column)
        setup = time.perf_counter() - started
        timings: list[float] = []
        right = 0
        for k, f in enumerate(probe_features[:count]):
            table = _doc_table([f], 10_000_000 + k) if label == "doc" else features_table([f], first_id=10_000_000 + k)
            new = db_api.register(table, table_name=f"new_{label}_{k}")
            t0 = time.perf_counter()
            scored = linker.inference.predict_between(existing, new, threshold_match_probability=0.5,
                                                      warning_mode="never").as_pandas_dataframe()
            timings.append((time.perf_counter() - t0) * 1000)
            best = scored.sort_values("match_probability", ascending=False).head(1)
            found = int(best["unique_id_l"].iloc[0]) + 1 if len(best) and float(best["match_probability"].iloc[0]) >= 0.99 else None
            right += found == truth[k]["person"]
        warm = 5 if count > 10 else 2
        out[label] = {"predict_between": _summary(timings[warm:]), "setup_s": setup, "top1_right": right, "probes": count}
        del linker, db_api, existing
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_db(name: str, folder: Path, mode: str = "all", reuse: str | None = None) -> dict[str, Any]:
    """One database run (``mode`` as ``db_worker``'s); "load" keeps the database and returns its URL."""
    admin_url = os.environ.get("OPENMASH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    database = f"openmash_bench_{uuid.uuid4().hex[:8]}"
    if reuse:
        url = reuse
    elif name == "sqlite":
        url = f"sqlite:///{folder / 'identity.sqlite3'}"
    else:
        subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"CREATE DATABASE {database}"], check=True)
        url = f"{admin_url}/{database}"
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", url, str(folder), mode], cwd=ROOT, check=True,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "OPENMASH_VAR_DIR": str(folder)})
        if mode == "warm":
            print(out.stdout, end="", flush=True)
            return {}
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if mode != "all":
            pass  # kept: loaded for a later timed run, or a loaded database that was timed once (drop it by hand)
        elif name == "postgres":
            subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {database}"], check=False)
        else:
            for suffix in ("", "-wal", "-shm"):
                (folder / f"identity.sqlite3{suffix}").unlink(missing_ok=True)


def run_splink(folder: Path, probes: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--splink-worker", str(folder), str(probes)], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _fmt_outcome(o: dict[str, int], known: int, unseen: int) -> str:
    return (f"{o['known_linked_right']}/{known} known people linked to themselves ({o['known_new']} as new, "
            f"{o['known_linked_wrong']} to someone else), {o['unseen_new']}/{unseen} unseen people new")


def docs_text(args: argparse.Namespace, prep: dict[str, Any], results: dict[str, dict[str, Any]],
              splink: dict[str, Any] | None) -> str:
    rows = []
    for name, r in results.items():
        s, a = r["stage"], r["api"]
        sp_ = splink["doc"]["predict_between"] if splink else None
        ratio = f"{sp_['p50'] / s['p50']:.0f}× / {sp_['p95'] / s['p95']:.0f}×" if sp_ else "–"
        rows.append(f"| {name} | {s['p50']:.2f} | **{s['p95']:.2f}** | {s['max']:.1f} | {r['stage_cpu']['p50']:.2f} / "
                    f"{r['stage_cpu']['p95']:.2f} | {a['p50']:.2f} | {a['p95']:.2f} | {r['queries_per_stage']:.0f} | {ratio} |")
    if splink:
        sp = splink["doc"]["predict_between"]
        rows.append(f"| Splink 5 `predict_between` (DuckDB), doc-style model (anchor §2) | {sp['p50']:.1f} | {sp['p95']:.1f} | "
                    f"{sp['max']:.1f} | – | – | – | – | 1× |")
        tw = splink["twin"]["predict_between"]
        rows.append(f"| Splink 5 `predict_between` (DuckDB), the Splink twin of our model ({splink['twin']['probes']} probes) | "
                    f"{tw['p50']:.0f} | {tw['p95']:.0f} | {tw['max']:.0f} | – | – | – | – | – |")
    loads = "\n".join(
        f"| {name} | {r['load']['person_records']:,.0f} | {r['load']['key_rows']:,.0f} | {r['load']['rows']:.0f} | "
        f"{r['load']['indexes']:.0f} | {r['db_bytes'] / 2**30:.1f} | {r['peak_mb']:,.0f} |" for name, r in results.items())
    known = args.probes - args.probes // 5
    outcomes = "\n".join(f"- {name}: stage probes: {_fmt_outcome(r['outcome'], known, args.probes // 5)}; API probes: "
                         f"{_fmt_outcome(r['api_outcome'], args.api_probes - args.api_probes // 5, args.api_probes // 5)}."
                         for name, r in results.items())
    splink_line = ""
    if splink:
        doc, twin = splink["doc"], splink["twin"]
        splink_line = (f"- Splink, doc-style model (u from random pairs; m at Splink's defaults, since one record per stored "
                       f"person leaves EM nothing to learn from, which does not change its speed): set-up (table, u, TF "
                       f"tables) {doc['setup_s']:.0f} s. Twin of our model (our m/u): {twin['top1_right']}/{twin['probes']} "
                       f"probes' best pair at p ≥ 0.99 was the stored person (an unseen person counts as right when "
                       f"nothing reaches 0.99); set-up {twin['setup_s']:.0f} s. Peak {splink['peak_mb']:,.0f} MiB.")
    verdicts = []
    for name, r in results.items():
        met = r["stage"]["p95"] < TARGET_P95_MS
        verdicts.append(f"{name}: p95 {r['stage']['p95']:.1f} ms, target {'met' if met else 'not met'} "
                        f"(p50 {r['stage']['p50']:.1f} ms, of which {r['stage_cpu']['p50']:.1f} ms is this process's CPU)")
    summary = f"""**Target (p95 < {TARGET_P95_MS:.0f} ms including the database)** — {"; ".join(verdicts)}.
How the time is spent: the stage makes {", ".join(f"{r['queries_per_stage']:.0f}" for r in results.values())} SQL
statements per new person-in-record (its mention and link; candidates and their features in one statement, the
blocking-key rule applied inside the database; the person, link, keys and residence written), then commits. The
rest is Python: normalising the person, ~30 blocking keys, scoring the candidates that survive the rule, the
guards. A one-off commit on PostgreSQL waits for the WAL flush; SQLite in WAL mode with `synchronous=NORMAL` does
not. On a shared 2-vCPU machine with a load average of several, each round trip to the PostgreSQL server and
each tail request waits for a core: the p95 is set by the machine's load as much as by the code.
"""
    return f"""### Real time: one person-in-record against {args.persons:,} stored persons

Command: `.venv/bin/python bench/identity_realtime.py --persons {args.persons} --probes {args.probes} --splink-probes {args.splink_probes}` (run {time.strftime('%Y-%m-%d')} at commit {revision()}; part of `make bench`).
Machine: {machine()}.

Stored: {args.persons:,} people, one person-record each (`bench/_identity_people.py`, seed {args.seed}), bulk-loaded by the
documented fast path (`bench/_identity_load.py`: the rows ingest and the identity stage write, from the production
feature and blocking-key functions). Probes: {args.probes} new records by another agency (80% about stored people,
20% about people never seen), stored by intake, then each version through `identity.services.link_record_version`
in its own transaction, committed: features, blocking-key lookup, candidates' features, scoring, guards, writes
(person, link, keys, residence). "API" is the whole live path for {args.api_probes} more records
(`intake.services.ingest_items`: contract checks, storage, audit, identity stage; one transaction per record).
Splink: the same stored person-records in DuckDB, `linker.inference.predict_between(existing, new)` per probe with
results fetched: the doc-style model of linkage-anchor.md §2 ({args.splink_probes} probes; the ratio column), and
the Splink twin of our own model (identity.training's comparisons and six blocking rules; a few probes, it is
slow). TF tables computed once. First 10 (Splink: 5, twin: 2) calls are warm-up.
Target: p95 < {TARGET_P95_MS:.0f} ms including the database. "Our process CPU" is the benchmark process's own CPU time
per call (Python and the client side of the driver; the database server's work is in the wall time only). Load
average (1 min) at the end of each database run: {", ".join(f"{n} {r['load_average']:.1f}" for n, r in results.items())}
on 2 vCPU — the machine is shared, and wall times stretch with its load.

| path | p50 ms | p95 ms | max ms | our process CPU p50 / p95 ms | API p50 ms | API p95 ms | SQL statements per stage call | Splink ÷ ours (p50 / p95) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

{summary}
Load (fast path): generation and preparation (features and keys, 2 processes) {prep['prepare_s']:.0f} s.

| database | person-records | blocking-key rows | rows loaded (s) | indexes built (s) | database size (GiB) | worker peak RSS (MiB) |
|---|---:|---:|---:|---:|---:|---:|
{loads}

Linking outcome of the probes:
{outcomes}
{splink_line}
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        db_worker(argv[1], Path(argv[2]), argv[3] if len(argv) > 3 else "all")
        return 0
    if argv[:1] == ["--splink-worker"]:
        splink_worker(Path(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=400)
    parser.add_argument("--api-probes", type=int, default=200)
    parser.add_argument("--splink-probes", type=int, default=60)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, help="keep the prepared data in this folder and reuse it when it matches")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--load-only", action="store_true",
                        help="with --data: prepare, migrate and load each backend's database, keep it and print its "
                             "URL (loading is not timing: it may run outside the benchmark lock)")
    parser.add_argument("--warm", type=int, metavar="PASSES",
                        help="with --reuse: each probe's stage in a transaction rolled back, PASSES times (warm figures; "
                             "the database keeps only the probes' records)")
    parser.add_argument("--decisions", type=Path, metavar="FILE",
                        help="write each probe's decisions (person, method, probability, explanation, reviews) to FILE, "
                             "one JSON line per probe, to compare two commits")
    parser.add_argument("--reuse", metavar="URL",
                        help="with --data: time the probes on a database kept by --load-only (one backend; once)")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    splink: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="openmash-identity-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "prepared.json"
        from openmash.identity.domain.features import FEATURES_VERSION

        wanted = {"features": FEATURES_VERSION, "persons": args.persons, "probes": args.probes, "api_probes": args.api_probes, "seed": args.seed}
        if marker.exists() and json.loads(marker.read_text())["args"] == wanted:
            prep = json.loads(marker.read_text())["prep"]
        else:
            prep = prepare(folder, args.persons, args.probes, args.api_probes, args.seed)
            marker.write_text(json.dumps({"args": wanted, "prep": prep}))
        print(f"prepared {args.persons:,} persons in {prep['prepare_s']:.0f} s", flush=True)
        for name in [b for b in args.backends.split(",") if b]:
            if args.load_only:
                print(json.dumps(run_db(name, folder, "load")), flush=True)
                continue
            if args.decisions:
                os.environ["OPENMASH_BENCH_DECISIONS"] = str(args.decisions.resolve())
            if args.warm:
                os.environ["OPENMASH_BENCH_WARM_PASSES"] = str(args.warm)
                run_db(name, folder, "warm", args.reuse)
                continue
            results[name] = r = run_db(name, folder, "time" if args.reuse else "all", args.reuse)
            print(f"{name:9} stage p50 {r['stage']['p50']:.2f} ms p95 {r['stage']['p95']:.2f} ms; api p50 "
                  f"{r['api']['p50']:.2f} ms p95 {r['api']['p95']:.2f} ms; {r['outcome']}", flush=True)
            print(f"{name:9} stage max {r['stage']['max']:.1f} ms, our CPU p50 {r['stage_cpu']['p50']:.2f} ms p95 "
                  f"{r['stage_cpu']['p95']:.2f} ms; SQL statements per stage call {r['queries_per_stage']:.1f} "
                  f"({r['statements_per_stage']:.1f} without BEGIN and COMMIT); "
                  f"load average {r['load_average']:.2f}; api {r['api_outcome']}", flush=True)
        if args.splink_probes and not args.load_only:
            splink = run_splink(folder, args.splink_probes)
            for label in ("doc", "twin"):
                print(f"splink {label:4} predict_between p50 {splink[label]['predict_between']['p50']:.1f} ms "
                      f"p95 {splink[label]['predict_between']['p95']:.1f} ms", flush=True)
    if not args.no_docs and results:
        write_section("Real time", docs_text(args, prep, results, splink))
    ok = all(r["stage"]["p95"] < TARGET_P95_MS for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
