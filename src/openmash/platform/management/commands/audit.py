"""openmash audit verify — check the hash chain of the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.platform.audit import verify_trail
from openmash.platform.models import AuditHead


class Command(BaseCommand):
    help = "Audit trail operations: `verify` detects any edited, deleted, inserted or reordered row."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Recompute the hash chain; exit 1 naming each broken row.")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_trail()
        head = AuditHead.objects.filter(id=1).first()
        if problems:
            for problem in problems:
                self.stderr.write(f"audit row {problem.seq}: {problem.problem}")
            raise CommandError(f"audit trail broken: {len(problems)} problem(s)", returncode=1)
        self.stdout.write(f"audit trail intact: {head.seq if head else 0} rows verified")
