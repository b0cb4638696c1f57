"""Ingest: store records by interchange contract v1, idempotently, and hand each stored version on.

One command (or one API request) is one batch (§8): every line is read first, then the
lines are processed in ascending ``recorded_at`` (ties: file order, then line order).
Each line ends as exactly one of new / updated / duplicate / stale / quarantined.

Atomicity. A live record is committed in its own transaction, with its pipeline stages; a
backfill commits up to ``STAGED_BACKFILL_CHUNK`` records per transaction when stages are
configured, and up to ``BACKFILL_CHUNK`` (written in bulk) when it is storage only. A chunk
commits whole or not at all; one that fails is redone record by record, so only the record that
fails is held in quarantine. Every record is idempotent by ``(agency, record_id, version)``, so a
crash at any moment followed by a re-run ends in the same state as one clean run. Nothing of a
quarantined line is stored outside ``Quarantine``, and a record is never half-applied. The audit
rows of a transaction (ingest's and the stages') are collected and written once, as it ends.

Pipeline. Each stored version is passed, inside its transaction and in processing order,
to every dotted path in ``settings.OPENMASH_PIPELINE_STAGES`` as ``stage(version, live=...)``.
When stages are configured, records are written one at a time (even within a chunk), so a stage
never sees a record that is processed after the one it is handling; it gets the version as written
(with its record), not read back.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from openmash.intake.domain.contract import LineCheck, check_line, content_hash, is_blank
from openmash.intake.domain.record import parse_datetime
from openmash.intake.models import (
    DataQualityTask,
    Mention,
    ProcessingSequence,
    Quarantine,
    Record,
    RecordVersion,
)
from openmash.platform.audit import Actor, Event, collected, record_events
from openmash.platform.bulk import RawJson, insert_rows, update_rows

log = logging.getLogger(__name__)

Outcome = Literal["new", "updated", "duplicate", "stale", "quarantined"]
Progress = Callable[[int, int], None]
Stage = Callable[..., Any]

#: Records per transaction in a storage-only backfill (no pipeline stages), written in bulk.
BACKFILL_CHUNK = 500
#: Records per transaction in a backfill with pipeline stages: the stages still see one record at a time, but
#: the commit, the processing-sequence write and the audit rows are paid once per chunk. Small enough that a
#: chunk holds the (SQLite) write lock for about a second at most. Live mode commits each record on its own.
STAGED_BACKFILL_CHUNK = 100
#: A quarantined safeguarding line is due on the front door one hour after it was read (§1).
QUARANTINE_TASK_DUE = dt.timedelta(hours=1)
INGEST_ACTOR = Actor.system("ingest")
_FIRST = dt.datetime.min.replace(tzinfo=dt.UTC)


class FeedError(Exception):
    """A feed cannot be opened or read; nothing of the command is ingested (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One non-blank line (or API item) waiting to be processed."""

    source: str
    source_index: int
    line: int
    raw: bytes
    first_line: bool
    received_at: dt.datetime
    live: bool
    #: The agency known to have sent it (an API token's), for a quarantined item whose own agency is unreadable.
    sender: str | None = None

    def sort_key(self) -> tuple[int, dt.datetime, int, int]:
        recorded_at = _recorded_at(self.raw)
        # Lines without a readable recorded_at will be quarantined; they go first, in file order.
        return (0, _FIRST, self.source_index, self.line) if recorded_at is None else (
            1, recorded_at, self.source_index, self.line)


@dataclass(frozen=True, slots=True)
class LineResult:
    """What happened to one line or API item."""

    source: str
    line: int
    outcome: Outcome
    agency: str | None
    record_id: str | None
    version: int | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    conflicting: bool = False
    source_index: int = 0


@dataclass
class IngestReport:
    """The counts and lists of contract §8, for one command or request."""

    results: list[LineResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def quarantined(self) -> int:
        return self.count("quarantined")

    @property
    def exit_code(self) -> int:
        return 1 if self.quarantined else 0

    def ordered(self) -> list[LineResult]:
        return sorted(self.results, key=lambda r: (r.source_index, r.line))

    def as_json(self) -> dict[str, Any]:
        rows = self.ordered()
        return {
            "new": self.count("new"),
            "updated": self.count("updated"),
            "duplicate": self.count("duplicate"),
            "stale": self.count("stale"),
            "quarantined": self.quarantined,
            "warnings": sum(1 for r in rows if r.warnings and r.outcome in ("new", "updated")),
            "quarantined_lines": [
                {"file": r.source, "line": r.line, "record_id": r.record_id, "agency": r.agency,
                 "problems": list(r.problems)} for r in rows if r.outcome == "quarantined"],
            "warning_lines": [
                {"file": r.source, "line": r.line, "record_id": r.record_id, "agency": r.agency,
                 "warnings": list(r.warnings)} for r in rows if r.warnings and r.outcome in ("new", "updated")],
            "conflicting_duplicates": [
                {"file": r.source, "line": r.line, "record_id": r.record_id, "agency": r.agency}
                for r in rows if r.conflicting],
        }


# --- reading ---------------------------------------------------------------------------------------------------


def read_feed(path: Path) -> list[bytes]:
    """Every physical line of a feed (gzip by its magic bytes, whatever its name), without line breaks."""
    try:
        with path.open("rb") as probe:
            compressed = probe.read(2) == b"\x1f\x8b"
        # Streamed line by line: a large backfill is never held twice (whole and split) in memory.
        with (gzip.open(path, "rb") if compressed else path.open("rb")) as feed:
            return [line.removesuffix(b"\n").removesuffix(b"\r") for line in feed]
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise FeedError(f"cannot read {path}: it starts like gzip but does not decompress ({exc})") from exc
    except OSError as exc:
        raise FeedError(f"cannot open {path}: {exc.strerror or exc}") from exc


_RECORDED_AT = re.compile(rb'"recorded_at"\s*:\s*"([^"\\]{1,64})"')


def _recorded_at(raw: bytes) -> dt.datetime | None:
    """The line's ``recorded_at``, to order the batch; None when unreadable (the line is quarantined later)."""
    found = _RECORDED_AT.findall(raw)
    try:
        # One plain occurrence can only be the record's own (a nested one would leave the record invalid);
        # anything else is read properly.
        text = found[0].decode() if len(found) == 1 and b"\\u" not in raw else json.loads(raw)["recorded_at"]
        stamp = parse_datetime(text)
    except Exception:  # noqa: BLE001 - any unreadable line is simply quarantined later
        return None
    return stamp if stamp.tzinfo is not None else None


def read_entries(paths: Sequence[str | Path], *, live: bool) -> list[Entry]:
    """Open and read every file first (§8): one that cannot be read stops the command before anything is stored."""
    entries: list[Entry] = []
    for index, name in enumerate(paths):
        path = Path(name)
        received_at = timezone.now()
        for number, raw in enumerate(read_feed(path), 1):
            if not is_blank(raw, first_line=number == 1):
                entries.append(Entry(str(name), index, number, raw, number == 1, received_at, live))
    return entries


# --- use cases -------------------------------------------------------------------------------------------------


def ingest_files(
    paths: Sequence[str | Path],
    *,
    backfill: bool,
    progress: Progress | None = None,
    actor: Actor = INGEST_ACTOR,
    chunk_size: int | None = None,
) -> IngestReport:
    """``openmash ingest``: read every file, then process every line in ``recorded_at`` order."""
    entries = read_entries(paths, live=not backfill)
    if chunk_size is None:
        # Live records are committed one by one (each one's notifications go out as soon as it is processed);
        # a backfill commits in chunks, smaller when stages run (a page's audit row never waits long).
        chunk_size = (STAGED_BACKFILL_CHUNK if pipeline_stages() else BACKFILL_CHUNK) if backfill else 1
    return process_entries(entries, live=not backfill, progress=progress, actor=actor, chunk_size=chunk_size)


def ingest_items(
    items: Sequence[Any], *, source: str, actor: Actor, live: bool = True, sender: str | None = None
) -> IngestReport:
    """The HTTP API: a JSON array of records, one batch; results carry the item index as ``line`` (1-based)."""
    now = timezone.now()
    entries = [
        Entry(source, 0, index, _item_bytes(item), False, now, live, sender) for index, item in enumerate(items, 1)
    ]
    return process_entries(entries, live=live, actor=actor, chunk_size=1)


def _item_bytes(item: Any) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8", errors="surrogatepass")


def process_entries(
    entries: Iterable[Entry],
    *,
    live: bool,
    actor: Actor = INGEST_ACTOR,
    progress: Progress | None = None,
    chunk_size: int = 1,
) -> IngestReport:
    ordered = sorted(entries, key=Entry.sort_key)
    report = IngestReport()
    stages = pipeline_stages()
    done = 0
    for chunk in batched(ordered, max(1, chunk_size)):
        checked = [(entry, check_line(entry.raw, first_line=entry.first_line)) for entry in chunk]
        report.results.extend(_commit_chunk(checked, stages=stages, actor=actor))
        done += len(chunk)
        if progress is not None:
            progress(done, len(ordered))
    return report


def pipeline_stages() -> list[Stage]:
    return [import_string(path) for path in getattr(settings, "OPENMASH_PIPELINE_STAGES", [])]


def _commit_chunk(checked: list[tuple[Entry, LineCheck]], *, stages: list[Stage], actor: Actor) -> list[LineResult]:
    try:
        with transaction.atomic(), collected():
            return _apply(checked, stages=stages, actor=actor)
    except (OperationalError, InterfaceError):
        raise  # the database itself is unavailable (gone, locked too long): stop; a re-run resumes
    except Exception:
        if len(checked) == 1:
            return [_apply_or_hold(checked[0], stages=stages, actor=actor)]
        # Something in the chunk failed: nothing of it was committed. Redo it one record at a time,
        # so the failure is confined to the one record that causes it.
        log.warning("chunk of %d records failed; retrying one record at a time", len(checked), exc_info=True)
        return [_apply_or_hold(pair, stages=stages, actor=actor) for pair in checked]


def _apply_or_hold(pair: tuple[Entry, LineCheck], *, stages: list[Stage], actor: Actor) -> LineResult:
    entry, check = pair
    try:
        with transaction.atomic(), collected():
            return _apply([pair], stages=stages, actor=actor)[0]
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        # A valid record that OpenMASH itself failed on (a bug, a stage error) is held in quarantine with the
        # reason, rather than blocking the rest of the feed; it can be re-submitted once fixed.
        log.exception("%s line %d could not be stored", entry.source, entry.line)
        problem = (f"OpenMASH could not store this record (internal error: {type(exc).__name__}: {exc}); "
                   "it is held in quarantine to be re-submitted")
        held = LineCheck(problems=(*check.problems, problem), agency=check.agency, record_id=check.record_id,
                         kind=check.kind)
        with transaction.atomic(), collected():
            return _apply([(entry, held)], stages=stages, actor=actor)[0]


# --- storing ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Stored:
    """What is known of one record while a chunk is applied."""

    key: tuple[str, str]
    pk: int | None
    version: int
    content_hash: str
    #: The record's people by ref, loaded when first needed (a new record starts with none).
    mentions: dict[str, _Person] | None = None
    touched: bool = False


def _apply(checked: list[tuple[Entry, LineCheck]], *, stages: list[Stage], actor: Actor) -> list[LineResult]:
    """Store a chunk (and run the stages on each stored version), inside the caller's transaction."""
    sequence = _ProcessingOrder.lock()
    results: list[LineResult] = []
    events: list[Event] = []
    accepted = [(e, c) for e, c in checked if c.accepted]
    results.extend(_quarantine([(e, c) for e, c in checked if not c.accepted], events, actor))
    if stages:
        # One record at a time: each stage sees exactly the records processed before this one. What is stored
        # is read once for the chunk and kept up to date in memory (only this function writes records).
        known = _load_state(accepted)
        for pair in accepted:
            versions, pair_results = _store([pair], sequence, events, actor, known=known, instances=True)
            results.extend(pair_results)
            record_events(events)  # collected: written with the chunk's other rows, in this order
            events = []
            for version in versions:
                for stage in stages:
                    stage(version, live=version.live)
    else:
        results.extend(_store(accepted, sequence, events, actor)[1])
    sequence.save()
    record_events(events)
    return results


@dataclass(slots=True)
class _ProcessingOrder:
    """The processing-sequence row, locked for the transaction (two plain statements, no ORM)."""

    last: int
    start: int

    @classmethod
    def lock(cls) -> _ProcessingOrder:
        table = ProcessingSequence._meta.db_table
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last FROM {table} WHERE id = 1{lock}")  # noqa: S608 - the model's table
            row = cursor.fetchone()
        if row is None:  # the first ingest ever: concurrent first ingests meet on the primary key
            ProcessingSequence.objects.get_or_create(id=1)
            return cls.lock()
        return cls(row[0], row[0])

    def save(self) -> None:
        if self.last != self.start:
            ProcessingSequence.objects.filter(id=1).update(last=self.last)
            self.start = self.last


def _store(
    pairs: list[tuple[Entry, LineCheck]], sequence: _ProcessingOrder, events: list[Event], actor: Actor, *,
    known: dict[tuple[str, str], _Stored] | None = None, instances: bool = False,
) -> tuple[list[RecordVersion], list[LineResult]]:
    """Decide each line's outcome against what is stored (and what this chunk stored before it), then write.

    With ``instances``, returns the stored versions as model instances (with their record), built from what
    was written rather than read back."""
    if not pairs:
        return [], []
    if known is None:
        known = _load_state(pairs)
    new_records: dict[tuple[str, str], dict[str, Any]] = {}
    results: list[LineResult] = []
    stored: list[tuple[_Stored, dict[str, Any], dict[str, Any]]] = []
    for entry, check in pairs:
        record, data = check.record, check.data
        assert record is not None and data is not None
        digest = content_hash(data)
        state = known.get(record.key)
        conflicting = False
        if state is None:
            outcome: Outcome = "new"
            state = known[record.key] = _Stored(record.key, None, 0, "", mentions={})
            new_records[record.key] = {"agency": record.agency, "record_id": record.record_id}
        elif record.version > state.version:
            outcome = "updated"
        elif record.version == state.version:
            outcome, conflicting = "duplicate", digest != state.content_hash
        else:
            outcome = "stale"
        if outcome in ("new", "updated"):
            sequence.last += 1
            text = entry.raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
            row = {
                "record_id": None, "version": record.version, "kind": record.kind,
                "occurred_at": record.occurred_at, "recorded_at": record.recorded_at, "ended_at": record.ended_at,
                "raw": text, "data": RawJson(text) if check.data_is_verbatim else data, "content_hash": digest,
                "received_at": entry.received_at, "source_file": entry.source[:500], "source_line": entry.line,
                "seq": sequence.last, "live": entry.live, "withdrawn": record.withdrawn, "warnings": list(check.warnings),
            }
            state.version, state.content_hash, state.touched = record.version, digest, True
            if record.key in new_records:  # a record first seen in this chunk is inserted as its latest version says
                new_records[record.key].update(kind=record.kind, withdrawn=record.withdrawn)
            stored.append((state, row, data))
            action = "record.withdrawn" if record.withdrawn else "record.stored"
            events.append(Event(actor=actor, action=action, object_type="record",
                                object_id=f"{record.agency}/{record.record_id}", purpose="ingest",
                                details={"version": record.version, "outcome": outcome, "source": entry.source,
                                         "line": entry.line}))
        results.append(LineResult(entry.source, entry.line, outcome, record.agency, record.record_id, record.version,
                                  warnings=check.warnings if outcome in ("new", "updated") else (),
                                  conflicting=conflicting, source_index=entry.source_index))
    if not stored:
        return [], results
    version_pks = _write(known, new_records, stored)
    return (_instances(stored, version_pks) if instances else []), results


def _load_state(pairs: list[tuple[Entry, LineCheck]]) -> dict[tuple[str, str], _Stored]:
    keys = {check.record.key for _, check in pairs if check.record is not None}
    if not keys:
        return {}
    # Both columns, so the (agency, record_id) unique index serves the lookup.
    rows = (Record.objects.filter(agency__in={agency for agency, _ in keys}, record_id__in={rid for _, rid in keys})
            .values_list("pk", "agency", "record_id", "current__version", "current__content_hash"))
    return {
        (agency, record_id): _Stored((agency, record_id), pk, version or 0, digest or "")
        for pk, agency, record_id, version, digest in rows if (agency, record_id) in keys
    }


def _write(
    known: dict[tuple[str, str], _Stored],
    new_records: dict[tuple[str, str], dict[str, Any]],
    stored: list[tuple[_Stored, dict[str, Any], dict[str, Any]]],
) -> list[int]:
    """Write a chunk's decisions in a handful of statements; returns the new versions' primary keys."""
    keys = insert_rows(Record, [{**row, "current_id": None} for row in new_records.values()], returning_pk=True)
    for key, pk in zip(new_records, keys, strict=True):
        known[key].pk = pk
    for state, row, _ in stored:
        row["record_id"] = state.pk
    version_pks = insert_rows(RecordVersion, [row for _, row, _ in stored], returning_pk=True)
    # A record's current version is its highest, which is the last stored of it (only higher ones are stored).
    current: dict[int, dict[str, Any]] = {}
    for (state, row, _), pk in zip(stored, version_pks, strict=True):
        assert state.pk is not None
        current[state.pk] = {"pk": state.pk, "current_id": pk, "kind": row["kind"], "withdrawn": row["withdrawn"]}
    update_rows(Record, list(current.values()))
    _write_mentions(stored, version_pks)
    return version_pks


_VERSION_FIELDS = [field.attname for field in RecordVersion._meta.concrete_fields]


def _instances(stored: list[tuple[_Stored, dict[str, Any], dict[str, Any]]],
               version_pks: list[int]) -> list[RecordVersion]:
    """The versions just written as the database would give them back (datetimes in UTC, ``data`` parsed),
    each with its record, for the stages: no read after the write."""
    versions = []
    db = connection.alias
    for (state, row, data), pk in zip(stored, version_pks, strict=True):
        values = {**row, "id": pk, "data": data}
        for name in ("occurred_at", "recorded_at", "ended_at", "received_at"):
            if values[name] is not None:
                values[name] = values[name].astimezone(dt.UTC)
        version = RecordVersion.from_db(db, _VERSION_FIELDS, [values[name] for name in _VERSION_FIELDS])
        agency, record_id = state.key
        version.record = Record.from_db(db, ["id", "agency", "record_id", "kind", "current_id", "withdrawn"],
                                        [state.pk, agency, record_id, row["kind"], pk, row["withdrawn"]])
        versions.append(version)
    return versions


@dataclass(slots=True)
class _Person:
    """A mention while a chunk is applied (``data`` None: loaded, not renamed in this chunk)."""

    pk: int | None
    role: str
    data: dict[str, Any] | None
    version_pk: int | None
    active: bool
    changed: bool = False


def _write_mentions(stored: list[tuple[_Stored, dict[str, Any], dict[str, Any]]], version_pks: list[int]) -> None:
    """People follow the latest version naming them; those it no longer names stay, inactive (model docs)."""
    unloaded = {state.pk for state, _, _ in stored if state.mentions is None and state.pk is not None}
    loaded: dict[int, dict[str, _Person]] = {}
    if unloaded:
        for pk, record_pk, ref, role, active in Mention.objects.filter(record_id__in=unloaded).values_list(
                "pk", "record_id", "ref", "role", "active"):
            loaded.setdefault(record_pk, {})[ref] = _Person(pk, role, None, None, active)
    states: dict[int, _Stored] = {}
    for (state, _, data), version_pk in zip(stored, version_pks, strict=True):
        if state.mentions is None:
            assert state.pk is not None
            state.mentions = loaded.get(state.pk, {})
        states[id(state)] = state
        named = {person["ref"] for person in data["people"]}
        for person in data["people"]:
            previous = state.mentions.get(person["ref"])
            state.mentions[person["ref"]] = _Person(previous.pk if previous else None, person["role"], person,
                                                    version_pk, active=True, changed=True)
        for ref, mention in state.mentions.items():
            if ref not in named and mention.active:
                mention.active, mention.changed = False, True
    created: list[dict[str, Any]] = []
    created_people: list[_Person] = []
    renamed: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for state in states.values():
        assert state.mentions is not None
        for ref, person in state.mentions.items():
            if not person.changed:
                continue
            person.changed = False
            if person.pk is None:
                created.append({"record_id": state.pk, "ref": ref, "role": person.role, "data": person.data,
                                "version_id": person.version_pk, "active": person.active})
                created_people.append(person)
            elif person.data is None:  # only no longer named: role, data and version stay as last named
                dropped.append({"pk": person.pk, "active": False})
            else:
                assert person.version_pk is not None
                renamed.append({"pk": person.pk, "role": person.role, "data": person.data,
                                "version_id": person.version_pk, "active": person.active})
    # The new mentions' keys are kept: a later version of the record in this chunk updates them, not re-inserts.
    for person, pk in zip(created_people, insert_rows(Mention, created, returning_pk=True), strict=True):
        person.pk = pk
    update_rows(Mention, renamed)
    update_rows(Mention, dropped)


def _quarantine(pairs: list[tuple[Entry, LineCheck]], events: list[Event], actor: Actor) -> list[LineResult]:
    if not pairs:
        return []
    rows: dict[tuple[str, int, str], tuple[Quarantine, LineCheck]] = {}
    for entry, check in pairs:
        digest = hashlib.sha256(entry.raw).hexdigest()
        key = (entry.source[:500], entry.line, digest)
        rows[key] = (Quarantine(
            source_file=key[0], line=entry.line, agency=check.agency or entry.sender, record_id=check.record_id,
            kind=check.kind,
            problems=list(check.problems), raw=entry.raw, raw_sha256=digest, received_at=entry.received_at,
            live=entry.live), check)
    seen = set(Quarantine.objects.filter(raw_sha256__in=[k[2] for k in rows])
               .values_list("source_file", "line", "raw_sha256"))
    fresh = [(row, check) for key, (row, check) in rows.items() if key not in seen]
    Quarantine.objects.bulk_create([row for row, _ in fresh])
    tasks = [
        DataQualityTask(kind=DataQualityTask.Kind.QUARANTINED_SAFEGUARDING_RECORD, quarantine=row, agency=row.agency,
                        created_at=row.received_at, due_at=row.received_at + QUARANTINE_TASK_DUE)
        for row, check in fresh if check.is_safeguarding
    ]
    DataQualityTask.objects.bulk_create(tasks)
    for row, _ in fresh:
        events.append(Event(actor=actor, action="record.quarantined", object_type="quarantine", object_id=str(row.pk),
                            purpose="ingest", details={"source": row.source_file, "line": row.line,
                                                       "agency": row.agency, "record_id": row.record_id}))
    return [
        LineResult(entry.source, entry.line, "quarantined", check.agency, check.record_id, problems=check.problems,
                   source_index=entry.source_index)
        for entry, check in pairs
    ]


# --- quarantine review -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resubmission:
    accepted: bool
    problems: tuple[str, ...]
    result: LineResult | None = None


def resubmit_quarantined(quarantine: Quarantine, corrected: str, *, actor: Actor) -> Resubmission:
    """Process a corrected version of a quarantined line as the sender would have sent it.

    A correction that still fails the contract stores nothing and leaves the quarantine open; an
    accepted one is ingested (live when the original line was) and closes the quarantine and its task.
    """
    raw = corrected.strip().encode("utf-8", errors="surrogatepass")
    check = check_line(raw, first_line=True)
    if not check.accepted:
        return Resubmission(False, check.problems)
    source = f"quarantine:{quarantine.pk}"
    entry = Entry(source, 0, quarantine.line or 0, raw, True, timezone.now(), quarantine.live)
    report = process_entries([entry], live=quarantine.live, actor=actor)
    (result,) = report.results
    if result.outcome == "quarantined":  # held by an internal error: still open
        return Resubmission(False, result.problems, result)
    now = timezone.now()
    with transaction.atomic():
        Quarantine.objects.filter(pk=quarantine.pk).update(
            resolved_at=now, resolved_by=actor.name[:150],
            resolution=f"re-submitted as {result.agency}/{result.record_id} v{result.version}: {result.outcome}")
        DataQualityTask.objects.filter(quarantine=quarantine, closed_at=None).update(closed_at=now)
        record_events([Event(actor=actor, action="quarantine.resubmitted", object_type="quarantine",
                             object_id=str(quarantine.pk), purpose="data quality",
                             details={"record": f"{result.agency}/{result.record_id}", "version": result.version,
                                      "outcome": result.outcome})])
    return Resubmission(True, (), result)


def dismiss_quarantined(quarantine: Quarantine, *, reason: str, actor: Actor) -> None:
    """Close a quarantined line without re-submitting it (e.g. the sender re-sent it correctly)."""
    now = timezone.now()
    with transaction.atomic():
        Quarantine.objects.filter(pk=quarantine.pk, resolved_at=None).update(
            resolved_at=now, resolved_by=actor.name[:150], resolution=f"dismissed: {reason}"[:2000])
        DataQualityTask.objects.filter(quarantine=quarantine, closed_at=None).update(closed_at=now)
        record_events([Event(actor=actor, action="quarantine.dismissed", object_type="quarantine",
                             object_id=str(quarantine.pk), purpose="data quality", details={"reason": reason})])
