"""openmash worker — run the hub's background work: the periodic protocol checks and queued tasks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = ("Every --interval seconds, queue the periodic protocol checks (escalation, pushes) on the "
            "database task queue, then run every queued task.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between checks (default 60).")
        parser.add_argument("--once", action="store_true", help="One cycle, then exit (for cron or tests).")

    def handle(self, *args: Any, **options: Any) -> None:
        from openmash.protocol.tasks import periodic_checks

        while True:
            periodic_checks.enqueue()
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
            if options["once"]:
                return
            time.sleep(options["interval"])
