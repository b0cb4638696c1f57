"""Identity batch rebuild of 1,000,000 person-records, against Splink 5 on DuckDB alone on the same records.

    .venv/bin/python bench/identity_rebuild.py [--records 1000000] [--backends postgres,sqlite] [--no-docs]

Data: ``bench/_identity_people.py`` (the project generator's households and agency habits at national
scale), 1–4 records per person (mean ~1.9, as linkage-anchor.md §2), one person per record, until
``--records`` person-records.

Each backend runs in a fresh process on a fresh database (SQLite file in a temporary folder; a
throwaway PostgreSQL database at OPENMASH_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432,
dropped afterwards). The records, versions and mentions are bulk-loaded by the fast path of
``bench/_identity_load.py`` (as a backfill with the identity stage off), then, timed:

1. ``rebuild_links(engine="splink")`` from nothing: features from every record, blocking keys and
   candidate pairs in DuckDB, Splink scoring with the default model, clustering under the guards, and
   every link, person and blocking key written (``openmash link rebuild --engine splink``);
2. ``train_and_save`` (``openmash link train``: Splink estimates m/u, prior and name frequencies from
   the stored mentions);
3. ``rebuild_links(engine="splink")`` again with the trained model: stored features reused, only the
   links and keys of people who changed rewritten.

Splink alone (its own process): the same person-records as a DuckDB table (the same features), the
same comparisons (``identity.training``'s SQL twins of the scorer), trained by the same recipe, then
``predict`` with ``training.PREDICTION_RULES`` and connected components at the link threshold (0.99):
what Splink does on its own, with no database, guards or writes. Peak memory: each process's
maximum resident set. The "Batch rebuild" part of the "Identity" section of docs/benchmarks.md is
updated.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _identity_docs import machine, revision, write_section  # noqa: E402

TARGET_RATIO = 1.2


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()


def _prepare_chunk(chunk: list[dict[str, Any]]) -> list[str]:
    from _identity_load import prepare_line

    return [prepare_line(record, None, features_only=True) for record in chunk]


def prepare(folder: Path, records: int, seed: int) -> dict[str, Any]:
    """stored.jsonl (records with features, unlinked) and truth.json (record id → true person)."""
    from _identity_people import PeopleTable, records_per_person

    started = time.perf_counter()
    persons = int(records / 1.9) + 1000
    table = PeopleTable(persons, seed=seed)
    counts = records_per_person(persons, seed)
    truth: dict[str, str] = {}
    written = 0
    with (folder / "stored.jsonl").open("w", encoding="utf-8") as out, \
            multiprocessing.get_context("fork").Pool(2) as pool:
        def chunks() -> Any:
            nonlocal written
            chunk: list[dict[str, Any]] = []
            for item in table.records(counts):
                if written >= records:
                    break
                written += 1
                truth[f"{item.record['source']['agency']}:{item.record['record_id']}"] = item.person
                chunk.append(item.record)
                if len(chunk) == 5000:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        for lines in pool.imap(_prepare_chunk, chunks()):
            out.write("\n".join(lines) + "\n")
    (folder / "truth.json").write_text(json.dumps(truth))
    return {"prepare_s": time.perf_counter() - started, "records": written, "persons": len(set(truth.values()))}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the feature workers): the figure that holds
    when the shared machine is loaded. The database server's own CPU is not in it."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pairwise(truth: dict[str, str], predicted: dict[str, Any]) -> dict[str, float]:
    def pairs(counts: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    keys = [k for k in predicted if k in truth]
    both = pairs(Counter((truth[k], predicted[k]) for k in keys))
    p = both / max(pairs(Counter(predicted[k] for k in keys)), 1)
    r = both / max(pairs(Counter(truth[k] for k in keys)), 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def db_worker(url: str, folder: Path) -> None:
    """Own process: migrate, load the records, then time rebuild, train, rebuild."""
    os.environ["OPENMASH_DATABASE_URL"] = url
    os.environ["OPENMASH_PIPELINE_STAGES"] = ""
    _setup_django()
    from _identity_load import load, read_prepared
    from django.conf import settings
    from django.core.management import call_command

    from openmash.identity import rebuild
    from openmash.identity.models import MentionLink
    from openmash.platform.audit import Actor

    settings.OPENMASH_PIPELINE_STAGES = []
    # Imported before the clock starts, as Splink alone imports Splink before its clock starts.
    import pyarrow.csv  # noqa: F401
    import splink  # noqa: F401

    import openmash.identity.batch
    import openmash.identity.training  # noqa: F401

    call_command("migrate", verbosity=0, skip_checks=True)
    loaded = load(read_prepared(str(folder / "stored.jsonl")), model_version="",
                  progress=lambda text: print(text, file=sys.stderr, flush=True))
    before = _peak_mb()
    actor = Actor.system("bench")
    truth = json.loads((folder / "truth.json").read_text())
    out: dict[str, Any] = {"load": loaded, "peak_before_mb": before}
    for step in os.environ.get("OPENMASH_BENCH_STEPS", "scratch,train,retrained").split(","):
        print(f"  {step}...", file=sys.stderr, flush=True)
        started, cpu = time.perf_counter(), _cpu_s()
        if step == "train":
            row = rebuild.train_and_save(version="bench-trained", max_pairs=2e6, actor=actor)
            out[step] = {"seconds": time.perf_counter() - started, "prior": row.params["prior"]}
        else:
            summary = rebuild.rebuild_links(actor=actor, engine="splink")
            seconds = time.perf_counter() - started
            predicted = {f"{a}:{r}": p for a, r, p in MentionLink.objects.values_list(
                "mention__record__agency", "mention__record__record_id", "person_id").iterator(chunk_size=50_000)}
            out[step] = {"seconds": seconds, "summary": summary, "accuracy": _pairwise(truth, predicted)}
        out[step]["peak_mb"] = _peak_mb()
        out[step]["cpu_s"] = _cpu_s() - cpu
        print(f"  {step}: {out[step]['seconds']:.0f} s", file=sys.stderr, flush=True)
    print(json.dumps(out, default=str))


def _features_of_lines(lines: list[bytes]) -> list[bytes]:
    """In a worker: each prepared line's person-record made into its features (``mention_features``, what the
    rebuild's features step computes from a stored record), as JSON."""
    import orjson

    from openmash.identity.domain.features import mention_features
    from openmash.intake.domain.record import Record

    out = []
    for line in lines:
        record = Record.from_json(orjson.loads(line)["r"])
        out.append(orjson.dumps(mention_features(record, record.people[0]).to_json()))
    return out


def _features_from_records(path: Path) -> list[Any]:
    """Every prepared line's features computed from its record, in two worker processes, as the rebuild's features
    step computes them from the stored records (parts of 5,000 lines; this process decodes each part as it arrives)."""
    from concurrent.futures import Future

    import orjson

    from openmash.identity.domain.features import MentionFeatures
    from openmash.platform.workers import process_pool

    features: list[MentionFeatures] = []
    with process_pool(2) as pool, path.open("rb") as handle:
        in_flight: list[Future[list[bytes]]] = []
        part: list[bytes] = []
        for line in handle:
            part.append(line)
            if len(part) == 5000:
                in_flight.append(pool.submit(_features_of_lines, part))
                part = []
                while len(in_flight) > 4 or (in_flight and in_flight[0].done()):
                    features += [MentionFeatures.from_json(orjson.loads(t)) for t in in_flight.pop(0).result()]
        if part:
            in_flight.append(pool.submit(_features_of_lines, part))
        for pending in in_flight:
            features += [MentionFeatures.from_json(orjson.loads(t)) for t in pending.result()]
    return features


def splink_worker(folder: Path, *, from_records: bool = False) -> None:
    """Own process: Splink 5 on DuckDB alone: train, predict, cluster the same person-records. ``from_records``:
    its input is made from the records inside its clock (the features computed as the rebuild computes them)."""
    _setup_django()
    import logging

    from _identity_load import read_prepared
    from splink import DuckDBAPI, Linker

    from openmash.identity.domain.features import MentionFeatures
    from openmash.identity.training import features_table, splink_settings, train_model

    ids: list[str] = []
    features: list[MentionFeatures] = []
    for line in read_prepared(str(folder / "stored.jsonl")):
        assert line.features is not None
        ids.append(f"{line.record['source']['agency']}:{line.record['record_id']}")
        if not from_records:
            features.append(MentionFeatures.from_json(line.features))
    if not from_records:
        table = features_table(features)
    before = _peak_mb()
    started, cpu = time.perf_counter(), _cpu_s()
    if from_records:
        features = _features_from_records(folder / "stored.jsonl")
        table = features_table(features)
    input_s = time.perf_counter() - started
    model = train_model(features, version="splink-alone")
    trained = time.perf_counter()
    del features
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), splink_settings(model), log_level=logging.WARNING)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    predicted_at = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.99)
    rows = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    done = time.perf_counter()
    truth = json.loads((folder / "truth.json").read_text())
    predicted = {ids[int(uid)]: cid for uid, cid in rows}
    print(json.dumps({
        "seconds": done - started, "cpu_s": _cpu_s() - cpu, "input_s": input_s, "train_s": trained - started - input_s,
        "predict_s": predicted_at - trained,
        "cluster_s": done - predicted_at, "peak_mb": _peak_mb(), "peak_before_mb": before,
        "accuracy": _pairwise(truth, predicted), "records": len(ids),
        "note": "training includes building the features table again inside train_model",
        "from_records": from_records,
    }))


def run_db(name: str, folder: Path) -> dict[str, Any]:
    admin_url = os.environ.get("OPENMASH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    database = f"openmash_bench_{uuid.uuid4().hex[:8]}"
    if name == "sqlite":
        url = f"sqlite:///{folder / 'rebuild.sqlite3'}"
    else:
        subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"CREATE DATABASE {database}"], check=True)
        url = f"{admin_url}/{database}"
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", url, str(folder)], cwd=ROOT, check=True,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "OPENMASH_VAR_DIR": str(folder)})
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if name == "postgres":
            subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {database}"], check=False)
        else:
            for suffix in ("", "-wal", "-shm"):
                (folder / f"rebuild.sqlite3{suffix}").unlink(missing_ok=True)


def run_splink(folder: Path, *, from_records: bool = False) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--splink-worker", str(folder),
                          *(["--from-records"] if from_records else [])], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _acc(a: dict[str, float]) -> str:
    return f"{a['precision']:.4f} / {a['recall']:.4f} / {a['f1']:.4f}"


def docs_text(args: argparse.Namespace, prep: dict[str, Any], results: dict[str, dict[str, Any]],
              splink: dict[str, Any] | None, load_average: str) -> str:
    rows = []
    for name, r in results.items():
        for step, label in (("scratch", "rebuild from the records (no links yet)"),
                            ("retrained", "rebuild after `link train` (links exist)")):
            s = r[step]
            secs = s["summary"]["seconds"]
            ratio = (f"{s['seconds'] / splink['seconds']:.2f}× ({s['cpu_s'] / splink['cpu_s']:.2f}×)" if splink else "–")
            rows.append(f"| {name} | {label} | **{s['seconds']:.0f}** ({s['cpu_s']:.0f}) | {secs.get('features_s', 0):.0f} / "
                        f"{secs.get('keys_s', 0) + secs.get('pairs_s', 0):.0f} / {secs.get('score_s', 0):.0f} / "
                        f"{secs.get('cluster_s', 0):.0f} / {secs['write']:.0f} (links {secs.get('write_links_s', 0):.0f}, "
                        f"keys {secs.get('write_keys_s', 0):.0f}, indexes {secs.get('write_indexes_s', 0):.0f}) | {s['peak_mb']:,.0f} | "
                        f"{s['summary'].get('pairs', 0):,} | {s['summary']['links_written']:,} | {_acc(s['accuracy'])} | {ratio} |")
        t = r["train"]
        rows.append(f"| {name} | `link train` (Splink: prior, u, two EM sessions) | {t['seconds']:.0f} ({t['cpu_s']:.0f}) | – | "
                    f"{t['peak_mb']:,.0f} | – | – | – | – |")
    if splink:
        rows.append(f"| – | **Splink alone**: train + predict (p ≥ 0.5) + connected components at 0.99 | "
                    f"**{splink['seconds']:.0f}** ({splink['cpu_s']:.0f}) | train {splink['train_s']:.0f} / predict {splink['predict_s']:.0f} / "
                    f"cluster {splink['cluster_s']:.0f} | {splink['peak_mb']:,.0f} | – | – | {_acc(splink['accuracy'])} | 1× |")
    totals = ""
    if splink:
        totals = "\n".join(
            f"- {name}: `link train` + rebuild = {r['train']['seconds'] + r['retrained']['seconds']:.0f} s, "
            f"{(r['train']['seconds'] + r['retrained']['seconds']) / splink['seconds']:.2f}× Splink alone."
            for name, r in results.items())
    return f"""### Batch rebuild: {prep['records']:,} person-records

Command: `.venv/bin/python bench/identity_rebuild.py --records {args.records}` (run {time.strftime('%Y-%m-%d')} at commit {revision()}; part of `make bench`).
Machine: {machine()}. Load average during the run: {load_average} (the machine is shared).

Data: {prep['records']:,} person-records of {prep['persons']:,} people (`bench/_identity_people.py`, seed {args.seed}; 1–4
records each), bulk-loaded as records, versions and mentions without links (a backfill with the identity stage off).
Timed (`openmash link rebuild --engine splink`, i.e. `identity.rebuild.rebuild_links`): reading the mentions and
their features (computed from each record when no stored features of its current version exist, reused otherwise),
blocking keys and candidate pairs in DuckDB (the SQL twins of the real-time keys and rule), Splink scoring the
pairs with the active model, clustering under the real-time guards, and writing links, people and blocking keys to
the database, in one transaction. "Splink alone": the same records' features as a DuckDB table, the same
comparisons, trained by the same recipe (`identity.training.train_model`), `predict` with six blocking rules, connected
components at 0.99 — no database, guards or writes. Accuracy: pairwise precision / recall / F1 against the
generator's truth. Seconds are wall clock; in brackets, CPU seconds of the process and its feature workers (the
database server's are not counted; on the shared machine wall times stretch with its load, CPU seconds much less).
Peak: the process's maximum resident set (the load alone: {next(iter(results.values()))['peak_before_mb'] if results else 0:,.0f} MiB).

| database | run | seconds (CPU s) | features / keys + pairs / scoring / clustering / writing (s) | peak RSS (MiB) | candidate pairs | links written | P / R / F1 | ÷ Splink alone (CPU) |
|---|---|---:|---|---:|---:|---:|---|---:|
{chr(10).join(rows)}

{totals}
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        db_worker(argv[1], Path(argv[2]))
        return 0
    if argv[:1] == ["--splink-worker"]:
        splink_worker(Path(argv[1]), from_records=argv[2:3] == ["--from-records"])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--splink-from-records", action="store_true",
                        help="also time Splink alone with its input made from the records inside its clock (the "
                             "features computed as the rebuild computes them, in two worker processes): like for like "
                             "with the rebuild from nothing, which computes them too. Printed only")
    parser.add_argument("--data", type=Path, help="keep the prepared data in this folder and reuse it when it matches")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--scratch-only", action="store_true",
                        help="time only the rebuild from nothing (no training, no second rebuild); implies --no-docs")
    args = parser.parse_args(argv)
    if args.scratch_only:
        os.environ["OPENMASH_BENCH_STEPS"] = "scratch"
        args.no_docs = True
    results: dict[str, dict[str, Any]] = {}
    splink: dict[str, Any] | None = None
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="openmash-rebuild-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "prepared.json"
        from openmash.identity.domain.features import FEATURES_VERSION

        wanted = {"features": FEATURES_VERSION, "records": args.records, "seed": args.seed}
        if marker.exists() and json.loads(marker.read_text())["args"] == wanted:
            prep = json.loads(marker.read_text())["prep"]
        else:
            prep = prepare(folder, args.records, args.seed)
            marker.write_text(json.dumps({"args": wanted, "prep": prep}))
        print(f"prepared {prep['records']:,} person-records of {prep['persons']:,} people in {prep['prepare_s']:.0f} s",
              flush=True)
        if not args.no_splink:
            loads.append(os.getloadavg()[0])
            splink = run_splink(folder)
            print(f"splink alone {splink['seconds']:.0f} s (train {splink['train_s']:.0f}, predict {splink['predict_s']:.0f}, "
                  f"cluster {splink['cluster_s']:.0f}), peak {splink['peak_mb']:,.0f} MiB, {splink['accuracy']}", flush=True)
        if args.splink_from_records:
            loads.append(os.getloadavg()[0])
            alone = run_splink(folder, from_records=True)
            print(f"splink alone from the records {alone['seconds']:.0f} s ({alone['cpu_s']:.0f} CPU s; input "
                  f"{alone['input_s']:.0f}, train {alone['train_s']:.0f}, predict {alone['predict_s']:.0f}, cluster "
                  f"{alone['cluster_s']:.0f}), peak {alone['peak_mb']:,.0f} MiB, {alone['accuracy']}", flush=True)
        for name in [b for b in args.backends.split(",") if b]:
            loads.append(os.getloadavg()[0])
            results[name] = r = run_db(name, folder)
            for step in [s for s in ("scratch", "retrained") if s in r]:
                print(f"{name:9} {step}: {r[step]['seconds']:.0f} s ({r[step]['cpu_s']:.0f} CPU s), peak {r[step]['peak_mb']:,.0f} MiB, "
                      f"{r[step]['summary']['seconds']}, {r[step]['accuracy']}", flush=True)
            if "train" in r:
                print(f"{name:9} train: {r['train']['seconds']:.0f} s", flush=True)
    load_average = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "n/a"
    if not args.no_docs:
        write_section("Batch rebuild", docs_text(args, prep, results, splink, load_average))
    if splink is None:
        return 0
    return 0 if all(r["scratch"]["seconds"] <= TARGET_RATIO * splink["seconds"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
