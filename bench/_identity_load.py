"""The identity benchmarks' fast path: put a million linked people into a database without ingesting them.

Ingesting 1,000,000 person-records one by one through the pipeline would take hours, so the stored
side is written directly, in the rows ingest and ``link_record_version`` would have written: for each
person-record a ``Record``, its ``RecordVersion`` (the line as received and its parsed data), the
``Mention``, then (when linked) its ``Person``, ``MentionLink`` (with the features, computed by
``identity.domain.features.mention_features``) and the person's ``BlockingKey`` rows (from
``identity.domain.blocking.blocking_keys``, the production key function). The link's ``compact`` column
(the features' values, what the candidate read returns) is a generated column: the database writes it from
``features`` here as on every other write. ``Residence`` rows are left out: matching never reads them. New
records are then timed through the production code.

PostgreSQL: COPY, with foreign-key triggers off for the session and the blocking-key indexes built
after the load. SQLite: multi-row INSERTs with foreign-key checks off, indexes built after the load.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

STORED_SOURCE = "bench:stored"


@dataclass(frozen=True)
class StoredLine:
    """One person-record of the prepared file: the record, and (when linked) its person number."""

    record: dict[str, Any]
    person: int | None
    features: dict[str, Any] | None
    keys: list[str]


def prepare_line(record: dict[str, Any], person: int | None, *, features_only: bool = False) -> str:
    """A line of the prepared file: the record with its features and keys (computed once, loaded twice).

    ``person`` None: the record is stored unlinked (``features_only`` still computes its features, for Splink).
    """
    from openmash.identity.domain.blocking import blocking_keys
    from openmash.identity.domain.features import mention_features
    from openmash.intake.domain.record import Record

    domain = Record.from_json(record)
    features = mention_features(domain, domain.people[0]) if person is not None or features_only else None
    keys = sorted(blocking_keys(features)) if features is not None and person is not None else []
    return json.dumps({"r": record, "p": person, "f": features.to_json() if features else None, "k": keys},
                      ensure_ascii=False, separators=(",", ":"))


def read_prepared(path: str) -> Iterator[StoredLine]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            obj = json.loads(line)
            yield StoredLine(obj["r"], obj["p"], obj["f"], obj["k"])


def _chunks(items: Iterable[StoredLine], size: int) -> Iterator[list[StoredLine]]:
    chunk: list[StoredLine] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load(lines: Iterable[StoredLine], *, model_version: str, progress: Callable[[str], None] = print) -> dict[str, float]:
    """Write every prepared line; returns seconds per phase. Primary keys are the line numbers (1-based)."""
    from django.db import connection, transaction

    from openmash.identity.models import BlockingKey, MentionLink, Person
    from openmash.intake.models import Mention, ProcessingSequence, Record, RecordVersion
    from openmash.platform.bulk import RawJson, insert_rows

    timings: dict[str, float] = {}
    started = time.perf_counter()
    now = datetime.now(UTC)
    postgres = connection.vendor == "postgresql"
    key_indexes = _drop_key_indexes(connection)
    if not postgres:
        connection.disable_constraint_checking()
        with connection.cursor() as cursor:
            # A bulk load needs no rollback journal (the file is thrown away if it fails); WAL comes back after.
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            # The key table's primary key (key, person_id) cannot be dropped: keep its B-tree in memory while loading.
            cursor.execute("PRAGMA cache_size=-2000000")
    n = 0
    persons: set[int] = set()
    key_rows = 0
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        for chunk in _chunks(lines, 20_000):
            records, versions, mentions, people, links = [], [], [], [], []
            keys: list[tuple[str, int]] = []
            for line in chunk:
                n += 1
                rec = line.record
                raw = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
                person = rec["people"][0]
                records.append({"id": n, "agency": rec["source"]["agency"], "record_id": rec["record_id"],
                                "kind": rec["kind"], "current_id": n, "withdrawn": False})
                occurred = datetime.fromisoformat(rec["occurred_at"])
                versions.append({
                    "id": n, "record_id": n, "version": 1, "kind": rec["kind"], "occurred_at": occurred,
                    "recorded_at": datetime.fromisoformat(rec["recorded_at"]), "ended_at": None, "raw": raw,
                    "data": RawJson(raw), "content_hash": hashlib.sha256(raw.encode()).hexdigest(),
                    "received_at": now, "source_file": STORED_SOURCE, "source_line": n, "seq": n, "live": False,
                    "withdrawn": False, "warnings": [],
                })
                mentions.append({"id": n, "record_id": n, "ref": person["ref"], "role": person["role"],
                                 "data": person, "version_id": n, "active": True})
                if line.person is None or line.features is None:
                    continue
                if line.person not in persons:
                    persons.add(line.person)
                    people.append({"id": line.person, "person_id": f"P{line.person:07d}", "created_at": now,
                                   "merged_into_id": None})
                links.append({"id": n, "mention_id": n, "person_id": line.person, "probability": 1.0,
                              "method": "new", "explanation": {}, "features": {**line.features, "rv": n},
                              "model_version": model_version, "linked_at": now})
                keys.extend((k, line.person) for k in line.keys)
            insert_rows(Record, records)
            insert_rows(RecordVersion, versions)
            insert_rows(Mention, mentions)
            insert_rows(Person, people)
            insert_rows(MentionLink, links)
            key_rows += _insert_keys(connection, BlockingKey._meta.db_table, keys)
            if n % 100_000 < 20_000:
                progress(f"  loaded {n:,} person-records, {key_rows:,} key rows ({time.perf_counter() - started:.0f} s)")
        ProcessingSequence.objects.update_or_create(id=1, defaults={"last": n})
    timings["rows"] = time.perf_counter() - started
    started = time.perf_counter()
    if not postgres:
        connection.enable_constraint_checking()
    _restore_key_indexes(connection, key_indexes)
    if not postgres:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
    timings["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if postgres:
            for model in (Record, RecordVersion, Mention, Person, MentionLink):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")
    if postgres:
        # Index-only scans need the visibility map: what autovacuum would have done by now.
        connection.ensure_connection()
        raw = connection.connection
        previous = raw.autocommit
        raw.autocommit = True
        try:
            with raw.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        finally:
            raw.autocommit = previous
    timings["analyze"] = time.perf_counter() - started
    timings["person_records"] = n
    timings["persons"] = len(persons)
    timings["key_rows"] = key_rows
    return timings


def _insert_keys(connection: Any, table: str, text_keys: list[tuple[str, int]]) -> int:
    from openmash.identity.blocking_index import stored_keys

    if not text_keys:
        return 0
    keys = list(zip(stored_keys([k for k, _ in text_keys]), [p for _, p in text_keys], strict=True))
    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.Cursor(connection.connection) as cursor, cursor.copy(f"COPY {table} (key, person_id) FROM STDIN") as copy:
            for row in keys:
                copy.write_row(row)
    else:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} (key, person_id) VALUES (%s, %s)", keys)
    return len(keys)


def _drop_key_indexes(connection: Any) -> list[str]:
    """Drop the blocking-key table's indexes and constraints; returns the statements that rebuild them."""
    from openmash.identity.models import BlockingKey

    table = BlockingKey._meta.db_table
    restore: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')",
                [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE '%%_pkey'",
                           [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                restore.insert(0, definition)
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                           [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(definition)
    return restore


def _restore_key_indexes(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in statements:
            cursor.execute(statement)
