"""In-memory linkage harness: stream feeds in ``recorded_at`` order and link as live.

    python -m openmash.identity.harness history.jsonl live.jsonl --output links.csv

Reads already-valid feed lines (no quarantine), keeps only the newest version of
each record as the contract says, links every person-in-record with the domain
linker against an in-memory store, and writes a links CSV (contract §7) that
``eval_links.py`` scores. No database: this measures the linker alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.identity.domain.linker import InMemoryStore, MentionKey, link_record
from openmash.identity.domain.scoring import LinkageModel
from openmash.intake.domain.record import Record


def read_records(paths: Sequence[Path]) -> Iterator[Record]:
    """Every record of every feed, in ascending ``recorded_at`` (ties: file order, then line)."""
    rows: list[tuple[object, int, int, Record]] = []
    for file_index, path in enumerate(paths):
        with path.open(encoding="utf-8-sig") as handle:
            for line_no, line in enumerate(handle, 1):
                if line.strip():
                    record = Record.from_json(json.loads(line))
                    rows.append((record.recorded_at, file_index, line_no, record))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    for row in rows:
        yield row[3]


class Harness:
    def __init__(self, model: LinkageModel | None = None) -> None:
        self.model = model or LinkageModel()
        self.store = InMemoryStore()
        self.versions: dict[tuple[str, str], int] = {}
        self.current: dict[tuple[str, str], list[MentionKey]] = {}
        self.timings: list[float] = []

    def ingest(self, record: Record) -> None:
        key = record.key
        if self.versions.get(key, 0) >= record.version:
            return
        self.versions[key] = record.version
        previous = set(self.current.get(key, []))
        if record.withdrawn:
            for mention in previous:
                self.store.remove_mention(mention)
            self.current[key] = []
            return
        features = [mention_features(record, p) for p in record.people if p.is_linkable]
        for gone in previous - {f.mention_key for f in features}:
            self.store.remove_mention(gone)
        self.current[key] = [f.mention_key for f in features]
        started = time.perf_counter()
        link_record(self.store, self.model, features)
        if features:
            self.timings.append((time.perf_counter() - started) / len(features))

    def run(self, records: Iterable[Record]) -> None:
        for record in records:
            self.ingest(record)

    def links(self) -> list[tuple[str, str, str, str]]:
        rows = []
        for mentions in self.current.values():
            for mention in mentions:
                rows.append((*mention, self.store.link[mention]))
        rows.sort()
        return rows

    def features(self) -> dict[MentionKey, MentionFeatures]:
        return {k: f for person in self.store.members.values() for k, f in person.items()}


def write_links(rows: Iterable[tuple[str, str, str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["agency", "record_id", "person_ref", "person_id"])
        writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("feeds", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--model", type=Path, help="model JSON (default: the shipped default weights)")
    args = parser.parse_args(argv)
    model = LinkageModel.from_json(json.loads(args.model.read_text())) if args.model else LinkageModel()
    harness = Harness(model)
    harness.run(read_records(args.feeds))
    write_links(harness.links(), args.output)
    t = sorted(harness.timings)
    if t:
        print(f"mentions linked: {len(t)} records; per-mention p50 {t[len(t) // 2] * 1000:.2f} ms, "
              f"p95 {t[int(len(t) * 0.95)] * 1000:.2f} ms; merges {len(harness.store.merges)}, reviews {len(harness.store.reviews)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
