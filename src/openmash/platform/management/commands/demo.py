"""openmash demo — the demo partnership: directory, one log-in per role, and a generated county ingested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.intake.models import Record
from openmash.platform.management.commands.generate import generate_with_progress


class Command(BaseCommand):
    help = "Load the demo directory and a generated county (history as backfill, then live). Synthetic data only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, default=400, help="Households in the generated county.")
        parser.add_argument("--seed", type=int, default=7, help="Generator seed.")
        parser.add_argument("--password", default="demo-password-1", help="Password of every demo user.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("`openmash demo` loads synthetic data and demo passwords: run it with OPENMASH_DEMO=1")
        folder = Path(settings.VAR_DIR) / "demo-county"
        if Record.objects.exists():
            self.stdout.write("The database already holds records: the county is not loaded again.")
        else:
            self.stdout.write(f"Generating a county of {options['households']} households…")
            generate_with_progress(options["households"], options["seed"]).write(folder)
            for args_ in (["--backfill", str(folder / "history.jsonl")], [str(folder / "live.jsonl")]):
                try:
                    call_command("ingest", *args_)
                except SystemExit as exit_:  # ingest exits 1 when lines were quarantined; the demo goes on
                    if exit_.code not in (0, 1, None):
                        raise CommandError(f"ingest failed with exit status {exit_.code}") from exit_
        call_command("directory", "demo", "--password", options["password"])
        self.stdout.write("\nServing on http://127.0.0.1:8000/ — sign in with any log-in above.")
