"""Batch work on the person index: train a model from stored mentions, relink everything.

Two ways to form the people (``rebuild_links(engine=...)``):

* ``memory`` replays every current record version in processing order through the same linker as
  real time (in memory), so batch and live agree exactly; fine for a county, hours for a nation;
* ``splink`` (DuckDB) and ``spark`` (Splink's Spark backend, local mode) link everything at once
  (``identity.batch``): the real-time blocking keys and candidate rule in SQL, Splink scoring the
  candidate pairs with the active model, the real-time guards clustering them.

Features are the stored ones (``MentionLink.features``) when they were computed from the mention's
current version by the current ``FEATURES_VERSION``, else computed again from the record.

People keep their ids where they can: each new cluster takes the oldest existing id among its
mentions that no larger cluster has claimed; an id left without mentions is marked merged into the
cluster that took most of them, so old ids still resolve. Only what changed is written: a mention
whose person and features are unchanged keeps its link (and the explanation of how it was linked);
the blocking keys of every person who gained or lost a mention are rewritten (all of them, with the
indexes rebuilt afterwards, when most people changed).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import batched, chain
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import F
from rich.progress import Progress

from openmash.identity.blocking_index import check_secret, stored_keys
from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.features import (
    FEATURES_VERSION,
    HOME_ADDRESS_KINDS,
    MentionFeatures,
    mention_features,
    person_features,
)
from openmash.identity.domain.linker import InMemoryStore, MentionKey, link_record
from openmash.identity.domain.scoring import LinkageModel as ScoringModel
from openmash.identity.models import BlockingKey, LinkageModel, LinkMethod, MentionLink, Person
from openmash.identity.services import active_model, save_model
from openmash.intake.domain.record import Address, Record, person_from_json
from openmash.intake.models import Mention, RecordVersion
from openmash.intake.models import Record as StoredRecord
from openmash.platform.audit import Actor, record_event
from openmash.platform.bulk import RawJson, insert_rows
from openmash.platform.encryption import load_sealed_json
from openmash.platform.workers import process_pool

ENGINES = ("memory", "splink", "spark")
#: Rewrite every blocking key (indexes dropped and rebuilt) when at least this share of people changed.
BULK_KEYS_SHARE = 0.3


def _current_versions() -> Iterator[tuple[RecordVersion, Record]]:
    """Each record's current version, in processing order (as real time saw them)."""
    versions = (RecordVersion.objects.filter(record__current_id=F("pk"), withdrawn=False)
                .order_by("seq", "pk").only("pk", "data", "seq"))
    for version in versions.iterator(chunk_size=2000):
        yield version, version.as_domain()


def stored_features() -> list[MentionFeatures]:
    """Features of every current, linkable person-in-record (for training)."""
    return _current_features(progress=None).features


def train_and_save(*, version: str | None, max_pairs: float, actor: Actor, progress: bool = False) -> LinkageModel:
    from openmash.identity.training import train_model

    features = stored_features()
    if len(features) < 10:
        raise ValueError("too few stored mentions to train on")
    name = version or f"trained-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    model = train_model(features, base=active_model(), version=name, max_pairs=max_pairs)
    return save_model(model, actor=actor)


@dataclass
class _Read:
    """Every current, linkable person-in-record, in one order: its mention and version, its features, whether
    they are the link's stored ones, their JSON as stored on a link, and (when asked) the features table.

    A features job (``_features_job``) sends back the JSON, not the features: this process makes the features from
    it as each part arrives (``extend``), while the workers go on. Pickling a million features objects in the
    workers and unpickling them here cost three times that."""

    pks: list[int] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    features: list[MentionFeatures] = field(default_factory=list)
    reused: list[bool] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    tables: list[Any] = field(default_factory=list)

    def extend(self, part: _Read) -> None:
        self.pks += part.pks
        self.versions += part.versions
        from_json, loads = MentionFeatures.from_json, _json_loads
        self.features += [from_json(loads(text)) for text in part.texts]
        self.reused += part.reused
        self.texts += part.texts
        self.tables += part.tables

    def table(self) -> Any:
        """The features table (``training.features_table``), ``unique_id`` being the position here."""
        import pyarrow as pa

        from openmash.identity.training import features_table

        table = pa.concat_tables(self.tables) if self.tables else features_table([])
        return table.set_column(0, "unique_id", pa.array(range(table.num_rows), pa.int64()))


def _json_loads(text: str) -> Any:
    """``json.loads`` by orjson, several times quicker; by ``json`` for what orjson refuses (a lone surrogate, which
    ``_features_text`` writes with ``json``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


#: Below this many person-in-records, features are read in this process.
PARALLEL_FROM = 20_000
_CHUNK = 5000


#: One row of ``_current_rows``: ``(mention, version, stored features as JSON text or None,`` and, when there are
#: none, ``the person as stored (JSON text), agency, record id, kind, occurred at, the record's address (JSON text,
#: only for kinds whose record address may be a person's)``; otherwise those are None.
_Row = tuple[int, int, str | None, str | None, str | None, str | None, str | None, Any, str | None]


def _current_sql() -> str:
    """The query of every current, linkable person-in-record, one ``_Row`` each: the link's stored features only
    when they were computed from the mention's current version by this ``FEATURES_VERSION`` (checked in SQL), else
    what computing them needs — the person as the mention stores it and four facts of its version, never the whole
    record (whose narrative and details a rebuild has no use for, and would otherwise parse and decrypt).

    In the order features have always been read (positions decide ties in clustering): mentions with stored
    features by key, then the others by version, then key."""
    mentions, records, links = Mention._meta.db_table, StoredRecord._meta.db_table, MentionLink._meta.db_table
    versions = RecordVersion._meta.db_table
    home = ", ".join(f"'{kind}'" for kind in sorted(HOME_ADDRESS_KINDS))
    version = int(FEATURES_VERSION)
    if connection.vendor == "postgresql":
        fresh = f"coalesce(l.features ->> 'v' = '{version}' AND l.features ->> 'rv' = m.version_id::text, false)"
        stored, person, address = "q.stored::text", "q.person::text", "(q.record -> 'address')::text"
    else:
        fresh = f"coalesce(json_extract(l.features, '$.v') = {version} AND json_extract(l.features, '$.rv') = m.version_id, 0)"
        stored, person, address = "q.stored", "q.person", "json_extract(q.record, '$.address')"
    return (f"SELECT q.id, q.version_id, CASE WHEN q.fresh THEN {stored} END, "  # noqa: S608 - identifiers only
            f"CASE WHEN NOT q.fresh THEN {person} END, q.agency, q.record_id, q.kind, q.occurred_at, "
            f"CASE WHEN NOT q.fresh AND q.kind IN ({home}) THEN {address} END FROM ("
            f"SELECT m.id, m.version_id, {fresh} AS fresh, l.features AS stored, m.data AS person, r.agency, "
            f"r.record_id, v.kind, v.occurred_at, v.data AS record "
            f"FROM {mentions} m JOIN {records} r ON r.id = m.record_id JOIN {versions} v ON v.id = m.version_id "
            f"LEFT JOIN {links} l ON l.mention_id = m.id "
            "WHERE m.active AND NOT r.withdrawn AND m.role <> 'professional') AS q "
            "ORDER BY q.fresh DESC, CASE WHEN q.fresh THEN q.id ELSE q.version_id END, q.id")


def _current_rows() -> Iterator[_Row]:
    """Every row of ``_current_sql``, streamed (a server-side cursor on PostgreSQL)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(_current_sql())
        while rows := cursor.fetchmany(_CHUNK):
            yield from rows


#: A part of the rows for one job: the rows themselves, or (PostgreSQL) ``_CHUNK`` lines of COPY's text format.
_Part = list[_Row] | bytes


def _current_parts() -> Iterator[tuple[_Part, int]]:
    """The rows of ``_current_sql`` in parts of ``_CHUNK``, with their counts. On PostgreSQL the parts are COPY's
    text lines, passed on unparsed: this process only reads bytes, and the workers split them (``_copy_rows``),
    where a cursor would make every value a Python object here (a third of the step's time in this process, which
    the workers then wait on)."""
    if connection.vendor != "postgresql":
        for part in batched(_current_rows(), _CHUNK):
            yield list(part), len(part)
        return
    lines: list[bytes] = []
    with _copy(f"COPY ({_current_sql()}) TO STDOUT") as copy:
        for line in copy:  # one row a message
            lines.append(bytes(line))
            if len(lines) == _CHUNK:
                yield b"".join(lines), len(lines)
                lines = []
    if lines:
        yield b"".join(lines), len(lines)


_UNESCAPE = {"\\": "\\", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPED = re.compile(r"\\(.)")


def _copy_value(text: str) -> str | None:
    """One value of COPY's text format: ``\\N`` is null; backslash escapes undone (PostgreSQL writes ``\\b``,
    ``\\f``, ``\\n``, ``\\r``, ``\\t``, ``\\v`` and ``\\\\``)."""
    if text == "\\N":
        return None
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(1)), text)


def _copy_rows(part: bytes) -> list[_Row]:
    """The ``_Row``s of a part of COPY's text format (``_current_parts``)."""
    rows: list[_Row] = []
    for line in part.decode().split("\n")[:-1]:
        pk, version_id, stored, person, agency, record_id, kind, occurred_at, address = map(_copy_value, line.split("\t"))
        assert pk is not None and version_id is not None
        rows.append((int(pk), int(version_id), stored, person, agency, record_id, kind, occurred_at, address))
    return rows


def _current_features(progress: Callable[[int], None] | None, *, table: bool = False) -> _Read:
    """Every current, linkable person-in-record with its features: the link's stored ones when computed from
    the mention's current version by this ``FEATURES_VERSION``, else computed from the person as stored.

    Decoding, parsing, normalising names and addresses and building the features table (``table``) is pure
    Python: spread over the cores, in parts as the rows arrive. The database is read here, in this process
    (Django connections are per thread, and the rebuild's transaction is this process's); a few parts are in
    flight at a time.
    """
    parts = _current_parts()
    first: list[_Part] = []
    count = 0
    for part, n in parts:
        first.append(part)
        count += n
        if count >= PARALLEL_FROM:
            break
    out = _Read()
    if count < PARALLEL_FROM:
        for part in first:
            out.extend(_features_job((part, table)))
        return out
    workers = max(1, min(4, os.cpu_count() or 1))
    with process_pool(workers) as pool, _no_cycle_collection():
        in_flight: list[Future[_Read]] = []
        for part in chain(first, (part for part, _ in parts)):
            in_flight.append(pool.submit(_features_job, (part, table)))
            while len(in_flight) > workers * 2 or (in_flight and in_flight[0].done()):
                out.extend(in_flight.pop(0).result())
                if progress is not None:
                    progress(len(out.pks))
        for pending in in_flight:
            out.extend(pending.result())
    return out


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while millions of objects that form no cycles (rows, features, texts)
    are made and kept: its passes over them cost a quarter of this process's CPU in the features step."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _instant(value: Any) -> dt.datetime:
    """A version's ``occurred_at`` as a raw cursor gives it: aware from PostgreSQL, text or naive UTC from SQLite."""
    instant: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def _features_text(features: MentionFeatures, version_id: int) -> str:
    """The features as stored on a link (with the version they were made from): ``json.dumps`` with
    ``ensure_ascii=False`` and no spaces, byte for byte, by orjson (several times quicker); ``json`` for what orjson
    refuses (a lone surrogate)."""
    value = {**features.to_json(), "rv": version_id}
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _features_job(job: tuple[_Part, bool]) -> _Read:
    """One chunk, in a worker: stored features decoded, or features computed from the person as stored. The cyclic
    collector is paused meanwhile: its passes over the worker's long-lived caches (names, addresses) cost a sixth of
    the step's CPU, and nothing made here forms a cycle."""
    part, with_table = job
    rows = _copy_rows(part) if isinstance(part, bytes) else part
    out = _Read()
    made: list[MentionFeatures] = []
    loads = orjson.loads
    with _no_cycle_collection():
        for pk, version_id, stored, person_text, agency, record_id, kind, occurred_at, address_text in rows:
            if stored is not None:
                features = MentionFeatures.from_json(loads(stored))
                text = stored
            else:
                assert person_text is not None and agency is not None and record_id is not None and kind is not None
                occurred = _instant(occurred_at)
                person = person_from_json(load_sealed_json(person_text, loads=loads), occurred)
                if not person.is_linkable:
                    continue
                address = Address.from_json(load_sealed_json(address_text, loads=loads)) if address_text else None
                features = person_features(agency, record_id, kind, occurred, address, person)
                text = _features_text(features, version_id)
            out.pks.append(pk)
            out.versions.append(version_id)
            made.append(features)
            out.texts.append(text)
            out.reused.append(stored is not None)
        if with_table:
            from openmash.identity.training import features_table

            out.tables.append(features_table(made))
    return out


@dataclass
class _People:
    """The rebuilt people: each mention's cluster, and what to say about its link."""

    mention_pks: list[int]
    version_pks: list[int]
    features: list[MentionFeatures]
    reused: list[bool]
    clusters: list[list[int]]
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    probability: dict[int, float] = field(default_factory=dict)
    #: Batch engines: each mention's best pair probability (``batch.Clusters.best``), from which its link's note
    #: and probability are made as they are written (no note kept a mention: a million dicts to make and encode).
    best: dict[int, float] | None = None
    merges: int = 0
    reviews: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    #: Writes ``(key, person)`` rows for the given people; None: computed in Python from the features.
    key_rows: Callable[[Sequence[int], set[int]], Iterable[tuple[str, int]]] | None = None
    #: The same as Arrow record batches of each key's stored form and its person, in the index's order, when the
    #: scorer can give them so (``DuckDBScorer.person_key_batches``; the index secret as ``secret``).
    key_batches: Callable[..., Iterator[Any]] | None = None
    #: Each mention's features as stored on its link (JSON with the version), when already made.
    texts: list[str] | None = None
    close: Callable[[], None] = lambda: None


def _memory_people(model: ScoringModel, bar: Progress) -> _People:
    pk_of: dict[MentionKey, tuple[int, int]] = {
        (agency, record_id, ref): (pk, version_id) for pk, version_id, agency, record_id, ref in
        Mention.objects.filter(active=True, record__withdrawn=False).exclude(role="professional")
        .values_list("pk", "version_id", "record__agency", "record__record_id", "ref")}
    store = InMemoryStore()
    total = RecordVersion.objects.filter(record__current_id=F("pk"), withdrawn=False).count()
    task = bar.add_task("linking (real-time linker, in memory)", total=total)
    for _, record in _current_versions():
        features = [mention_features(record, p) for p in record.people
                    if p.is_linkable and (record.agency, record.record_id, p.ref) in pk_of]
        link_record(store, model, features)
        bar.advance(task)
    index: dict[MentionKey, int] = {}
    linked: list[MentionFeatures] = []
    people = _People([], [], linked, [], [])
    for members in store.members.values():
        if not members:
            continue
        cluster = []
        for key, mention in members.items():
            index[key] = len(linked)
            cluster.append(index[key])
            people.mention_pks.append(pk_of[key][0])
            people.version_pks.append(pk_of[key][1])
            linked.append(mention)
            people.reused.append(False)
        people.clusters.append(cluster)
    for key, decision in store.decisions.items():
        if key in index:
            people.notes[index[key]] = {"rebuild": decision.method, **decision.explanation}
            people.probability[index[key]] = decision.probability
    people.merges, people.reviews = len(store.merges), len(store.reviews)
    return people


def _batch_people(model: ScoringModel, engine: str, bar: Progress) -> _People:
    from openmash.identity import batch

    started = time.perf_counter()
    task = bar.add_task("reading features", total=None)
    read = _current_features(progress=lambda n: bar.update(task, completed=n), table=engine == "splink")
    bar.update(task, total=len(read.pks), completed=len(read.pks))
    stats = {"features_s": time.perf_counter() - started, "features_reused": sum(read.reused)}
    features = read.features
    scorer: Any
    if engine == "spark":
        from openmash.identity.spark import SparkScorer

        scorer = SparkScorer()
    else:
        scorer = batch.DuckDBScorer()
        scorer.load_table(read.table())
    read.tables.clear()
    step = bar.add_task("batch linking", total=None)
    clusters, batch_stats = batch.score_and_cluster(features, model, scorer,
                                                    step=lambda text: bar.update(step, description=text))
    stats.update(batch_stats)
    people = _People(read.pks, read.versions, features, read.reused, list(clusters.members.values()),
                     merges=clusters.merges, reviews=clusters.reviews, stats=stats, texts=read.texts,
                     best=clusters.best)
    people.key_rows = scorer.person_key_rows
    people.key_batches = getattr(scorer, "person_key_batches", None)
    people.close = scorer.close
    return people


def rebuild_links(*, actor: Actor, engine: str = "memory", progress: bool = False) -> dict[str, Any]:
    """Relink every current person-in-record from scratch; returns counts and timings.

    ``memory`` replays the real-time linker in processing order; ``splink`` and ``spark`` link all at once
    (``identity.batch``) under the same guards.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    model = active_model()
    started = time.perf_counter()
    with Progress(disable=not progress, transient=True) as bar:
        people = _memory_people(model, bar) if engine == "memory" else _batch_people(model, engine, bar)
        linked_at = time.perf_counter()
        try:
            task = bar.add_task("writing links and keys", total=None)
            summary = _write(people, model, engine, actor)
            bar.update(task, total=1, completed=1)
        finally:
            people.close()
    summary["seconds"] = {"link": round(linked_at - started, 2), "write": round(time.perf_counter() - linked_at, 2),
                          **{k: round(v, 2) for k, v in people.stats.items() if k.endswith("_s")}}
    summary.update({k: int(v) for k, v in people.stats.items() if not k.endswith("_s")})
    return summary


def _write(people: _People, model: ScoringModel, engine: str, actor: Actor) -> dict[str, Any]:
    mark = time.perf_counter()
    old_person = dict(MentionLink.objects.values_list("mention_id", "person_id").iterator(chunk_size=50_000))
    n = len(people.features)
    cluster_of = [0] * n
    for c, members in enumerate(people.clusters):
        for i in members:
            cluster_of[i] = c
    with transaction.atomic():
        claimed: set[int] = set()
        assignment: list[int] = [0] * len(people.clusters)
        fresh: list[int] = []
        for c in sorted(range(len(people.clusters)), key=lambda c: (-len(people.clusters[c]), c)):
            olds = sorted({old_person[pk] for i in people.clusters[c] if (pk := people.mention_pks[i]) in old_person}
                          - claimed)
            if olds:
                assignment[c] = olds[0]
                claimed.add(olds[0])
            else:
                fresh.append(c)
        people.stats["write_assign_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        for c, pk in zip(fresh, _new_person_pks(len(fresh)), strict=True):
            assignment[c] = pk
        people.stats["write_persons_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        person_of = [assignment[cluster_of[i]] for i in range(n)]
        current = set(people.mention_pks)
        changed = [i for i in range(n)
                   if not people.reused[i] or old_person.get(people.mention_pks[i]) != person_of[i]]
        gone = [pk for pk in old_person if pk not in current]
        affected = {person_of[i] for i in changed} | {old_person[people.mention_pks[i]] for i in changed
                                                       if people.mention_pks[i] in old_person}
        affected |= {old_person[pk] for pk in gone}
        linked_before = [pk for i in changed if (pk := people.mention_pks[i]) in old_person]
        bulk = len(affected) >= BULK_KEYS_SHARE * (len(people.clusters) or 1)
        # Started first: the scorer hashes the keys in worker processes while the links are written.
        write_keys = _key_writer(people, person_of, set(person_of) if bulk else affected)
        for chunk in batched(linked_before + gone, 5000):
            MentionLink.objects.filter(mention_id__in=chunk)._raw_delete(MentionLink.objects.db)
        people.stats["write_prepare_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _write_links(people, changed, person_of, model.version, engine, bulk=len(changed) >= BULK_KEYS_SHARE * n)
        people.stats["write_links_s"] = time.perf_counter() - mark
        key_rows = _write_keys(write_keys, affected, bulk=bulk, stats=people.stats)
        mark = time.perf_counter()
        for chunk in batched(sorted(p for p in claimed if p in affected), 5000):
            Person.objects.filter(pk__in=chunk, merged_into__isnull=False).update(merged_into=None)
        orphaned: dict[int, Counter[int]] = {}
        for i in changed:
            was = old_person.get(people.mention_pks[i])
            if was is not None and was not in claimed:
                orphaned.setdefault(was, Counter())[person_of[i]] += 1
        for was, into in orphaned.items():
            Person.objects.filter(pk=was).update(merged_into_id=into.most_common(1)[0][0])
        summary: dict[str, Any] = {
            "mentions": n, "people": len(people.clusters), "merges": people.merges, "reviews": people.reviews,
            "ids_retired": len(orphaned), "links_written": len(changed), "links_removed": len(gone),
            "people_rekeyed": len(affected), "key_rows_written": key_rows, "keys_rebuilt_in_bulk": bulk,
        }
        record_event(actor=actor, action="identity.rebuild", object_type="person_index", object_id=model.version,
                     purpose="linkage", details={"engine": engine, **summary})
        people.stats["write_finish_s"] = time.perf_counter() - mark
    return summary


def _new_person_pks(count: int) -> list[int]:
    """Create ``count`` people with their public ids (``P`` + the key, seven digits at least), in one go."""
    if not count:
        return []
    now = dt.datetime.now(dt.UTC)
    table = Person._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: keys from the column's sequence, public ids made from them (as ``new_person``). The
            # sequence is looked up once, not once a row (at 105k people 0.48 s of the insert's 1.3 s).
            cursor.execute(
                f"WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS seq), "  # noqa: S608
                "n AS (SELECT nextval(s.seq) AS id FROM s, generate_series(1, %s)) "
                f"INSERT INTO {table} (id, person_id, created_at) "
                "SELECT id, 'P' || CASE WHEN id < 10000000 THEN lpad(id::text, 7, '0') ELSE id::text END, %s "
                "FROM n RETURNING id", [count, now])
            return sorted(int(row[0]) for row in cursor.fetchall())
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - table name only
        first = int(cursor.fetchone()[0]) + 1
    pks = list(range(first, first + count))
    for chunk in batched(pks, 20_000):
        insert_rows(Person, [{"id": pk, "person_id": _public_id(pk), "created_at": now, "merged_into_id": None}
                             for pk in chunk])
    return pks


def _public_id(pk: int) -> str:
    return f"P{pk:07d}"


def _write_links(people: _People, changed: Sequence[int], person_of: Sequence[int], model_version: str,
                 engine: str, *, bulk: bool = False) -> None:
    """Insert the links of the ``changed`` mentions (their old links are gone): COPY on PostgreSQL, with the table's
    foreign keys and secondary indexes dropped first and made again after when ``bulk`` (most links written)."""
    now = dt.datetime.now(dt.UTC)

    def features_text(i: int) -> str:
        if people.texts is not None:
            return people.texts[i]
        return _features_text(people.features[i], people.version_pks[i])

    explanation, probability = _link_notes(people, engine)

    if connection.vendor != "postgresql":
        for chunk in batched(changed, 20_000):
            insert_rows(MentionLink, [
                {"mention_id": people.mention_pks[i], "person_id": person_of[i], "probability": probability(i),
                 "method": LinkMethod.REBUILD, "explanation": RawJson(explanation(i)), "features": RawJson(features_text(i)),
                 "model_version": model_version, "linked_at": now} for i in chunk])
        return
    restore = _drop_indexes(MentionLink._meta.db_table, _LINK_DROPS) if bulk else []
    # COPY's text format, written whole: no statement, no parameter, no Python call per value.
    tail = f"\t{_copy_escape(LinkMethod.REBUILD.value)}\t"
    stamp = f"\t{_copy_escape(model_version)}\t{now.isoformat()}\n"
    columns = "mention_id, person_id, probability, method, explanation, features, model_version, linked_at"
    with _copy(f"COPY {MentionLink._meta.db_table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - identifiers only
        for chunk in batched(changed, 20_000):
            copy.write("".join(
                f"{people.mention_pks[i]}\t{person_of[i]}\t{probability(i)!r}{tail}"
                f"{_copy_escape(explanation(i))}\t{_copy_escape(features_text(i))}{stamp}" for i in chunk))
    _restore_indexes(restore)


def _link_notes(people: _People, engine: str) -> tuple[Callable[[int], str], Callable[[int], float]]:
    """Each written link's explanation (JSON text) and probability. A batch-linked mention's note is
    ``{"rebuild": engine, "best_pair_probability": p}`` (null when no pair joined it, the probability then 1.0),
    written here as ``json`` would write it (floats by their repr)."""
    encode = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per link (as json.dumps makes)
    best = people.best
    if best is None:
        return (lambda i: encode(people.notes.get(i, {"rebuild": engine})),
                lambda i: people.probability.get(i, 1.0))
    head = f'{{"rebuild":{encode(engine)},"best_pair_probability":'

    def explanation(i: int) -> str:
        p = best.get(i)
        return f"{head}{'null' if p is None else repr(float(p))}}}"

    def probability(i: int) -> float:
        p = best.get(i)
        return 1.0 if p is None else p

    return explanation, probability


def _copy_escape(text: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy(statement: str) -> Any:
    """A psycopg COPY on Django's connection (its transaction)."""
    import psycopg

    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    return _closing_copy(cursor, statement)


@contextmanager
def _closing_copy(cursor: Any, statement: str) -> Iterator[Any]:
    with cursor, cursor.copy(statement) as copy:
        yield copy


def _key_writer(people: _People, person_of: list[int], targets: set[int]) -> Callable[[], int]:
    """Start on the key rows of the people in ``targets``; returns what writes them."""
    # The secret is checked against the index (a query) before COPY holds the connection: checked inside it, the
    # query would wait for the COPY and the COPY for the rows, for ever (a fresh `openmash link rebuild` did).
    secret = check_secret()
    if people.key_batches is not None:
        batches = people.key_batches(person_of, targets, secret=secret)
        return lambda: insert_key_batches(batches)
    rows = (people.key_rows(person_of, targets) if people.key_rows is not None
            else _python_key_rows(people, person_of, targets))
    return lambda: insert_key_rows(rows)


def _write_keys(write: Callable[[], int], affected: set[int], *, bulk: bool, stats: dict[str, float]) -> int:
    """Replace the blocking keys of ``affected`` people by ``write`` (every person's, indexes rebuilt after, when
    ``bulk``)."""
    restore: list[str] = []
    if bulk:
        restore = _empty_key_table()
    else:
        for chunk in batched(sorted(affected), 5000):
            BlockingKey.objects.filter(person_id__in=chunk)._raw_delete(BlockingKey.objects.db)
    mark = time.perf_counter()
    written = write()
    indexed = time.perf_counter()
    _restore_indexes(restore)
    stats["write_keys_s"] = indexed - mark
    stats["write_indexes_s"] = time.perf_counter() - indexed
    return written


def _python_key_rows(people: _People, person_of: list[int], targets: set[int]) -> Iterator[tuple[str, int]]:
    for members in people.clusters:
        person = person_of[members[0]]
        if person not in targets:
            continue
        keys: set[str] = set()
        for i in members:
            keys |= blocking_keys(people.features[i])
        for key in keys:
            yield key, person


def insert_key_rows(rows: Iterable[tuple[str, int]]) -> int:
    """Write ``(key, person)`` rows, each key in its stored form (``blocking_index``): COPY on PostgreSQL,
    multi-row INSERTs on SQLite."""
    table = BlockingKey._meta.db_table
    written = 0
    check_secret()  # before any COPY holds the connection (see insert_key_batches)
    with connection.cursor() as cursor:
        for chunk in batched(rows, 50_000):
            hashed = list(zip(stored_keys([k for k, _ in chunk]), [p for _, p in chunk], strict=True))
            if connection.vendor == "postgresql":
                with _copy(f"COPY {table} (key, person_id) FROM STDIN") as copy:  # noqa: S608 - table name only
                    for row in hashed:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} (key, person_id) VALUES (%s, %s)", hashed)  # noqa: S608
            written += len(chunk)
    return written


#: COPY's binary format (PostgreSQL's documentation, "COPY", "Binary Format"): the signature, no flags, no header
#: extension; each row its field count and each field its size, big-endian; -1 as a field count ends the data.
_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_END = b"\xff\xff"


def insert_key_batches(batches: Iterable[Any]) -> int:
    """Write Arrow record batches of ``(stored key, person)`` (``DuckDBScorer.person_key_batches``): on PostgreSQL
    as COPY's binary format made by numpy, with no Python object per row."""
    table = BlockingKey._meta.db_table
    written = 0
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for part in batches:
                cursor.executemany(f"INSERT INTO {table} (key, person_id) VALUES (%s, %s)",  # noqa: S608
                                   list(zip(part.column(0).to_pylist(), part.column(1).to_pylist(), strict=True)))
                written += part.num_rows
        return written
    import numpy as np

    row = np.dtype([("fields", ">i2"), ("key_size", ">i4"), ("key", ">i8"), ("person_size", ">i4"), ("person", ">i8")])
    with _copy(f"COPY {table} (key, person_id) FROM STDIN (FORMAT binary)") as copy:  # noqa: S608 - table name only
        copy.write(_BINARY_SIGNATURE)
        for part in batches:
            rows = np.empty(part.num_rows, row)
            rows["fields"], rows["key_size"], rows["person_size"] = 2, 8, 8
            rows["key"], rows["person"] = part.column(0).to_numpy(), part.column(1).to_numpy()
            copy.write(rows.tobytes())
            written += part.num_rows
        copy.write(_BINARY_END)
    return written


def rekey(*, actor: Actor) -> int:
    """Rebuild the blocking index from every link's features, under the index secret in force (after the secret
    changed, or after ``OPENMASH_REKEY_AFTER_MIGRATE``); returns the key rows written. Links are not touched."""
    from openmash.identity import blocking_index
    from openmash.identity.models import BlockingIndex

    secret = bytes(blocking_index._secret())
    with transaction.atomic():
        BlockingIndex.objects.update_or_create(pk=1, defaults={"fingerprint": blocking_index.fingerprint(secret)})
        blocking_index.forget_check()
        restore = _empty_key_table()
        written = insert_key_rows(_link_key_rows())
        _restore_indexes(restore)
        record_event(actor=actor, action="identity.index_rekeyed", object_type="blocking_index", object_id="1",
                     purpose="linkage", details={"key_rows": written})
    return written


def _link_key_rows() -> Iterator[tuple[str, int]]:
    """``(key, person)`` for every key of every person, from the features stored on its links."""
    rows = MentionLink.objects.order_by("person_id").values_list("person_id", "features").iterator(chunk_size=5000)
    person: int | None = None
    keys: set[str] = set()
    for owner, features in rows:
        if owner != person:
            yield from ((key, person) for key in keys if person is not None)
            person, keys = owner, set()
        keys |= blocking_keys(MentionFeatures.from_json(features))
    yield from ((key, person) for key in keys if person is not None)


#: What ``_write_links`` drops of the links' table for a bulk write: its foreign keys and plain indexes (its
#: primary and unique keys grow at their end, in mention order, and stay).
_LINK_DROPS = "f"


def _empty_key_table() -> list[str]:
    """Remove every key row and drop the table's indexes and constraints (in the caller's transaction), for every
    key to be written again; returns the statements that rebuild them (``drop_key_indexes``)."""
    with connection.cursor() as cursor:
        # TRUNCATE on PostgreSQL: a new empty file, where DELETE marked every old row (at 200k person-records
        # 3.8M rows, 2.4-2.6 s against 0.01 s) and left them for the index builds to read past and for vacuum.
        # It takes the lock that dropping the indexes takes next; a READ COMMITTED reader (the application's)
        # sees the new keys once this transaction commits. SQLite has no TRUNCATE (its DELETE without WHERE is one).
        if connection.vendor == "postgresql":
            # Foreign-key checks already queued in this transaction (key rows written earlier in it) forbid a
            # TRUNCATE: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"{'TRUNCATE' if connection.vendor == 'postgresql' else 'DELETE FROM'} "  # noqa: S608
                       f"{BlockingKey._meta.db_table}")
    return drop_key_indexes()


def drop_key_indexes() -> list[str]:
    """Drop the blocking-key table's indexes and constraints (in the caller's transaction); returns the
    statements that rebuild them. Building an index once is far quicker than maintaining it row by row."""
    return _drop_indexes(BlockingKey._meta.db_table, "puf")


def _drop_indexes(table: str, kinds: str) -> list[str]:
    """Drop ``table``'s constraints of these kinds (``p``rimary, ``u``nique, ``f``oreign) and its indexes that are
    no constraint's; returns the statements that make them again, indexes first."""
    restore: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks already queued in this transaction would forbid the ALTER: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype = ANY(%s)", [table, list(kinds)])
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                           "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                           "(SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                restore.insert(0, definition)
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(definition)
    return restore


def _restore_indexes(statements: Sequence[str]) -> None:
    """Run what ``_drop_indexes`` returned (the blocking keys' table's, or the links'), in the caller's transaction."""
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for statement in statements:
            cursor.execute(statement)
