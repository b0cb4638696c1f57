"""Load test of the casework pages: 200 simulated users (locust) against gunicorn on loopback, PostgreSQL.

    .venv/bin/python bench/casework_load.py --database postgres://…/db [--users 200] [--seconds 120]
                                            [--workers 4] [--locust /path/to/locust] [--no-docs] [--plain]

The database is one seeded by ``bench/casework_pages.py --keep``, run with OPENMASH_BENCH_VAR_DIR set to the
folder that run printed (1,000,000 persons, 5,000 queued incidents, a
300-event chronology). Half the users are triage officers (queue, pages, filters), half social workers (the
child's page), each waiting 5–15 s between pages. Locust is not a project dependency: give its path with
--locust (or put it on PATH). Gunicorn runs with the project's serving configuration (``openmash.web.serving``:
the application preloaded, the garbage collector tuned); ``--plain`` runs it without. The section "Casework pages under load" of docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
PORT = 8765


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1)")
    parser.add_argument("--locust", default=shutil.which("locust") or "locust")
    parser.add_argument("--plain", action="store_true",
                        help="gunicorn's own defaults, not the project's serving configuration (openmash.web.serving)")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    # The var folder holds the field-encryption keys the seeded database was written with (casework_pages.py
    # --keep prints it): without them the server cannot read the records.
    folder = Path(os.environ.get("OPENMASH_BENCH_VAR_DIR") or tempfile.mkdtemp(prefix="openmash-load-"))
    env = {**os.environ, "OPENMASH_DATABASE_URL": args.database, "OPENMASH_DEMO": "1", "OPENMASH_VAR_DIR": str(folder),
           "OPENMASH_ALLOWED_HOSTS": "127.0.0.1,localhost", "OPENMASH_LOCKOUT_FAILURES": "100000",
           # The seeded demo passwords use the test hasher; sign-in is not what is measured here.
           "OPENMASH_TESTING": "1",
           # Each worker keeps its one connection for the whole run, so its PostgreSQL backend's CPU can be read.
           "OPENMASH_DB_CONN_MAX_AGE": str(args.seconds + 600)}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), *([] if args.plain else ["-c", "python:openmash.web.serving"]),
         "openmash.config.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--access-logfile", "-",
         "--log-level", "warning"],
        env=env, stdout=(folder / "access.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(1)
        csv_prefix = folder / "locust"
        load_before, cpu_before = os.getloadavg()[0], _tree_cpu(server.pid)
        subprocess.run([args.locust, "-f", str(Path(__file__).with_name("locustfile_casework.py")), "--headless",
                        "-u", str(args.users), "-r", str(max(1, args.users // 20)), "-t", f"{args.seconds}s",
                        "--host", f"http://127.0.0.1:{PORT}", "--csv", str(csv_prefix), "--only-summary"],
                       check=False, env={**os.environ})
        rows = list(csv.DictReader((folder / "locust_stats.csv").open()))
        server_cpu = _tree_cpu(server.pid) - cpu_before
        database_cpu = _backends_cpu(args.database)
        load = (load_before, os.getloadavg()[0])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for row in rows:
        print(f"{row['Name']:32} n={row['Request Count']:>6} fail={row['Failure Count']:>4} "
              f"p50={row['50%']:>5} p95={row['95%']:>5} rps={float(row['Requests/s']):.1f}")
    pages = [r for r in rows if r["Name"] not in {"Aggregated", "sign-in"}]
    served = sum(int(r["Request Count"]) for r in pages)
    print(f"server CPU (gunicorn, all workers) {server_cpu:.1f} s for {served} pages: "
          f"{server_cpu / max(1, served) * 1000:.0f} ms per page; load average {load[0]:.1f} -> {load[1]:.1f}")
    print(f"PostgreSQL CPU (the workers' backends) {database_cpu:.1f} s: "
          f"{database_cpu / max(1, served) * 1000:.0f} ms per page")
    failures = sum(int(r["Failure Count"]) for r in rows)
    ok = failures == 0 and all(float(r["95%"]) < 300 for r in pages)
    if not args.no_docs:
        write_docs(rows, args)
    return 0 if ok else 1


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live children (gunicorn and its workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _backends_cpu(database: str) -> float:
    """CPU seconds used by the PostgreSQL backends connected to ``database`` now (the server's workers, each
    holding one connection for the run; sign-in included), read from /proc (PostgreSQL on this machine)."""
    name = database.rsplit("/", 1)[-1]
    admin = database.rsplit("/", 1)[0] + "/postgres"
    found = subprocess.run(["psql", admin, "-Atc", f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'"],
                           capture_output=True, text=True, check=False).stdout.split()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in found:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def write_docs(rows: list[dict[str, str]], args: argparse.Namespace) -> None:
    lines = ["## Casework pages under load", "",
             f"`bench/casework_load.py` ({dt.date.today().isoformat()}): locust, {args.users} users for "
             f"{args.seconds} s (half triage officers, half social workers, 5–15 s between pages) against gunicorn "
             f"({args.workers} workers) on loopback, PostgreSQL seeded by `bench/casework_pages.py`. "
             "Sign-in (once per user, at ramp-up) is listed but not part of the target. "
             "Target: p95 < 300 ms per page, 0 errors.", "",
             "| page | requests | failures | p50 ms | p95 ms | req/s |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
                     f"{row['95%']} | {float(row['Requests/s']):.1f} |")
    section = "\n".join(lines) + "\n"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"## Casework pages under load\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
