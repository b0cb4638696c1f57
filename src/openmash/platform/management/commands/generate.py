"""openmash generate — write a synthetic county (feeds, truth links, manifest) to a folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import Progress

from openmash.generator.county import GeneratedCounty, generate_county

DEFAULT_START = dt.datetime(2020, 11, 2, tzinfo=dt.UTC)
DEFAULT_CUTOFF = dt.datetime(2024, 11, 2, tzinfo=dt.UTC)
DEFAULT_LIVE_END = dt.datetime(2025, 5, 11, tzinfo=dt.UTC)


def generate_with_progress(households: int, seed: int, *, quiet: bool = False) -> GeneratedCounty:
    with Progress(disable=quiet, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        return generate_county(households=households, seed=seed, start=DEFAULT_START, cutoff=DEFAULT_CUTOFF,
                               live_end=DEFAULT_LIVE_END, progress=report)


class Command(BaseCommand):
    help = "Generate a synthetic county: history.jsonl, live.jsonl, truth_links.csv and manifest.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, default=300, help="Number of households (default 300).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same county.")
        parser.add_argument("--out", type=Path, required=True, help="Folder to write into (created if needed).")

    def handle(self, *args: Any, **options: Any) -> None:
        county = generate_with_progress(options["households"], options["seed"], quiet=not self.stdout.isatty())
        county.write(options["out"])
        self.stdout.write(f"{len(county.history)} history and {len(county.live)} live records, "
                          f"{county.persons} people, written to {options['out']}")
