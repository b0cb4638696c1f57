"""Reads for the protocol engine: the database as a ``HistoryProvider`` and an ``AlertLedger``.

Histories are read through identity's person links in force now and the intake
versions visible at a cursor (recorded no later, processed no later). Parsed record
versions are immutable, so they are cached per process by primary key.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Q

from openmash.identity.models import MentionLink, Person
from openmash.intake.domain.address import (
    NormalisedAddress,
    building_lookup_keys,
    household_lookup_keys,
    normalise_address,
    same_building,
)
from openmash.intake.domain.record import Address, Record
from openmash.intake.models import Mention, RecordVersion
from openmash.intake.models import Record as RecordRow
from openmash.protocol.domain.alerts import Occurrence
from openmash.protocol.domain.history import Cursor, IncidentFacts, LinkedVersion, MentionKey, RecordKey
from openmash.protocol.models import Alert, ConfidentialAddress, IncidentAssessment, IncidentChild, KnownAddress

_PARSED_LIMIT = 200_000


class _ParsedCache:
    """Parsed record versions by primary key and content hash (a version never changes once stored; the
    hash guards against a key reused after a database is emptied, as between tests)."""

    def __init__(self) -> None:
        self.items: OrderedDict[tuple[int, str], tuple[Record, Mapping[str, Any]]] = OrderedDict()

    def get(self, pk: tuple[int, str]) -> tuple[Record, Mapping[str, Any]] | None:
        return self.items.get(pk)

    def put(self, pk: tuple[int, str], data: Mapping[str, Any]) -> tuple[Record, Mapping[str, Any]]:
        parsed = (Record.from_json(data), data)
        self.items[pk] = parsed
        if len(self.items) > _PARSED_LIMIT:
            self.items.popitem(last=False)
        return parsed


PARSED = _ParsedCache()

# The hot reads of the stage are plain SQL over the models' tables: the ORM's compilation of each query cost
# more than the query itself. Only table and column names are interpolated; every value is a bound parameter.
_RECORD = RecordRow._meta.db_table
_VERSION = RecordVersion._meta.db_table
_MENTION = Mention._meta.db_table
_LINK = MentionLink._meta.db_table
_PERSON = Person._meta.db_table
_KNOWN = KnownAddress._meta.db_table
_CHILD = IncidentChild._meta.db_table
_ASSESSMENT = IncidentAssessment._meta.db_table
_DATA = RecordVersion._meta.get_field("data")


def _marks(values: Collection[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _when(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _parsed_data(pks: Collection[int]) -> dict[int, Any]:
    """Versions' ``data`` as the model field reads it (unsealed), by primary key."""
    if not pks:
        return {}
    rows = _fetch(f"SELECT id, data FROM {_VERSION} WHERE id IN ({_marks(pks)})", list(pks))  # noqa: S608
    return {pk: _DATA.from_db_value(data, None, connection) for pk, data in rows}


def unlinked_person_id(mention_pk: int) -> str:
    """A person-in-record the linker has not seen is its own person (as the links export says)."""
    return f"U{mention_pk:07d}"


def linked_version(version: RecordVersion) -> tuple[LinkedVersion, dict[str, int]]:
    """The version being processed, with its people's links; and its mentions' primary keys by ref."""
    key = (version.pk, version.content_hash)
    cached = PARSED.get(key) or PARSED.put(key, version.data)
    person_ids: dict[str, str] = {}
    mention_pks: dict[str, int] = {}
    rows = _fetch(f"SELECT m.id, m.ref, m.role, p.person_id FROM {_MENTION} m "  # noqa: S608
                  f"LEFT JOIN {_LINK} l ON l.mention_id = m.id LEFT JOIN {_PERSON} p ON p.id = l.person_id "
                  "WHERE m.record_id = %s", [version.record_id])
    for pk, ref, role, person_id in rows:
        mention_pks[ref] = pk
        if role != "professional":
            person_ids[ref] = person_id or unlinked_person_id(pk)
    # Only the unborn-child alert asks whether this is the record's first version: ask only then.
    first = cached[0].kind == "maternity_booking" and not RecordVersion.objects.filter(
        record_id=version.record_id, seq__lt=version.seq).exists()
    assert version.seq is not None, "a version is given a seq before its pipeline stages run"
    return LinkedVersion(cached[0], cached[1], version.seq, person_ids, first_version=first), mention_pks


class DatabaseHistory:
    """``HistoryProvider`` and ``AlertLedger`` over the shared data model and the protocol's indexes."""

    def __init__(self) -> None:
        self._record_pks: dict[RecordKey, int] = {}
        # Per processed version: the confidential index does not change while one version is assessed.
        self._confidential: dict[str, list[Any]] = {}
        self._with_kind: dict[tuple[str, ...], set[str]] = {}
        self._facts: dict[tuple[int, Any], dict[RecordKey, IncidentFacts | None]] = {}

    # --- HistoryProvider ------------------------------------------------------------------------

    def linked_versions(self, person_ids: Collection[str], cursor: Cursor) -> Sequence[LinkedVersion]:
        """One statement: the visible versions of every record naming these people, with each record's people."""
        wanted = set(person_ids)
        linked = [p for p in wanted if not p.startswith("U")]
        unlinked = [int(p[1:]) for p in wanted if p.startswith("U") and p[1:].isdigit()]
        if not linked and not unlinked:
            return []
        sources = []
        if linked:
            sources.append(f"SELECT m1.record_id FROM {_LINK} l1 JOIN {_PERSON} p1 ON p1.id = l1.person_id "  # noqa: S608
                           f"JOIN {_MENTION} m1 ON m1.id = l1.mention_id WHERE p1.person_id IN ({_marks(linked)})")
        if unlinked:
            sources.append(f"SELECT m0.record_id FROM {_MENTION} m0 WHERE m0.id IN ({_marks(unlinked)})")  # noqa: S608
        rows = _fetch(
            "SELECT v.id, v.record_id, v.version, v.seq, v.withdrawn, v.content_hash, m.id, m.role, m.ref, "  # noqa: S608
            "p.person_id "
            f"FROM {_VERSION} v JOIN {_RECORD} r ON r.id = v.record_id "
            f"LEFT JOIN {_MENTION} m ON m.record_id = v.record_id "
            f"LEFT JOIN {_LINK} l ON l.mention_id = m.id LEFT JOIN {_PERSON} p ON p.id = l.person_id "
            f"WHERE v.record_id IN ({' UNION '.join(sources)}) "
            "AND v.seq IS NOT NULL AND v.seq <= %s AND v.recorded_at <= %s AND NOT r.withdrawn",
            [*linked, *unlinked, cursor.seq, _when(cursor.recorded_at)])
        versions: dict[int, tuple[int, int, int, bool, str]] = {}
        people: dict[int, dict[str, str]] = defaultdict(dict)
        for pk, record_pk, number, seq, withdrawn, digest, mention_pk, role, ref, person_id in rows:
            versions[pk] = (record_pk, number, seq, bool(withdrawn), digest)
            if mention_pk is not None and role != "professional":
                people[record_pk][ref] = person_id or unlinked_person_id(mention_pk)
        return self._visible(versions, people, wanted)

    def _visible(self, versions: Mapping[int, tuple[int, int, int, bool, str]], people: Mapping[int, dict[str, str]],
                 wanted: set[str] | None) -> list[LinkedVersion]:
        """The latest visible version of each record (none when it is a withdrawal), parsed once per process."""
        latest: dict[int, tuple[int, int, int, bool, str]] = {}
        for pk, (record_pk, number, seq, withdrawn, digest) in versions.items():
            held = latest.get(record_pk)
            if held is None or number > held[1]:
                latest[record_pk] = (pk, number, seq, withdrawn, digest)
        chosen = {record_pk: v for record_pk, v in latest.items() if not v[3]}
        missing = {v[0]: v[4] for v in chosen.values() if PARSED.get((v[0], v[4])) is None}
        for pk, data in _parsed_data(list(missing)).items():
            PARSED.put((pk, missing[pk]), data)
        out = []
        for record_pk, (pk, _number, seq, _, digest) in sorted(chosen.items()):
            refs = people.get(record_pk, {})
            if wanted is not None and not wanted & set(refs.values()):
                continue
            parsed = PARSED.get((pk, digest)) or PARSED.put((pk, digest), _parsed_data([pk])[pk])
            record, raw = parsed
            # The version visible may name fewer people than the mentions (which follow the latest version).
            named = {p.ref for p in record.people}
            out.append(LinkedVersion(record, raw, seq, {r: p for r, p in refs.items() if r in named}))
            self._record_pks[record.key] = record_pk
        return [v for v in out if wanted is None or wanted & set(v.person_ids.values())]

    def household_candidates(self, address: NormalisedAddress, cursor: Cursor) -> Collection[str]:
        return self.persons_at_keys(household_lookup_keys(address), cursor)

    def confidential_in_building(self, address: NormalisedAddress) -> Sequence[Address]:
        keys = building_lookup_keys(address)
        if not keys:
            return []
        out: list[Address] = []
        for raw in self._confidential_at(keys):
            found = Address.from_json(raw)
            if found is not None and same_building(normalise_address(found), address) and found not in out:
                out.append(found)
        return out

    def _confidential_at(self, keys: Sequence[str]) -> list[Any]:
        """The stored confidential addresses under these building keys. Read by key (indexed), each key once per
        processed version: only the addresses of the buildings asked about are read and opened. (Reading every
        confidential address once per version instead cost a county of 20,000 households a third of its live
        ingest: 3,152 sealed addresses opened for each record.)"""
        missing = [key for key in dict.fromkeys(keys) if key not in self._confidential]
        if missing:
            found: dict[str, list[Any]] = {key: [] for key in missing}
            for key, raw in ConfidentialAddress.objects.filter(key__in=missing).values_list("key", "address"):
                found[key].append(raw)
            self._confidential.update(found)
        return [raw for key in keys for raw in self._confidential[key]]

    def persons_at_keys(self, keys: Collection[str], cursor: Cursor) -> set[str]:
        keys = list(keys)
        if not keys:
            return set()
        rows = _fetch(f"SELECT k.mention_id, p.person_id FROM {_KNOWN} k "  # noqa: S608
                      f"LEFT JOIN {_LINK} l ON l.mention_id = k.mention_id LEFT JOIN {_PERSON} p ON p.id = l.person_id "
                      f"WHERE k.key IN ({_marks(keys)}) AND k.seq <= %s", [*keys, cursor.seq])
        return {person_id or unlinked_person_id(pk) for pk, person_id in rows}

    def is_confidential(self, address: NormalisedAddress) -> bool:
        return address.confidential or bool(self.confidential_in_building(address))

    def _pks(self, keys: Collection[RecordKey]) -> dict[RecordKey, int]:
        missing = [k for k in keys if k not in self._record_pks]
        if missing:
            query = Q()
            for agency, record_id in missing:
                query |= Q(agency=agency, record_id=record_id)
            for pk, agency, record_id in RecordRow.objects.filter(query).values_list("pk", "agency", "record_id"):
                self._record_pks[(agency, record_id)] = pk
        return {k: self._record_pks[k] for k in keys if k in self._record_pks}

    def incident_facts(self, keys: Collection[RecordKey], cursor: Cursor) -> Mapping[RecordKey, IncidentFacts]:
        # One assessment asks about the same incidents for each person in it: read each once per cursor.
        known = self._facts.setdefault((cursor.seq, cursor.recorded_at), {})
        missing = [k for k in keys if k not in known]
        if missing:
            found = self._read_incident_facts(missing, cursor)
            known.update({k: found.get(k) for k in missing})
        return {k: facts for k in keys if (facts := known[k]) is not None}

    def _read_incident_facts(self, keys: Collection[RecordKey], cursor: Cursor) -> Mapping[RecordKey, IncidentFacts]:
        pks = self._pks(keys)
        by_pk = {pk: key for key, pk in pks.items()}
        rows = IncidentAssessment.objects.filter(
            record_id__in=list(by_pk), seq__lte=cursor.seq, recorded_at__lte=cursor.recorded_at,
            record__withdrawn=False).values_list(
            "pk", "record_id", "seq", "occurred_at", "recorded_at", "level", "level_criteria", "dash_yes",
            "marac_notified", "version__version", "version__withdrawn")
        latest: dict[int, tuple[Any, ...]] = {}
        for row in rows:
            held = latest.get(row[1])
            if held is None or row[2] > held[2]:
                latest[row[1]] = row
        children: dict[int, set[str]] = defaultdict(set)
        mentions: dict[int, list[MentionKey]] = defaultdict(list)
        child_rows = IncidentChild.objects.filter(assessment_id__in=[r[0] for r in latest.values()]).values_list(
            "assessment_id", "mention_id", "mention__link__person__person_id", "mention__record__agency",
            "mention__record__record_id", "mention__ref")
        for assessment, mention_pk, person_id, agency, record_id, ref in child_rows:
            children[assessment].add(person_id or unlinked_person_id(mention_pk))
            mentions[assessment].append((agency, record_id, ref))
        out: dict[RecordKey, IncidentFacts] = {}
        for record_pk, row in latest.items():
            pk, _, seq, occurred, recorded, level, criteria, dash_yes, marac, number, withdrawn = row
            if withdrawn:
                continue
            out[by_pk[record_pk]] = IncidentFacts(
                key=by_pk[record_pk], version=number, seq=seq, occurred_at=occurred, recorded_at=recorded,
                level=level, criteria=tuple(criteria), dash_yes=dash_yes, children=frozenset(children[pk]),
                child_mentions=tuple(mentions[pk]), marac_notified=marac)
        return out

    def incidents_with_child(self, person_id: str, cursor: Cursor) -> Collection[RecordKey]:
        if person_id.startswith("U") and person_id[1:].isdigit():
            param: int | str = int(person_id[1:])
            who = "c.mention_id = %s"
        else:
            who = (f"c.mention_id IN (SELECT l.mention_id FROM {_LINK} l JOIN {_PERSON} p ON p.id = l.person_id "  # noqa: S608
                   "WHERE p.person_id = %s)")
            param = person_id
        rows = _fetch(f"SELECT DISTINCT r.agency, r.record_id, a.record_id FROM {_CHILD} c "  # noqa: S608
                      f"JOIN {_ASSESSMENT} a ON a.id = c.assessment_id JOIN {_RECORD} r ON r.id = a.record_id "
                      f"WHERE {who} AND a.seq <= %s", [param, cursor.seq])
        out = set()
        for agency, record_id, pk in rows:
            self._record_pks[(agency, record_id)] = pk
            out.add((agency, record_id))
        return out

    def persons_with_kind(self, kinds: Collection[str], person_ids: Collection[str] | None,
                          cursor: Cursor) -> Collection[str]:
        if person_ids is not None:
            linked = [p for p in person_ids if not p.startswith("U")]
            kinds = list(kinds)
            if not linked or not kinds:
                return set()
            rows = _fetch(f"SELECT DISTINCT p.person_id FROM {_LINK} l JOIN {_PERSON} p ON p.id = l.person_id "  # noqa: S608
                          f"JOIN {_MENTION} m ON m.id = l.mention_id JOIN {_RECORD} r ON r.id = m.record_id "
                          f"WHERE p.person_id IN ({_marks(linked)}) AND r.kind IN ({_marks(kinds)}) "
                          "AND NOT r.withdrawn", [*linked, *kinds])
            return {person_id for (person_id,) in rows}
        key = tuple(sorted(kinds))
        if key not in self._with_kind:
            # Everyone ever named on such records (supervisions are few): from the record-kind index outward,
            # so the read grows with those records, not with everyone stored.
            records = RecordRow.objects.filter(kind__in=key, withdrawn=False).values("pk")
            self._with_kind[key] = set(MentionLink.objects.filter(mention__record_id__in=records)
                                       .values_list("person__person_id", flat=True).distinct())
        return self._with_kind[key]

    def household_keys_of(self, person_ids: Collection[str], cursor: Cursor) -> Mapping[str, Collection[str]]:
        out: dict[str, set[str]] = {p: set() for p in person_ids}
        linked = [p for p in person_ids if not p.startswith("U")]
        if not linked:
            return out
        rows = _fetch(f"SELECT p.person_id, k.key FROM {_KNOWN} k JOIN {_LINK} l ON l.mention_id = k.mention_id "  # noqa: S608
                      f"JOIN {_PERSON} p ON p.id = l.person_id WHERE p.person_id IN ({_marks(linked)}) "
                      "AND k.seq <= %s", [*linked, cursor.seq])
        for person_id, key in rows:
            out.setdefault(person_id, set()).add(key)
        return out

    # --- AlertLedger ----------------------------------------------------------------------------

    def raised(self, kind: str, person_id: str | None, record: RecordKey | None) -> Sequence[Occurrence]:
        rows = Alert.objects.filter(kind=kind, once_person=person_id or "",
                                    once_record="|".join(record) if record else "")
        out = []
        for household in rows.values_list("once_household", flat=True):
            address = Address.from_json(household) if household else None
            out.append(Occurrence(kind, person_id, record, normalise_address(address) if address else None))
        return out



def resolve_mentions(keys: Iterable[MentionKey]) -> dict[MentionKey, int]:
    """Mention primary keys for ``(agency, record_id, ref)`` keys."""
    wanted = set(keys)
    if not wanted:
        return {}
    records = {(agency, record_id) for agency, record_id, _ in wanted}
    match = " OR ".join(["(r.agency = %s AND r.record_id = %s)"] * len(records))
    rows = _fetch(f"SELECT m.id, r.agency, r.record_id, m.ref FROM {_MENTION} m "  # noqa: S608
                  f"JOIN {_RECORD} r ON r.id = m.record_id WHERE {match}", [v for key in records for v in key])
    return {(a, r, f): pk for pk, a, r, f in rows if (a, r, f) in wanted}


def current_person_ids(keys: Iterable[MentionKey]) -> dict[MentionKey, str]:
    """The person_id of each mention as it stands now (for exports)."""
    wanted = set(keys)
    if not wanted:
        return {}
    out: dict[MentionKey, str] = {}
    by_record: dict[tuple[str, str], set[str]] = defaultdict(set)
    for agency, record_id, ref in wanted:
        by_record[(agency, record_id)].add(ref)
    ids = list(by_record)
    for start in range(0, len(ids), 400):
        chunk = ids[start:start + 400]
        query = Q()
        for agency, record_id in chunk:
            query |= Q(record__agency=agency, record__record_id=record_id)
        rows = Mention.objects.filter(query).values_list("record__agency", "record__record_id", "ref",
                                                         "link__person__person_id")
        for agency, record_id, ref, person_id in rows:
            if person_id and ref in by_record[(agency, record_id)]:
                out[(agency, record_id, ref)] = person_id
    return out
