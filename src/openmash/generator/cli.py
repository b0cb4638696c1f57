"""`generate --households N --seed S --out DIR`: the generator on the command line, without Django."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from .county import generate_county

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Synthetic county generator.")


@app.callback()
def _group() -> None:
    """Keep `generate` a named subcommand, as `openmash generate` will be."""


def _moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write into (created if needed).")],
    households: Annotated[int, typer.Option(min=1, help="Number of households.")] = 300,
    seed: Annotated[int, typer.Option(help="The same seed always gives the same county.")] = 1,
    start: Annotated[str, typer.Option(help="Start of the history period (ISO 8601).")] = "2020-11-02T00:00:00+00:00",
    cutoff: Annotated[str, typer.Option(help="History/live boundary (ISO 8601).")] = "2024-11-02T00:00:00+00:00",
    live_end: Annotated[str, typer.Option(help="End of the live period (ISO 8601).")] = "2025-05-11T00:00:00+01:00",
) -> None:
    """Write history.jsonl, live.jsonl, truth_links.csv and manifest.json to OUT."""
    console = Console(stderr=True)
    began = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        try:
            county = generate_county(households=households, seed=seed, start=_moment(start),
                                     cutoff=_moment(cutoff), live_end=_moment(live_end), progress=report)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        writing = progress.add_task("writing", total=1)
        county.write(out)
        progress.update(writing, completed=1)
    console.print(
        f"{len(county.history)} history and {len(county.live)} live records, {county.persons} people, "
        f"{len(county.truth)} truth rows, written to {out} in {time.perf_counter() - began:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status instead of exiting."""
    command = typer.main.get_command(app)
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="openmash")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return 1
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
