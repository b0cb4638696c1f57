"""openmash ingest [--backfill] [--report FILE.json] FILE… — load agency feeds (interchange contract v1, §8)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from openmash.intake.services import FeedError, IngestReport, Progress, ingest_files


def database_problem() -> str | None:
    """Why the database cannot be used yet, in one line, or None when it is ready."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"cannot reach the database: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
    if pending:
        return f"the database is not set up ({len(pending)} migrations not applied): run `openmash migrate` first"
    return None


class Command(BaseCommand):
    help = ("Ingest agency feeds (.jsonl or .jsonl.gz). Live mode routes each record as it is stored; --backfill "
            "loads history without notifications. Exit status: 0 all lines accepted, 1 some lines quarantined, "
            "2 the command could not run.")
    # System checks belong to deploy and migrate; a scheduled ingest must not stop on, say, a page warning
    # (and it starts faster). The database itself is checked below.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="feed files, processed as one batch")
        parser.add_argument("--backfill", action="store_true", help="load history: link, but send no notifications")
        parser.add_argument("--report", type=Path, metavar="FILE.json", help="write the §8 JSON report here")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = options["files"]
        problem = database_problem()
        if problem:
            raise CommandError(problem, returncode=2)
        report_file = _open_report(options["report"])
        started = time.monotonic()
        try:
            with _progress_for(cast(TextIO, self.stderr._out)) as progress:
                report = ingest_files(files, backfill=options["backfill"], progress=progress)
        except FeedError as exc:
            raise CommandError(f"{exc}; nothing was ingested", returncode=2) from exc
        except DatabaseError as exc:
            raise CommandError(f"database error: {str(exc).strip().splitlines()[0]}", returncode=2) from exc
        if report_file is not None:
            with report_file:
                json.dump(report.as_json(), report_file, ensure_ascii=False, indent=1)
                report_file.write("\n")
        self._summarise(report, time.monotonic() - started, options["verbosity"])
        if report.exit_code:
            sys.exit(report.exit_code)

    def _summarise(self, report: IngestReport, seconds: float, verbosity: int) -> None:
        summary = report.as_json()
        lines = sum(summary[k] for k in ("new", "updated", "duplicate", "stale", "quarantined"))
        self.stdout.write(
            f"{lines:,} lines in {seconds:.1f}s: new {summary['new']:,}, updated {summary['updated']:,}, "
            f"duplicate {summary['duplicate']:,}, stale {summary['stale']:,}, quarantined {summary['quarantined']:,}, "
            f"with warnings {summary['warnings']:,}")
        for row in summary["quarantined_lines"]:
            who = f" {row['agency']}/{row['record_id']}" if row["record_id"] else ""
            self.stdout.write(f"  quarantined {row['file']}:{row['line']}{who}: " + "; ".join(row["problems"]))
        for row in summary["conflicting_duplicates"]:
            self.stdout.write(f"  duplicate with different content {row['file']}:{row['line']} "
                              f"{row['agency']}/{row['record_id']} (same version re-sent changed: not applied)")
        if verbosity >= 2:
            for row in summary["warning_lines"]:
                self.stdout.write(f"  warning {row['file']}:{row['line']} {row['agency']}/{row['record_id']}: "
                                  + "; ".join(row["warnings"]))
        elif summary["warning_lines"]:
            self.stdout.write(f"  {len(summary['warning_lines']):,} records accepted with doubtful values "
                              "(-v 2 lists them; --report writes them)")


def _open_report(path: Path | None) -> TextIO | None:
    if path is None:
        return None
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write the report {path}: {exc.strerror or exc}; nothing was ingested",
                           returncode=2) from exc


class _progress_for:  # noqa: N801 - used as a context manager, reads like a function
    """A rich progress bar on a terminal; plain lines at every tenth otherwise (logs, CI)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None
        self.task: Any = None
        self.next_tenth = 1

    def __enter__(self) -> Progress:
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                console=Console(file=self.stream), transient=True)
            self.bar.start()
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task("ingest", total=total)
            self.bar.update(self.task, completed=done)
            return
        while total and done * 10 >= self.next_tenth * total and self.next_tenth <= 10:
            self.stream.write(f"processed {done:,} of {total:,} lines\n")
            self.stream.flush()
            self.next_tenth = done * 10 // total + 1

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
