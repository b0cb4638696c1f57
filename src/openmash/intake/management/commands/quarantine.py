"""openmash quarantine list|show|export — review lines that ingest could not accept (contract §1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from openmash.intake.management.commands.ingest import database_problem
from openmash.intake.models import Quarantine
from openmash.intake.queries import quarantine_as_json, quarantined_lines
from openmash.platform.audit import Actor, record_event

ACTOR = Actor.system("quarantine-cli")


class Command(BaseCommand):
    help = "List, show or export quarantined lines (open ones unless --all)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="one line per quarantined line")
        listing.add_argument("--all", action="store_true", help="include resolved lines")
        listing.add_argument("--agency", help="only this sending agency")
        show = sub.add_parser("show", help="every problem and the raw line")
        show.add_argument("id", type=int)
        export = sub.add_parser("export", help="JSON Lines, one object per quarantined line")
        export.add_argument("--output", type=Path, required=True, metavar="FILE.jsonl")
        export.add_argument("--all", action="store_true", help="include resolved lines")
        export.add_argument("--agency", help="only this sending agency")

    def handle(self, *args: Any, **options: Any) -> None:
        problem = database_problem()
        if problem:
            raise CommandError(problem, returncode=2)
        action = options["action"]
        if action == "list":
            self._list(quarantined_lines(include_resolved=options["all"], agency=options["agency"]))
        elif action == "show":
            self._show(options["id"])
        else:
            self._export(options["output"], quarantined_lines(include_resolved=options["all"],
                                                              agency=options["agency"]))

    def _list(self, rows: Any) -> None:
        count = 0
        for row in rows:
            count += 1
            who = f"{row.agency}/{row.record_id}" if row.record_id else "(id unreadable)"
            more = f" (+{len(row.problems) - 1} more)" if len(row.problems) > 1 else ""
            state = "resolved" if row.resolved_at else "open"
            self.stdout.write(f"{row.pk:>6}  {row.received_at:%Y-%m-%d %H:%M}  {state:8}  {row.source_file}:{row.line}  "
                              f"{who}  {row.problems[0] if row.problems else ''}{more}")
        self.stdout.write(f"{count} quarantined line(s)")

    def _show(self, pk: int) -> None:
        row = Quarantine.objects.filter(pk=pk).first()
        if row is None:
            raise CommandError(f"no quarantined line {pk}")
        with transaction.atomic():  # the raw line holds personal data: reading it is audited
            record_event(actor=ACTOR, action="quarantine.viewed", object_type="quarantine", object_id=str(pk),
                         purpose="data quality")
        data = quarantine_as_json(row)
        self.stdout.write(f"Quarantined line {pk}: {data['file']} line {data['line']}")
        self.stdout.write(f"  agency {data['agency']}, record_id {data['record_id']}, kind {data['kind']}")
        self.stdout.write(f"  received {data['received_at']}; "
                          + (f"resolved {data['resolved_at']}: {data['resolution']}" if data["resolved_at"] else "open"))
        self.stdout.write("Problems:")
        for problem in data["problems"]:
            self.stdout.write(f"  - {problem}")
        self.stdout.write("Raw line (undecodable bytes shown as \ufffd):")
        self.stdout.write(data["raw_text"].encode("unicode_escape").decode("ascii")
                          if not data["raw_text"].isprintable() else data["raw_text"])

    def _export(self, output: Path, rows: Any) -> None:
        try:
            handle = output.open("w", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}", returncode=2) from exc
        count = 0
        with handle, transaction.atomic():
            for row in rows.iterator():
                handle.write(json.dumps(quarantine_as_json(row), ensure_ascii=False) + "\n")
                count += 1
            record_event(actor=ACTOR, action="quarantine.exported", object_type="quarantine", purpose="data quality",
                         details={"file": str(output), "lines": count})
        self.stdout.write(f"{count} quarantined line(s) written to {output}")
