"""Identity use cases: link each stored record version, undo merges, decide reviews, store models.

``link_record_version`` is the ingest pipeline stage (``settings.OPENMASH_PIPELINE_STAGES``).
It runs inside intake's transaction, once per stored version in processing order, and
applies the pure linker (``domain.linker``) to a ``LinkStore`` backed by these tables.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import batched
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from openmash.identity.blocking_index import KIND_NAME, KIND_NARROW, KIND_STRONG, key_kind, stored_keys
from openmash.identity.domain import linker
from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.identity.domain.linker import MAX_BLOCK, SMALL_BLOCK, LinkDecision, MentionKey
from openmash.identity.domain.scoring import CandidateHead, PairScore
from openmash.identity.domain.scoring import LinkageModel as ScoringModel
from openmash.identity.models import (
    BlockingKey,
    LinkageModel,
    LinkEvent,
    LinkMethod,
    MatchReview,
    MentionLink,
    Person,
    Residence,
)
from openmash.identity.queries import standing_pks
from openmash.intake.domain.address import NormalisedAddress, household_lookup_keys, normalise_address
from openmash.intake.domain.localtime import local_date
from openmash.intake.domain.record import Record
from openmash.intake.models import Mention, RecordVersion
from openmash.platform.audit import Actor, record_event
from openmash.platform.bulk import insert_rows

logger = logging.getLogger(__name__)
LINKER_ACTOR = Actor.system("identity")
#: How long a process trusts its cached model before checking for a newer active one.
MODEL_CACHE_SECONDS = 30.0

_model_cache: tuple[float, int | None, ScoringModel] | None = None


def active_model() -> ScoringModel:
    """The newest active trained model (cached per process), else the shipped defaults."""
    global _model_cache
    now = time.monotonic()
    if _model_cache is not None and now - _model_cache[0] < MODEL_CACHE_SECONDS:
        return _model_cache[2]
    row = LinkageModel.objects.filter(active=True).order_by("-created_at", "-pk").only("pk", "params").first()
    if _model_cache is not None and row is not None and _model_cache[1] == row.pk:
        _model_cache = (now, row.pk, _model_cache[2])
        return _model_cache[2]
    model = ScoringModel.from_json(row.params) if row is not None else ScoringModel()
    if not model.is_current:
        # Trained for comparisons this scorer no longer makes: its m/u would be read against other levels.
        logger.warning("stored model %s was trained for other comparisons; using the defaults until "
                       "`openmash link train`", model.version)
        model = ScoringModel()
    _model_cache = (now, row.pk if row else None, model)
    return model


def forget_cached_model() -> None:
    global _model_cache
    _model_cache = None


def save_model(model: ScoringModel, *, actor: Actor = LINKER_ACTOR) -> LinkageModel:
    """Store a model version and make it the one every process uses."""
    with transaction.atomic():
        LinkageModel.objects.filter(active=True).update(active=False)
        row = LinkageModel.objects.create(version=model.version, params=model.to_json(), active=True)
        record_event(actor=actor, action="identity.model_saved", object_type="linkage_model", object_id=model.version,
                     purpose="linkage", details={"trained_on": model.trained_on})
    forget_cached_model()
    return row


def _public_id(pk: int) -> str:
    return f"P{pk:07d}"


class DatabaseStore:
    """``domain.linker.LinkStore`` on the identity tables, for one record's mentions."""

    def __init__(self, mentions: Mapping[MentionKey, Mention], model_version: str,
                 links: Mapping[int, MentionLink] | None = None) -> None:
        self.mentions = mentions
        self.model_version = model_version
        #: The mentions' current links (given when the caller already read them with the mentions).
        self.links: dict[int, MentionLink] = dict(links) if links is not None else {
            link.mention_id: link for link in MentionLink.objects.filter(mention_id__in=[m.pk for m in mentions.values()])
        }
        self._merged: dict[str, str] = {}
        #: Keys (stored form) each person is known to hold (from the candidate read), so only new keys are written.
        self._held: dict[str, set[int]] = {}
        #: ... as read (comma-separated), parsed only for the person a mention is linked to (``_held_of``).
        self._held_read: dict[str, list[str]] = {}
        #: New links and keys wait here and go out together (``flush``) before the next read or at the end of the
        #: record: on PostgreSQL in one statement, elsewhere in one multi-row INSERT per table, without the ORM.
        self._new_links: list[MentionLink] = []
        self._new_keys: list[tuple[int, int]] = []
        #: Each blocking key's stored form, computed once per record.
        self._stored: dict[str, int] = {}

    def _stored_keys(self, keys: Iterable[str]) -> list[int]:
        missing = [k for k in keys if k not in self._stored]
        if missing:
            self._stored.update(zip(missing, stored_keys(missing), strict=True))
        return [self._stored[k] for k in keys]

    def candidate_mentions(self, keys: Iterable[str],
                           screen: Callable[[CandidateHead], bool] | None = None) -> dict[str, list[MentionFeatures]]:
        """``domain.linker.candidate_people`` and their mentions' features, in one query: only the people to
        score leave the database, each with the mention's keys it already holds (not written again), and each
        mention's features as the link's compact column (``MentionLink.compact``). With ``screen``, each mention's
        head is screened first, and only the features of the people with a mention that passes it are built."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        self.flush()
        links_table = MentionLink._meta.db_table
        held, held_params = _held_sql(self._stored_keys(wanted), [key_kind(k) for k in wanted])
        # The rule of candidate_people: any strong key or a key held by at most SMALL_BLOCK people; else
        # at least two keys held by at most MAX_BLOCK people each, NARROW_ONLY keys aside. Only identifiers and
        # constants are interpolated.
        keys_of = "string_agg(CAST(held.key AS text), ',')" if connection.vendor == "postgresql" else "group_concat(held.key)"
        sql = f"""
            WITH held AS ({held}),
            sizes AS (SELECT key, count(*) AS n FROM held GROUP BY key),
            chosen AS (
                SELECT held.person_id, {keys_of} AS keys FROM held JOIN sizes ON sizes.key = held.key
                GROUP BY held.person_id
                HAVING sum(CASE WHEN sizes.n <= {SMALL_BLOCK} OR held.kind = {KIND_STRONG} THEN 1 ELSE 0 END) > 0
                    OR sum(CASE WHEN sizes.n <= {MAX_BLOCK} AND held.kind <> {KIND_NARROW} THEN 1 ELSE 0 END) >= 2
            )
            SELECT chosen.person_id, chosen.keys, link.compact FROM chosen
            JOIN {links_table} AS link ON link.person_id = chosen.person_id
        """  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, held_params)
            rows = cursor.fetchall()
        return self._candidates(rows, screen)

    def _candidates(self, rows: Sequence[tuple[Any, str, str]],
                    screen: Callable[[CandidateHead], bool] | None) -> dict[str, list[MentionFeatures]]:
        """``candidate_mentions`` of the rows its statement read: ``(person_id, keys held, compact features)``."""
        held_read = self._held_read
        values = _compact_values([row[2] for row in rows])
        kept: set[Any] | None = None
        if screen is not None:
            # A person is kept when one of its mentions passes; the rest of its rows need no look.
            kept = set()
            head = CandidateHead.from_values
            for row, v in zip(rows, values, strict=True):
                if row[0] not in kept and screen(head(v)):
                    kept.add(row[0])
        out: dict[str, list[MentionFeatures]] = {}
        seen: set[Any] = set()
        build = MentionFeatures.from_values
        for row, v in zip(rows, values, strict=True):
            person_id = row[0]
            if person_id not in seen:
                seen.add(person_id)
                held_read.setdefault(str(person_id), []).append(row[1])
            if kept is not None and person_id not in kept:
                continue
            out.setdefault(str(person_id), []).append(build(v))
        return out

    def mentions_of(self, people: Iterable[str]) -> dict[str, list[MentionFeatures]]:
        self.flush()
        out: dict[str, list[MentionFeatures]] = {p: [] for p in people}
        rows = MentionLink.objects.filter(person_id__in=[int(p) for p in out]).values_list("person_id", "features")
        for person_id, features in rows:
            out[str(person_id)].append(MentionFeatures.from_json(features))
        return out

    def person_of(self, mention: MentionKey) -> str | None:
        row = self.mentions.get(mention)
        link = self.links.get(row.pk) if row is not None else None
        return str(link.person_id) if link is not None else None

    def resolve(self, person: str) -> str:
        while person in self._merged:
            person = self._merged[person]
        return person

    def new_person(self) -> str:
        if connection.vendor == "postgresql":
            # One round trip: the key from the sequence and the public id made from it, in one statement.
            table = Person._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH n AS (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id) "  # noqa: S608
                    f"INSERT INTO {table} (id, person_id, created_at) "
                    "SELECT id, 'P' || CASE WHEN id < 10000000 THEN lpad(id::text, 7, '0') ELSE id::text END, %s "
                    "FROM n RETURNING id", [timezone.now()])
                return str(cursor.fetchone()[0])
        # Elsewhere (SQLite): the row with a placeholder public id, then the id made from its key; raw SQL, as
        # this runs for every new person.
        table = Person._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (person_id, created_at) VALUES (%s, %s) RETURNING id",  # noqa: S608
                           [uuid.uuid4().hex[:20], connection.ops.adapt_datetimefield_value(timezone.now())])
            pk = int(cursor.fetchone()[0])
            cursor.execute(f"UPDATE {table} SET person_id = %s WHERE id = %s", [_public_id(pk), pk])  # noqa: S608
        return str(pk)

    def is_older(self, person: str, other: str) -> bool:
        return int(person) < int(other)

    def save_link(self, features: MentionFeatures, person: str, decision: LinkDecision) -> None:
        mention = self.mentions[features.mention_key]
        link = self.links.get(mention.pk)
        if link is None or link.pk is None:
            link = MentionLink(
                mention=mention, person_id=int(person), probability=decision.probability,
                method=decision.method, explanation=decision.explanation, features=stored_features(features, mention),
                model_version=self.model_version, linked_at=timezone.now(),
            )
            self._new_links = [*(q for q in self._new_links if q.mention_id != mention.pk), link]
            self.links[mention.pk] = link
            return
        link.features = stored_features(features, mention)
        fields = ["features"]
        if decision.method != "kept":
            link.person_id, link.probability, link.method = int(person), decision.probability, decision.method
            link.explanation, link.model_version, link.linked_at = decision.explanation, self.model_version, timezone.now()
            fields += ["person", "probability", "method", "explanation", "model_version", "linked_at"]
        link.save(update_fields=fields)

    def _held_of(self, person: str) -> set[int]:
        held = self._held.setdefault(person, set())
        for text in self._held_read.pop(person, ()):
            held.update(int(k) for k in text.split(","))
        return held

    def add_keys(self, person: str, keys: Iterable[str]) -> None:
        held = self._held_of(person)
        missing = [k for k in self._stored_keys(sorted(keys)) if k not in held]
        if missing:
            self._new_keys.extend((int(person), k) for k in missing)
            held.update(missing)

    def flush(self, residences: Sequence[Residence] = ()) -> None:
        """Write the deferred links and keys (and ``residences``): on PostgreSQL one statement, whatever their
        number; elsewhere one multi-row INSERT per table."""
        if not (self._new_links or self._new_keys or residences):
            return
        if connection.vendor != "postgresql":
            self._flush_rows(residences)
            return
        parts: list[str] = []
        params: list[Any] = []
        links = self._new_links
        if links:
            parts.append(
                f"l AS (INSERT INTO {MentionLink._meta.db_table} (mention_id, person_id, probability, method, explanation, "  # noqa: S608
                "features, model_version, linked_at) SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], "
                "%s::varchar[], %s::text[]::jsonb[], %s::text[]::jsonb[], %s::varchar[], %s::timestamptz[]) "
                "RETURNING id, mention_id)")
            params += [_int_array(q.mention_id for q in links), _int_array(q.person_id for q in links), [q.probability for q in links],
                       [q.method for q in links], [json.dumps(q.explanation) for q in links],
                       [json.dumps(q.features) for q in links], [q.model_version for q in links],
                       [q.linked_at for q in links]]
        if self._new_keys:
            parts.append(f"k AS (INSERT INTO {BlockingKey._meta.db_table} (key, person_id) "  # noqa: S608
                         "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING)")
            params += [_int_array(k for _, k in self._new_keys), _int_array(p for p, _ in self._new_keys)]
        if residences:
            parts.append(f"r AS (INSERT INTO {Residence._meta.db_table} (mention_id, household_key, postcode, "  # noqa: S608
                         "confidential, since, until) SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], "
                         "%s::boolean[], %s::date[], %s::date[]))")
            params += [_int_array(r.mention_id for r in residences), [r.household_key for r in residences],
                       [r.postcode for r in residences], [r.confidential for r in residences],
                       [r.since for r in residences], [r.until for r in residences]]
        # Only identifiers are interpolated; every value is a bound array.
        sql = f"WITH {', '.join(parts)} SELECT {'id, mention_id FROM l' if links else '1'}"  # noqa: S608
        self._new_links, self._new_keys = [], []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = {int(m): int(pk) for pk, m in cursor.fetchall()} if links else {}
        for link in links:
            link.pk = ids[link.mention_id]
            link._state.adding = False

    def _flush_rows(self, residences: Sequence[Residence]) -> None:
        links, keys = self._new_links, self._new_keys
        self._new_links, self._new_keys = [], []
        if links:
            ids = insert_rows(MentionLink, [
                {"mention_id": q.mention_id, "person_id": q.person_id, "probability": q.probability, "method": q.method,
                 "explanation": q.explanation, "features": q.features, "model_version": q.model_version,
                 "linked_at": q.linked_at} for q in links], returning_pk=True)
            for link, pk in zip(links, ids, strict=True):
                link.pk = pk
                link._state.adding = False
        if keys:
            table = BlockingKey._meta.db_table
            with connection.cursor() as cursor:
                for batch in batched(keys, 10_000):
                    # Only the table name is interpolated; every value is a bound parameter.
                    cursor.execute(f"INSERT OR IGNORE INTO {table} (key, person_id) VALUES "  # noqa: S608
                                   + ", ".join(["(%s, %s)"] * len(batch)), [v for p, k in batch for v in (k, p)])
        if residences:
            insert_rows(Residence, [
                {"mention_id": r.mention_id, "household_key": r.household_key, "postcode": r.postcode,
                 "confidential": r.confidential, "since": r.since, "until": r.until} for r in residences])

    def merge(self, keep: str, absorb: str, evidence: Mapping[str, Any]) -> None:
        self.flush()
        merge_people(int(keep), int(absorb), evidence=dict(evidence), actor=LINKER_ACTOR)
        self._merged[absorb] = keep
        self._held_of(keep).update(self._held_of(absorb))
        self._held.pop(absorb)
        for link in self.links.values():
            if link.person_id == int(absorb):
                link.person_id = int(keep)

    def features_of(self, mention: MentionKey) -> MentionFeatures | None:
        row = self.mentions.get(mention)
        link = self.links.get(row.pk) if row is not None else None
        return MentionFeatures.from_json(link.features) if link is not None else None

    def relinked(self, features: MentionFeatures, before: str, after: str, evidence: Mapping[str, Any]) -> None:
        self.flush()
        mention = self.mentions[features.mention_key]
        event = LinkEvent.objects.create(kind=LinkEvent.Kind.RELINK, actor=LINKER_ACTOR.name, keep_id=int(after),
                                         absorbed_id=int(before), mentions=[mention.pk], evidence=dict(evidence))
        _rebuild_keys(int(before))
        self._held.pop(before, None)
        self._held_read.pop(before, None)
        ids = dict(Person.objects.filter(pk__in=[int(before), int(after)]).values_list("pk", "person_id"))
        record_event(actor=LINKER_ACTOR, action="identity.relink", object_type="person", object_id=ids.get(int(after), ""),
                     purpose="linkage", details={"from": ids.get(int(before), ""), "event": event.pk,
                                                 "mention": "/".join(features.mention_key)})

    def raise_review(self, features: MentionFeatures, person: str, candidate: str, score: PairScore) -> None:
        self.flush()
        MatchReview.objects.create(
            mention=self.mentions[features.mention_key], person_id=int(person), candidate_id=int(candidate),
            probability=score.probability, explanation={"weight": round(score.weight, 2), "fields": score.explain()},
        )


#: A JSON text's value, without ``json.loads``'s checks around it (the compact column is JSON the database wrote).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _compact_values(texts: list[str]) -> list[Any]:
    """Each compact column's value (a JSON array the database wrote): hundreds of rows for a common name, parsed
    as one array by orjson (two thirds of the time of one ``json`` parse a row); row by row by ``json`` when orjson
    refuses the text (a lone surrogate's escape, which ``json`` reads)."""
    try:
        values: list[Any] = orjson.loads("[" + ",".join(texts) + "]")
    except orjson.JSONDecodeError:
        return [_scan(text, 0)[0] for text in texts]
    return values


#: SQLite refuses a compound SELECT of more than 500 parts.
_SQLITE_MAX_UNION = 400
#: How many holders of a key are read, by its kind (``blocking_index.key_kind``): a strong key's all; a
#: name-based key's up to MAX_BLOCK + 1 only (a key held by more people, John Smith at national scale, counts as
#: broad whatever its true size, so the read stays bounded however large the index grows); a ``NARROW_ONLY``
#: key's up to SMALL_BLOCK + 1 (beyond, it finds nothing).
_READ_LIMIT = {KIND_STRONG: None, KIND_NARROW: SMALL_BLOCK + 1, KIND_NAME: MAX_BLOCK + 1}


def _held_sql(keys: Sequence[int], kinds: Sequence[int]) -> tuple[str, list[Any]]:
    """``(key, kind, person_id)`` rows: the holders of each stored key, read up to its kind's limit."""
    table = BlockingKey._meta.db_table
    if connection.vendor == "postgresql":
        # Each key's holders by an index-only scan of the primary key (key, person_id). Only identifiers are
        # interpolated; the keys, kinds and limits are bound arrays.
        sql = (f"SELECT w.key, w.kind, h.person_id FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS w(key, kind, n) "  # noqa: S608
               f"CROSS JOIN LATERAL (SELECT person_id FROM {table} WHERE key = w.key LIMIT w.n) AS h")
        return sql, [_int_array(keys), _int_array(kinds), _int_array(_READ_LIMIT[k] for k in kinds)]
    if len(keys) > _SQLITE_MAX_UNION:
        # A record naming many people: the unbounded read, the same rule.
        kind_of = dict(zip(keys, kinds, strict=True))
        strong = [k for k in keys if kind_of[k] == KIND_STRONG] or [0]
        narrow = [k for k in keys if kind_of[k] == KIND_NARROW] or [0]
        return (f"SELECT key, CASE WHEN key IN ({', '.join(map(str, strong))}) THEN {KIND_STRONG} "  # noqa: S608
                f"WHEN key IN ({', '.join(map(str, narrow))}) THEN {KIND_NARROW} ELSE {KIND_NAME} END AS kind, person_id "
                f"FROM {table} WHERE key IN ({', '.join(['%s'] * len(keys))})", list(keys))
    limits = {kind: "" if n is None else f" LIMIT {n}" for kind, n in _READ_LIMIT.items()}
    parts = [f"SELECT key, {kind} AS kind, person_id FROM (SELECT key, person_id FROM {table} WHERE key = %s"  # noqa: S608
             f"{limits[kind]}) AS k{i}" for i, kind in enumerate(kinds)]
    return " UNION ALL ".join(parts), list(keys)


def _int_array(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal of integers (NULL for None), bound as one text value and cast in the statement:
    psycopg's list adaptation works out each list's element type first, several times the cost for a few dozen keys."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def stored_features(features: MentionFeatures, mention: Mention) -> dict[str, Any]:
    """The features as stored on the link, with the record version they were computed from: a rebuild reuses
    them while that is still the mention's version and ``FEATURES_VERSION`` has not moved."""
    return {**features.to_json(), "rv": mention.version_id}


def merge_people(keep: int, absorb: int, *, evidence: dict[str, Any], actor: Actor) -> LinkEvent:
    """Move every link of ``absorb`` to ``keep`` (the older id survives), recorded so it can be undone."""
    moved = list(MentionLink.objects.filter(person_id=absorb).values_list("mention_id", flat=True))
    MentionLink.objects.filter(person_id=absorb).update(person_id=keep)
    keys = list(BlockingKey.objects.filter(person_id=absorb).values_list("key", flat=True))
    BlockingKey.objects.bulk_create([BlockingKey(key=k, person_id=keep) for k in keys], ignore_conflicts=True)
    BlockingKey.objects.filter(person_id=absorb).delete()
    Person.objects.filter(pk=absorb).update(merged_into_id=keep)
    Person.objects.filter(merged_into_id=absorb).update(merged_into_id=keep)
    event = LinkEvent.objects.create(kind=LinkEvent.Kind.MERGE, actor=actor.name, keep_id=keep, absorbed_id=absorb,
                                     mentions=moved, evidence=evidence)
    ids = dict(Person.objects.filter(pk__in=[keep, absorb]).values_list("pk", "person_id"))
    record_event(actor=actor, action="identity.merge", object_type="person", object_id=ids.get(keep, ""),
                 purpose="linkage", details={"absorbed": ids.get(absorb, ""), "event": event.pk, "mentions": len(moved)})
    return event


def _rebuild_keys(person: int) -> None:
    BlockingKey.objects.filter(person_id=person).delete()
    keys: set[str] = set()
    for features in MentionLink.objects.filter(person_id=person).values_list("features", flat=True):
        keys |= blocking_keys(MentionFeatures.from_json(features))
    BlockingKey.objects.bulk_create([BlockingKey(key=k, person_id=person) for k in stored_keys(keys)],
                                    ignore_conflicts=True)


class NothingToUndoError(Exception):
    pass


@transaction.atomic
def undo_merge(*, event_id: int | None = None, actor: Actor, reason: str = "") -> LinkEvent:
    """Undo a merge (or a relink): the absorbed person gets back its id and the mentions it brought.

    Mentions linked since the merge stay where they are. Notifications already sent keep the
    subjects they recorded (protocol's concern: it stores the person ids it notified).
    """
    undoable = LinkEvent.objects.filter(kind__in=[LinkEvent.Kind.MERGE, LinkEvent.Kind.RELINK], undone_by__isnull=True)
    event = undoable.filter(pk=event_id).first() if event_id is not None else undoable.order_by("-pk").first()
    if event is None:
        raise NothingToUndoError("no merge to undo" if event_id is None else f"no open merge or relink with id {event_id}")
    keep, absorbed = event.keep_id, event.absorbed_id
    assert keep is not None and absorbed is not None
    MentionLink.objects.filter(mention_id__in=event.mentions, person_id=keep).update(person_id=absorbed)
    Person.objects.filter(pk=absorbed).update(merged_into=None)
    _rebuild_keys(keep)
    _rebuild_keys(absorbed)
    # Undoing a relink moves the mention back: another relink, the other way.
    kind = LinkEvent.Kind.SPLIT if event.kind == LinkEvent.Kind.MERGE else LinkEvent.Kind.RELINK
    evidence: dict[str, Any] = {"undoes": event.pk, **({"reason": reason} if reason else {})}
    split = LinkEvent.objects.create(kind=kind, actor=actor.name, keep_id=absorbed if kind == LinkEvent.Kind.RELINK else keep,
                                     absorbed_id=keep if kind == LinkEvent.Kind.RELINK else absorbed,
                                     mentions=event.mentions, evidence=evidence, undoes=event)
    ids = dict(Person.objects.filter(pk__in=[keep, absorbed]).values_list("pk", "person_id"))
    record_event(actor=actor, action="identity.split" if kind == LinkEvent.Kind.SPLIT else "identity.relink_undone",
                 object_type="person", object_id=ids.get(keep, ""), purpose="linkage",
                 details={"restored": ids.get(absorbed, ""), "undoes": event.pk, **({"reason": reason} if reason else {})})
    return split


def split_unbridged_merges(mentions: Iterable[MentionKey], *, model: ScoringModel,
                           actor: Actor = LINKER_ACTOR) -> list[LinkEvent]:
    """Undo every merge that these (now withdrawn) person-in-records bridged, unless the two sides still
    match without them: a pair across the sides as strong as a new link must be, or a shared strong id."""
    keys = ["/".join(m) for m in mentions]
    if not keys:
        return []
    split: list[LinkEvent] = []
    events = LinkEvent.objects.filter(kind=LinkEvent.Kind.MERGE, undone_by__isnull=True, evidence__via__in=keys)
    for event in events.order_by("-pk"):
        if event.keep_id is None:
            continue
        moved = set(event.mentions)
        rows = list(MentionLink.objects.filter(person_id=event.keep_id).values_list("mention_id", "features"))
        brought = [MentionFeatures.from_json(f) for pk, f in rows if pk in moved]
        stayed = [MentionFeatures.from_json(f) for pk, f in rows if pk not in moved]
        if not brought or not stayed or _still_bridged(brought, stayed, model):
            continue
        split.append(undo_merge(event_id=event.pk, actor=actor, reason="the only record bridging them was withdrawn"))
    return split


def _still_bridged(left: list[MentionFeatures], right: list[MentionFeatures], model: ScoringModel) -> bool:
    """Whether the two sides of a merge still join without the withdrawn record: a strong identifier, or a model
    match at the link threshold that the linker would make on its own (not one it holds for review: a child on
    names and date of birth alone, ``clustering.child_match_needs_review``)."""
    from openmash.identity.domain.clustering import merge_conflict
    from openmash.identity.domain.linker import links_on_its_own
    from openmash.identity.domain.scoring import score_pair

    if merge_conflict(left, right) is not None:
        return False
    for a in left:
        for b in right:
            if (a.nhs and a.nhs == b.nhs) or (a.agency == b.agency and a.agency_person_id
                                              and a.agency_person_id == b.agency_person_id):
                return True
            if links_on_its_own(model, a, b, score_pair(model, a, b)):
                return True
    return False


@transaction.atomic
def decide_review(*, review_id: int, same_person: bool, actor: Actor) -> MatchReview:
    """A reviewer's decision on an uncertain match; "same person" merges unless a guard forbids it."""
    from openmash.identity.domain.clustering import merge_conflict

    review = MatchReview.objects.select_for_update().get(pk=review_id, status=MatchReview.Status.OPEN)
    standing = standing_pks([review.person_id, review.candidate_id])
    person, candidate = standing[review.person_id], standing[review.candidate_id]
    if same_person and person != candidate:
        store = DatabaseStore({}, "")
        both = store.mentions_of([str(person), str(candidate)])
        conflict = merge_conflict(both[str(person)], both[str(candidate)])
        if conflict is not None:
            raise ValueError(f"these people cannot be merged: {conflict}")
        keep, absorb = sorted((person, candidate))
        merge_people(keep, absorb, evidence={"review": review.pk, "decided_by": actor.name}, actor=actor)
    review.status = MatchReview.Status.MERGED if same_person else MatchReview.Status.KEPT_APART
    review.decided_at, review.decided_by = timezone.now(), actor.name
    review.save(update_fields=["status", "decided_at", "decided_by"])
    record_event(actor=actor, action="identity.review_decided", object_type="match_review", object_id=str(review.pk),
                 purpose="linkage", details={"same_person": same_person})
    return review


def _unlink(mentions: Iterable[Mention], reason: str) -> None:
    ids = [m.pk for m in mentions]
    if not ids:
        return
    gone = list(MentionLink.objects.filter(mention_id__in=ids).values_list("mention_id", "person_id"))
    if not gone:
        return
    MentionLink.objects.filter(mention_id__in=ids).delete()
    Residence.objects.filter(mention_id__in=ids).delete()
    LinkEvent.objects.create(kind=LinkEvent.Kind.UNLINK, actor=LINKER_ACTOR.name, mentions=[m for m, _ in gone],
                             evidence={"reason": reason, "people": sorted({p for _, p in gone})})


#: The record's mentions, each with its link's id (None when not linked): the plan of the ORM's
#: ``filter(record_id=...).select_related("link")``, written once (building that queryset costs ten times the read).
_MENTION_COLUMNS = ["id", "record_id", "ref", "role", "version_id", "active"]


def _record_mentions(record_id: int) -> tuple[list[Mention], dict[int, MentionLink]]:
    """The record's mentions (their ``data`` left unread: identity reads the version's) and their links."""
    mention, link = Mention._meta.db_table, MentionLink._meta.db_table
    columns = ", ".join(f'"{mention}"."{c}"' for c in _MENTION_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns}, "{link}"."id" FROM "{mention}" LEFT OUTER JOIN "{link}" '  # noqa: S608
                       f'ON ("{mention}"."id" = "{link}"."mention_id") WHERE "{mention}"."record_id" = %s', [record_id])
        rows = cursor.fetchall()
    mentions = [Mention.from_db(connection.alias, _MENTION_COLUMNS, [*row[:5], bool(row[5])]) for row in rows]
    linked = [row[0] for row in rows if row[6] is not None]
    links = {link.mention_id: link for link in MentionLink.objects.filter(mention_id__in=linked)} if linked else {}
    return mentions, links


def link_record_version(version: RecordVersion, *, live: bool) -> None:
    """Pipeline stage: link every person named in this (now current) record version."""
    mentions, links = _record_mentions(version.record_id)
    if version.withdrawn:
        _unlink(mentions, "record withdrawn")
        # A merge this record alone justified comes apart again (reversibly, like any undo).
        record = version.record
        split_unbridged_merges([(record.agency, record.record_id, m.ref) for m in mentions], model=active_model())
        return
    domain_record = version.as_domain()
    people = {p.ref: p for p in domain_record.people}
    linkable = [m for m in mentions if m.active and m.ref in people and people[m.ref].is_linkable]
    _unlink([m for m in mentions if m not in linkable and m.pk in links], "no longer named, or named as a professional")
    features = [mention_features(domain_record, people[m.ref]) for m in linkable]
    by_key = {f.mention_key: m for f, m in zip(features, linkable, strict=True)}
    model = active_model()
    links = {m.pk: links[m.pk] for m in linkable if m.pk in links}
    store = DatabaseStore(by_key, model.version, links)
    linker.link_record(store, model, features)
    _record_residences(domain_record, features, by_key, store, replace=bool(links))


def _record_residences(record: Record, features: list[MentionFeatures], by_key: Mapping[MentionKey, Mention],
                       store: DatabaseStore, *, replace: bool = True) -> None:
    since = local_date(record.occurred_at)
    until = local_date(record.ended_at) if record.ended_at and record.ended_at >= record.occurred_at else None
    rows: list[Residence] = []
    for f in features:
        person = record.person(f.ref)
        address = person.address if person else None
        if address is None and record.kind == "tenancy":
            address = record.address
        if address is None:
            continue
        normalised = normalise_address(address)
        key = residence_key(normalised)
        if normalised.is_non_residential or key is None:
            continue
        rows.append(Residence(mention=by_key[f.mention_key], household_key=key,
                              postcode=normalised.postcode or "", confidential=address.confidential,
                              since=since, until=until))
    if replace:
        # Only a mention seen before (it had a link) can have residences to replace.
        Residence.objects.filter(mention_id__in=[m.pk for m in by_key.values()]).delete()
    # With the record's deferred links and keys: one statement on PostgreSQL.
    store.flush(rows)


def residence_key(address: NormalisedAddress) -> str | None:
    """One key per household address, the same whether or not a record gave the UPRN: the building line
    with its postcode when there is one (most records have it), else the UPRN, else building line and town."""
    keys = household_lookup_keys(address)
    with_postcode = [k for k in keys if k.startswith("B:") and "|P:" in k]
    by_uprn = [k for k in keys if k.startswith("U:")]
    chosen = with_postcode or by_uprn or list(keys)
    return chosen[0] if chosen else None


def link_method_label(method: str) -> str:
    try:
        return str(LinkMethod(method).label)
    except ValueError:
        return method
