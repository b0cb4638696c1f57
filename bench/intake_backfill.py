"""Intake backfill benchmark: 100,000 records, storage only (no pipeline stages), SQLite and PostgreSQL.

    .venv/bin/python bench/intake_backfill.py [--records N] [--backends sqlite,postgres] [--no-docs]

Each backend runs in a fresh process on a fresh database (SQLite file in a temporary folder; a throwaway
PostgreSQL database at OPENMASH_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432), migrated
first, then one `ingest_files([...], backfill=True)` of one feed file. Figures: records/s over the
ingest call (reading, checking, storing, auditing) and the process's peak resident memory. The feed is
the public sample's history replicated with fresh record ids (realistic sizes and shapes), or a
synthetic feed when the sample is not beside the checkout. The section "Intake" of
docs/benchmarks.md is rewritten with the result.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "history.jsonl"
DOCS = ROOT / "docs" / "benchmarks.md"
TARGET = 2000


def make_feed(path: Path, count: int) -> str:
    """Write ``count`` valid records; returns a description of where they came from."""
    if SAMPLE.exists():
        template = [json.loads(line) for line in SAMPLE.read_bytes().splitlines() if line.strip()]
        source = f"public sample history ({len(template):,} lines) replicated with new record ids"
    else:
        template = [_synthetic(i) for i in range(1000)]
        source = "synthetic records"
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            obj = dict(template[i % len(template)])
            obj["record_id"] = f"{obj['record_id']}-{i // len(template)}"
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return source


def _synthetic(i: int) -> dict[str, object]:
    return {
        "schema": "openmash.record/1", "source": {"agency": "police", "system": "niche"},
        "record_id": f"POL-{i:06d}", "version": 1, "kind": "da_incident",
        "occurred_at": "2024-12-02T01:00:00+00:00", "recorded_at": f"2024-12-02T02:{i % 60:02d}:00+00:00",
        "address": {"lines": [f"{i % 90 + 1} Mill Lane"], "town": "Lincoln", "postcode": "LN1 7ES"},
        "people": [
            {"ref": "p1", "role": "victim", "given_names": "Ann", "family_name": f"Smith{i}",
             "date_of_birth": "1990-01-01", "sex": "female"},
            {"ref": "p2", "role": "perpetrator", "given_names": "Bob", "family_name": f"Smith{i}"},
            {"ref": "c1", "role": "child_present", "given_names": "Cat", "date_of_birth": "2019-07-29"},
        ],
        "details": {"officer_risk": "medium", "dash": {"completed": True, "answers": {"1": "yes", "2": "no"}}},
        "narrative": "Officers attended following a call from a neighbour. " * 4,
    }


def worker(database_url: str, feed: Path) -> None:
    """Runs in its own process: migrate, then time one backfill of the feed."""
    os.environ["OPENMASH_DATABASE_URL"] = database_url
    os.environ["OPENMASH_PIPELINE_STAGES"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.OPENMASH_PIPELINE_STAGES = []
    call_command("migrate", verbosity=0, skip_checks=True)
    from openmash.intake.models import RecordVersion
    from openmash.intake.services import ingest_files

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server_pid = _server_pid()
    server_cpu, own_cpu = _cpu_seconds(server_pid), _own_cpu()
    started = time.perf_counter()
    report = ingest_files([feed], backfill=True)
    seconds = time.perf_counter() - started
    server_cpu, own_cpu = _cpu_seconds(server_pid) - server_cpu, _own_cpu() - own_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = report.as_json()
    stored = RecordVersion.objects.count()
    print(json.dumps({"records": counts["new"] + counts["updated"], "quarantined": counts["quarantined"],
                      "stored": stored, "seconds": seconds, "rate": stored / seconds, "peak_mb": peak,
                      "before_mb": before, "cpu": own_cpu + server_cpu, "load": os.getloadavg()[0]}))


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_pid() -> int | None:
    """The PostgreSQL backend serving this process (same machine), to count its CPU time too."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_backend(name: str, feed: Path, folder: Path) -> dict[str, object]:
    admin_url = os.environ.get("OPENMASH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    database = f"openmash_bench_{uuid.uuid4().hex[:8]}"
    if name == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"CREATE DATABASE {database}"], check=True)
        url = f"{admin_url}/{database}"
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", url, str(feed)], cwd=ROOT, check=True,
                             capture_output=True, text=True, env={**os.environ, "OPENMASH_VAR_DIR": str(folder)})
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if name == "postgres":
            subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {database}"],
                           check=False)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    import sqlite3

    return (f"{os.cpu_count()} vCPU ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} "
            f"GiB RAM, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {pg}")


def write_docs(results: dict[str, dict[str, object]], count: int, source: str) -> None:
    rows = "\n".join(
        f"| {name} | {r['stored']:,} | {r['seconds']:.1f} | **{r['rate']:,.0f}** | "
        f"{r['stored'] / r['cpu']:,.0f} | {r['peak_mb']:,.0f} | {r['load']:.1f} |"
        for name, r in results.items())
    section = f"""## Intake

Backfill of {count:,} records ({source}) into an empty, migrated database, storage only
(`OPENMASH_PIPELINE_STAGES` empty: no linking or routing). Timed: one `ingest_files(..., backfill=True)`,
i.e. reading, contract checks (schema with format assertion, warnings), storing record, version, people
and audit rows, in chunks of 500 records per transaction. Target: ≥ {TARGET:,} records/s on PostgreSQL.

Command: `.venv/bin/python bench/intake_backfill.py` (run {time.strftime('%Y-%m-%d')}).
Machine: {machine()}.

| database | records stored | seconds | records/s | records per CPU-second | peak memory (MiB) | load average |
|---|---:|---:|---:|---:|---:|---:|
{rows}

*records/s* is wall-clock. *Records per CPU-second* divides by the CPU time of the ingest process plus,
for PostgreSQL, its server backend: ingest and server take turns, so this approximates the rate on an
otherwise idle machine (disk waits for the commits' fsyncs aside). *Load average* is the machine's 1-minute load at the end of the run: the benchmark machine is
shared, and other work on its 2 cores slows the wall-clock figure.

Peak memory is the benchmark process's maximum resident set (Django, the migrated schema and the
feed's lines, which are all read before processing as contract §8 requires).
Atomicity: each chunk of 500 records commits whole or not at all; every record is idempotent by
`(agency, record_id, version)`, so a crash mid-chunk followed by a re-run ends in the same state as one
clean run (`tests/intake/test_ingest_command.py` kills the process mid-file to check it). Live mode, and
any ingest with pipeline stages configured, commits each record on its own with its stages.
"""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Intake\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(argv[1], Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feed = folder / "feed.jsonl"
        source = make_feed(feed, args.records)
        for name in args.backends.split(","):
            result = run_backend(name, feed, folder)
            results[name] = result
            print(f"{name:9} {result['stored']:>8,} records in {result['seconds']:6.1f} s = "
                  f"{result['rate']:7,.0f} records/s (CPU-bound: {result['stored'] / result['cpu']:,.0f}/s), "
                  f"peak {result['peak_mb']:,.0f} MiB, load {result['load']:.1f}", flush=True)
    if not args.no_docs:
        write_docs(results, args.records, source)
    postgres = results.get("postgres")
    if postgres is not None and float(str(postgres["rate"])) < TARGET:
        print(f"PostgreSQL wall-clock rate is below the target of {TARGET:,} records/s "
              f"(load average {float(str(postgres['load'])):.1f} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
