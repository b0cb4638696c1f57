"""openmash protocol check FILE | explain --record AGENCY:RECORD_ID | simulate — the joint protocol as data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.protocol.domain.policy import PolicyError, dump_summary, load_policy


class Command(BaseCommand):
    help = "Check a protocol policy file, or explain how the protocol treats a stored record."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="Validate a policy file and summarise it (exit 1 when invalid).")
        check.add_argument("file", type=Path)
        explain = sub.add_parser("explain", help="Every rule considered for a stored record, and why.")
        explain.add_argument("--record", required=True, metavar="AGENCY:RECORD_ID")
        simulate = sub.add_parser(
            "simulate", help="Run feeds through the engine in memory, with person links from a CSV (no database).")
        simulate.add_argument("--backfill", type=Path, nargs="*", default=[])
        simulate.add_argument("--live", type=Path, nargs="*", default=[])
        simulate.add_argument("--links", type=Path, required=True, help="agency,record_id,person_ref,person_id CSV")
        simulate.add_argument("--policy", type=Path)
        simulate.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _check(self, options: dict[str, Any]) -> None:
        try:
            policy = load_policy(options["file"])
        except PolicyError as exc:
            self.stdout.write(f"{options['file']}: invalid policy ({len(exc.problems)} problem(s))")
            for problem in exc.problems:
                self.stdout.write(f"  - {problem}")
            raise CommandError("the policy is not valid", returncode=1) from exc
        self.stdout.write(f"{options['file']}: valid")
        for line in dump_summary(policy):
            self.stdout.write(line)

    def _explain(self, options: dict[str, Any]) -> None:
        from openmash.intake.models import Record
        from openmash.protocol.domain.explain import explain
        from openmash.protocol.models import Alert
        from openmash.protocol.queries import DatabaseHistory, linked_version
        from openmash.protocol.services import calendar_for, policy_in_force

        agency, _, record_id = options["record"].partition(":")
        record = Record.objects.filter(agency=agency, record_id=record_id).select_related("current").first()
        if record is None or record.current is None or record.current.seq is None:
            raise CommandError(f"no processed record {options['record']} (give AGENCY:RECORD_ID)")
        policy = policy_in_force()
        raised = list(Alert.objects.filter(source_version__record=record).values_list("kind", flat=True))
        subject, _ = linked_version(record.current)
        for line in explain(subject, DatabaseHistory(), policy, calendar_for(policy), raised):
            self.stdout.write(line)

    def _simulate(self, options: dict[str, Any]) -> None:
        from openmash.protocol.domain.memory import MemoryStore, read_jsonl

        with open(options["links"], newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        column = "person_id" if rows and "person_id" in rows[0] else "true_person_id"
        links = {(r["agency"], r["record_id"], r["person_ref"]): r[column] for r in rows}
        store = MemoryStore(load_policy(options["policy"]), lambda a, r, p: links.get((a, r, p)))
        for path in options["backfill"]:
            store.ingest(read_jsonl(path), live=False)
        for path in options["live"]:
            store.ingest(read_jsonl(path), live=True)
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        for name, items in (("notifications.jsonl", store.export_notifications()),
                            ("alerts.jsonl", store.export_alerts())):
            with open(out / name, "w", encoding="utf-8") as handle:
                for item in items:
                    handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.stdout.write(f"{len(store.notifications)} notifications and {len(store.alerts)} alerts written to {out}")
