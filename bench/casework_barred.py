"""The child's chronology as a viewer barred from confidential addresses sees it (protocol §4: a school, police
reading another agency's records, probation…): statements, wall and CPU time of building the page's data, with
what is confidential read once for the chronology, and, for comparison, looked up record by record.

    OPENMASH_BENCH_VAR_DIR=<var folder of the kept run> .venv/bin/python bench/casework_barred.py \\
        --database postgres://…/openmash_bench_casework_… [--person P0000000]

Runs against a database kept by ``bench/casework_pages.py --keep``. The decision is made up (a school viewer
granted ``full``), so no relationship needs seeding; the page's reads are rolled back. Prints; writes no docs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--person", default="P0000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.update({"OPENMASH_DATABASE_URL": args.database, "OPENMASH_TESTING": "1",
                       "OPENMASH_VAR_DIR": os.environ.get("OPENMASH_BENCH_VAR_DIR", "")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from openmash.accounts.models import User
    from openmash.casework.queries import person
    from openmash.platform.access import reading
    from openmash.platform.domain.access_rules import Decision, Level

    school = Decision(True, Level.FULL, ("bench",), barred_from_confidential=True, viewer_agency="school")
    viewer = User.objects.get(username="school-nurse")

    def once() -> tuple[int, float, float]:
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as made, transaction.atomic(), \
                reading(viewer, purpose="bench") as reads:
            person.person_page(args.person, school, reads, person.ChronologyFilters(),
                               now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            transaction.set_rollback(True)
        return len(made), (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000

    def report(name: str) -> None:
        once()
        runs = sorted((once() for _ in range(args.repeat)), key=lambda r: r[1])
        statements, wall, cpu = runs[len(runs) // 2]
        print(f"{name:34} {statements:5d} statements  wall {wall:7.1f} ms  CPU {cpu:7.1f} ms (median of {args.repeat})")

    report("confidential context per page")
    person._confidential_contexts = lambda *_: {}  # type: ignore[assignment]  # the filter's own look-ups
    report("looked up record by record")


if __name__ == "__main__":
    main()
