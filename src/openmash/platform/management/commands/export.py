"""openmash export — the contract's exports (§7): ``links`` (identity); other kinds are added by their owners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _export_links(output: Path) -> int:
    from openmash.identity.exports import write_links_csv

    return write_links_csv(output)


def _export_notifications(output: Path) -> int:
    from openmash.protocol.exports import write_notifications_jsonl

    return write_notifications_jsonl(output)


def _export_alerts(output: Path) -> int:
    from openmash.protocol.exports import write_alerts_jsonl

    return write_alerts_jsonl(output)


#: kind → writer(output path) → rows written. Each app adds its own kind here.
EXPORTERS = {
    "links": _export_links,
    "notifications": _export_notifications,
    "alerts": _export_alerts,
}


class Command(BaseCommand):
    help = "Write one of the contract's exports: " + ", ".join(sorted(EXPORTERS)) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTERS))
        parser.add_argument("--output", type=Path, required=True, help="File to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = EXPORTERS[options["kind"]](options["output"])
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc}") from exc
        self.stderr.write(f"{rows} rows written to {options['output']}")
