"""Casework pages benchmark: server time of the triage queue (5,000 queued incidents) and of a child's page
with a 300-event chronology, on PostgreSQL with 1,000,000 persons (and SQLite for comparison).

    .venv/bin/python bench/casework_pages.py [--persons N] [--queued N] [--events N] [--backends postgres,sqlite]
                                             [--requests N] [--keep] [--no-docs] [--profile] [--serving]

Each backend runs in its own process on a fresh database, migrated, then seeded in bulk straight into the
shared data model (records, versions, mentions, links, assessments, triage items, notifications: the rows
ingest and the pipeline would write, without running them). Server time is one full Django request
(middleware, access layer and audit write, queries, template) through the test client, signed in as the
demo triage officer and social worker; the first requests warm caches and are not counted. The section
"Casework pages" of docs/benchmarks.md is rewritten with the result. ``--keep`` leaves the PostgreSQL
database in place and prints its URL (for the locust run in bench/locustfile_casework.py); ``--database URL``
runs against such a kept database again (migrated, not re-seeded; PostgreSQL only; set
OPENMASH_BENCH_VAR_DIR to the folder the kept run printed: it holds the field-encryption keys). ``--profile``
times nothing: it prints each page's SQL statement count and a cProfile of one request (docs untouched).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
TARGET_MS = 150.0
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
KINDS = ("hv_contact", "school_nurse_contact", "ed_attendance", "csc_contact", "police_incident", "gp_registration",
         "school_enrolment", "cin_plan")


def _person(ref: str, role: str, n: int, dob: str) -> dict[str, object]:
    return {"ref": ref, "role": role, "given_names": f"Given{n}", "family_name": f"Family{n % 5000}",
            "date_of_birth": dob, "sex": "female" if n % 2 else "male",
            "address": {"lines": [f"{n % 97 + 1} Mill Lane"], "town": "Lincoln", "postcode": f"LN{n % 9 + 1} 7ES"}}


def _record(agency: str, record_id: str, kind: str, at: dt.datetime, people: list[dict[str, object]],
            details: dict[str, object]) -> dict[str, object]:
    return {"schema": "openmash.record/1", "source": {"agency": agency}, "record_id": record_id, "version": 1,
            "kind": kind, "occurred_at": at.isoformat(), "recorded_at": (at + dt.timedelta(hours=1)).isoformat(),
            "address": people[0]["address"], "people": people, "details": details,
            "narrative": "Officers attended following a call from a neighbour. " * 6}


def seed(persons: int, queued: int, events: int) -> dict[str, str]:
    """Bulk rows as the pipeline leaves them. Returns the child's person id."""
    from django.db import transaction

    from openmash.identity.models import MentionLink, Person, Residence
    from openmash.intake.models import Mention, Record, RecordVersion
    from openmash.protocol.models import IncidentAssessment, IncidentChild, Notification, TriageItem

    rng = random.Random(7)
    batch = 20_000
    with transaction.atomic():
        for start in range(0, persons, batch):
            Person.objects.bulk_create([Person(person_id=f"P{i:07d}") for i in range(start, min(persons, start + batch))],
                                       batch_size=batch)
    pk_of = dict(Person.objects.filter(person_id__in=["P0000000"]).values_list("person_id", "pk"))
    first_pk = pk_of["P0000000"]
    child_id = "P0000000"
    seq = 0

    def store(specs: list[tuple[dict[str, object], list[tuple[str, int]]]]) -> list[tuple[Record, RecordVersion,
                                                                                         list[Mention]]]:
        nonlocal seq
        records = Record.objects.bulk_create([Record(agency=d["source"]["agency"], record_id=d["record_id"],  # type: ignore[index]
                                                     kind=d["kind"]) for d, _ in specs])
        versions = []
        for (data, _), record in zip(specs, records, strict=True):
            seq += 1
            at = dt.datetime.fromisoformat(str(data["occurred_at"]))
            versions.append(RecordVersion(record=record, version=1, kind=record.kind, occurred_at=at,
                                          recorded_at=at + dt.timedelta(hours=1), raw=json.dumps(data), data=data,
                                          content_hash=uuid.uuid4().hex, received_at=at, source_file="bench",
                                          source_line=seq, seq=seq, live=True))
        versions = RecordVersion.objects.bulk_create(versions)
        for record, version in zip(records, versions, strict=True):
            record.current = version
        Record.objects.bulk_update(records, ["current"])
        mentions, links, out = [], [], []
        for (data, _people), record, version in zip(specs, records, versions, strict=True):
            made = [Mention(record=record, ref=p["ref"], role=p["role"], data=p, version=version)  # type: ignore[misc]
                    for p in data["people"]]  # type: ignore[attr-defined]
            mentions += made
            out.append((record, version, made))
        Mention.objects.bulk_create(mentions)
        for (_data, people), (_r, _v, made) in zip(specs, out, strict=True):
            for mention, (_ref, person_pk) in zip(made, people, strict=True):
                links.append(MentionLink(mention=mention, person_id=person_pk, probability=1.0, method="model",
                                         features={}))
        MentionLink.objects.bulk_create(links)
        return out

    # 5,000 queued incidents, each with a victim, a perpetrator and one or two children, and its csc notification.
    for start in range(0, queued, 1000):
        specs = []
        for i in range(start, min(queued, start + 1000)):
            at = T0 + dt.timedelta(minutes=37 * i)
            people_pks = [first_pk + rng.randrange(1, persons) for _ in range(4)]
            people = [_person("p1", "victim", i, "1990-01-01"), _person("p2", "perpetrator", i + 1, "1988-05-05"),
                      _person("c1", "child_present", i + 2, f"{2010 + i % 14}-03-03"),
                      _person("c2", "child_in_household", i + 3, f"{2012 + i % 12}-07-07")]
            details = {"officer_risk": ("standard", "medium", "high")[i % 3],
                       "dash": {"completed": True, "answers": {str(q): "yes" if q % 3 else "no" for q in range(1, 28)}},
                       "children_seen": [{"ref": "c1", "seen": True, "said": "I was scared", "demeanour": "quiet"}]}
            specs.append((_record("police", f"Q{i:06d}", "da_incident", at, people, details),
                          list(zip(["p1", "p2", "c1", "c2"], people_pks, strict=True))))
        stored = store(specs)
        assessments = IncidentAssessment.objects.bulk_create([
            IncidentAssessment(version=v, record=r, seq=v.seq, occurred_at=v.occurred_at, recorded_at=v.recorded_at,
                               tool="police_dash", tool_version="2009", dash_yes=18,
                               level=("standard", "medium", "high")[n % 3], level_criteria=[], live=True)
            for n, (r, v, _m) in enumerate(stored, start=start)])
        IncidentChild.objects.bulk_create([
            IncidentChild(assessment=a, mention=m, person_id_then="P") for a, (_r, _v, ms) in zip(
                assessments, stored, strict=True) for m in ms[2:]])
        TriageItem.objects.bulk_create([
            TriageItem(record=r, assessment=a, level=a.level, level_rank=("high", "medium", "standard").index(a.level),
                       youngest_age=rng.randrange(0, 17), recorded_at=v.recorded_at)
            for a, (r, v, _m) in zip(assessments, stored, strict=True)])
        Notification.objects.bulk_create([
            Notification(notification_id=str(uuid.uuid4()), created_at=v.recorded_at,
                         due_by=v.recorded_at + dt.timedelta(hours=1), priority="immediate", recipient_agency="csc",
                         reasons=["CSC_CHILD_AT_DA_INCIDENT"], record=r, source_agency="police",
                         source_record_id=r.record_id, source_version=1,
                         subjects=[{"agency": "police", "record_id": r.record_id, "person_ref": "c1",
                                    "person_id": f"P{rng.randrange(1, persons):07d}"}], content_level="full",
                         content={}) for r, v, _m in stored])

    # One child with a long chronology: incidents, plans, contacts, with their households.
    specs = []
    for i in range(events):
        at = T0 - dt.timedelta(days=11 * (events - i))
        kind = "da_incident" if i % 3 == 0 else KINDS[i % len(KINDS)]
        role = "child_present" if kind == "da_incident" else "subject"
        people = [_person("c1", role, 0, "2012-03-03")]
        pks = [("c1", first_pk)]
        if kind == "da_incident":
            people += [_person("p1", "victim", 10, "1990-01-01"), _person("p2", "perpetrator", 11, "1985-01-01")]
            pks += [("p1", first_pk + 10), ("p2", first_pk + 11)]
        details: dict[str, object] = {"officer_risk": "medium", "children_seen": [
            {"ref": "c1", "seen": True, "said": f"It happened again ({i})", "demeanour": "tearful"}]} \
            if kind == "da_incident" else {"outcome": "advice", "contact_type": "home visit"}
        specs.append((_record("police" if kind == "da_incident" else "csc", f"C{i:06d}", kind, at, people, details),
                      pks))
    stored = store(specs)
    Residence.objects.bulk_create([
        Residence(mention=m, household_key=f"B:{1 + n * 3 // max(1, events)}|MILL LANE||P:LN1 7ES", postcode="LN1 7ES",
                  since=v.occurred_at.date()) for n, (_r, v, ms) in enumerate(stored) for m in ms])
    incidents = [(r, v, ms) for r, v, ms in stored if r.kind == "da_incident"]
    IncidentAssessment.objects.bulk_create([
        IncidentAssessment(version=v, record=r, seq=v.seq, occurred_at=v.occurred_at, recorded_at=v.recorded_at,
                           tool="police_dash", tool_version="2009", dash_yes=5, level="medium", level_criteria=[])
        for r, v, _m in incidents])
    last = incidents[-1][0]
    Notification.objects.create(
        notification_id=str(uuid.uuid4()), created_at=T0, due_by=T0, priority="immediate", recipient_agency="csc",
        reasons=["CSC_CHILD_AT_DA_INCIDENT"], record=last, source_agency="police", source_record_id=last.record_id,
        source_version=1, subjects=[{"agency": "police", "record_id": last.record_id, "person_ref": "c1",
                                     "person_id": child_id}], content_level="full", content={})
    return {"child": child_id}


def _time(client: object, url: str, n: int) -> dict[str, float]:
    for _ in range(3):
        response = client.get(url)  # type: ignore[attr-defined]
        assert response.status_code == 200, (url, response.status_code)
    samples, cpu = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[max(0, int(round(0.95 * len(samples))) - 1)],
            "max": samples[-1], "cpu_p50": statistics.median(cpu)}


def _profile(client: object, url: str) -> str:
    """SQL statements and the functions where one request's Python time goes (after warm-up)."""
    import cProfile
    import io
    import pstats

    from django.db import connection

    for _ in range(3):
        client.get(url)  # type: ignore[attr-defined]
    captured: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed):
        client.get(url)  # type: ignore[attr-defined]
    profiler = cProfile.Profile()
    started = time.process_time()
    profiler.runcall(client.get, url)  # type: ignore[attr-defined]
    cpu = (time.process_time() - started) * 1000
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"openmash|template|json|copy", 30)
    stats.sort_stats("tottime").print_stats(25)
    lines = [f"{url}: {len(captured)} SQL statements ({sum(t for t, _ in captured) * 1000:.0f} ms), "
             f"{cpu:.0f} ms CPU under the profiler"]
    lines += [f"  {t * 1000:.1f} ms  {sql[:400]}" for t, sql in sorted(captured, key=lambda q: -q[0])[:8]]
    lines += ["  in order:"] + [f"  {n:3d} {t * 1000:6.1f} ms  {sql[:160]}" for n, (t, sql) in enumerate(captured, 1)]
    return "\n".join(lines) + "\n" + out.getvalue()


def worker(database_url: str, args: argparse.Namespace) -> None:
    os.environ["OPENMASH_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    os.environ["OPENMASH_TESTING"] = "1"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from openmash.accounts.models import User
    from openmash.accounts.services import DEMO_DIRECTORY, load_directory, read_directory
    from openmash.platform.audit import Actor

    settings.OPENMASH_MFA_REQUIRED = False
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, skip_checks=True)
    from openmash.identity.models import Person

    started = time.perf_counter()
    if Person.objects.exists():  # --database: a database an earlier run seeded and kept
        ids = {"child": "P0000000"}
    else:
        load_directory(read_directory(DEMO_DIRECTORY), actor=Actor.system("bench"), passwords="demo-password-1")
        ids = seed(args.persons, args.queued, args.events)
    seeded = time.perf_counter() - started
    if "postgresql" in database_url or database_url.startswith("postgres"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if args.serving:  # as the served process runs: what the application loaded frozen, fewer young collections
        from openmash.web import serving

        serving.when_ready(server=None)
    triage, social = Client(), Client()
    triage.force_login(User.objects.get(username="triage"))
    social.force_login(User.objects.get(username="social-worker"))
    pages = {
        "triage queue, page 1": (triage, "/triage/"),
        "triage queue, page 100": (triage, "/triage/?page=100"),
        "triage queue, filtered (high, under 5, LN3)": (triage, "/triage/?level=high&age=under-5&area=LN3"),
        f"child page, {args.events}-event chronology": (social, f"/people/{ids['child']}/"),
        "child chronology, filtered (police, significant)": (social, f"/people/{ids['child']}/?agency=police&significant=on"),
    }
    if args.profile:
        for client, url in pages.values():
            print(_profile(client, url), file=sys.stderr)
        return
    results = {name: _time(client, url, args.requests) for name, (client, url) in pages.items()}
    print(json.dumps({"seeded_s": seeded, "results": results, "load": os.getloadavg()[0]}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=5000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--database", default="", help="a kept PostgreSQL database to run against again")
    parser.add_argument("--serving", action="store_true",
                        help="the garbage collector as gunicorn runs it (openmash.web.serving), not Python's default")
    parser.add_argument("--worker", default="")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args)
        return 0
    admin_url = os.environ.get("OPENMASH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    results: dict[str, dict[str, object]] = {}
    for backend in args.backends.split(","):
        # The var folder holds the field-encryption keys: a kept database is read with the folder it was made with.
        folder = os.environ.get("OPENMASH_BENCH_VAR_DIR") or tempfile.mkdtemp(prefix="openmash-bench-")
        database = f"openmash_bench_casework_{uuid.uuid4().hex[:8]}"
        if backend == "postgres" and args.database:
            url, database, args.keep = args.database, args.database.rsplit("/", 1)[-1], True
        elif backend == "postgres":
            subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"CREATE DATABASE {database}"], check=True)
            url = f"{admin_url}/{database}"
        else:
            url = f"sqlite:///{folder}/bench.sqlite3"
        persons = args.persons if backend == "postgres" else min(args.persons, 100_000)
        command = [sys.executable, __file__, "--worker", url, "--persons", str(persons), "--queued", str(args.queued),
                   "--events", str(args.events), "--requests", str(args.requests)] + (["--profile"] * args.profile) \
            + (["--serving"] * args.serving)
        try:
            done = subprocess.run(command, check=True, capture_output=True, text=True,
                                  env={**os.environ, "OPENMASH_VAR_DIR": folder})
        except subprocess.CalledProcessError as failed:
            print(failed.stdout, failed.stderr, file=sys.stderr)
            raise
        finally:
            if backend == "postgres" and not args.keep:
                subprocess.run(["psql", f"{admin_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {database}"],
                               check=False)
        if args.profile:
            print(done.stderr)
            continue
        found = json.loads(done.stdout.strip().splitlines()[-1])
        results[backend] = {**found, "persons": persons}
        print(backend, json.dumps(found, indent=1))
        if backend == "postgres" and args.keep:
            print(f"kept: {url} (OPENMASH_BENCH_VAR_DIR={folder})")
    if args.profile:
        return 0
    if not args.no_docs:
        write_docs(results, args)
    worst = max((r["p95"] for r in results.get("postgres", {}).get("results", {}).values()), default=0.0)  # type: ignore[union-attr]
    return 0 if worst < TARGET_MS else 1


def write_docs(results: dict[str, dict[str, object]], args: argparse.Namespace) -> None:
    lines = ["## Casework pages", "",
             f"`bench/casework_pages.py` ({dt.date.today().isoformat()}, {platform.python_version()}): server time "
             "of one full request through Django's test client (middleware, access layer and its audit row, "
             f"queries, template), {args.requests} requests per page after 3 warm-up requests. Seeded in bulk: "
             f"{args.queued:,} queued incidents (4 people each, a csc notification each) and one child with a "
             f"{args.events}-event chronology (a third of them domestic abuse incidents with the child's words). "
             f"Target: p95 < {TARGET_MS:.0f} ms on PostgreSQL with 1,000,000 persons. The machine is shared: "
             "with a high load average, wall times are inflated and the Python CPU column (the web process's "
             "own work, database time excluded) is the steadier figure.", ""]
    for backend, found in results.items():
        lines += [f"**{backend}** ({int(found['persons']):,} persons; seeded in {float(found['seeded_s']):.0f} s; "  # type: ignore[arg-type]
                  f"1-minute load average at the end {float(found.get('load', 0)):.1f} on {os.cpu_count()} CPUs)", "",  # type: ignore[arg-type]
                  "| page | p50 ms | p95 ms | max ms | Python CPU p50 ms |", "|---|---:|---:|---:|---:|"]
        for name, r in found["results"].items():  # type: ignore[attr-defined]
            lines.append(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['cpu_p50']:.1f} |")
        lines.append("")
    section = "\n".join(lines)
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"## Casework pages\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section.rstrip() + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
