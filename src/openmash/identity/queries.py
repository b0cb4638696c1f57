"""Reads of the person index: links, explanations, people's addresses and households."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from openmash.identity.domain import merges
from openmash.identity.models import LinkEvent, MatchReview, MentionLink, Person, Residence
from openmash.intake.models import Mention
from openmash.platform.compiled import Compiled, Ints


def links_rows() -> Iterator[tuple[str, str, str, str]]:
    """``(agency, record_id, person_ref, person_id)`` for every linkable person in every current record.

    A person-in-record the linker has not seen (no pipeline stage ran) is its own person, ``U<mention>``,
    so the export still has one row per person named (contract §7).
    """
    mentions = (
        Mention.objects.filter(active=True, record__withdrawn=False, record__current__isnull=False)
        .exclude(role="professional")
        .values_list("pk", "record__agency", "record__record_id", "ref", "link__person__person_id")
        .order_by("record__agency", "record__record_id", "ref")
    )
    for pk, agency, record_id, ref, person_id in mentions.iterator(chunk_size=5000):
        yield (agency, record_id, ref, person_id or f"U{pk:07d}")


def person_id_of(agency: str, record_id: str, ref: str) -> str | None:
    """The public person id of one person-in-record, as it stands now."""
    return (
        MentionLink.objects.filter(mention__record__agency=agency, mention__record__record_id=record_id, mention__ref=ref)
        .values_list("person__person_id", flat=True)
        .first()
    )


def person_ids_of_record(agency: str, record_id: str) -> dict[str, str]:
    """``ref → person_id`` for every linked person named in one record."""
    rows = MentionLink.objects.filter(mention__record__agency=agency, mention__record__record_id=record_id)
    return dict(rows.values_list("mention__ref", "person__person_id"))


def mentions_of_person(person_id: str) -> list[Mention]:
    """Every current person-in-record linked to this person (oldest record first)."""
    return list(
        Mention.objects.filter(link__person__person_id=person_id, active=True, record__withdrawn=False)
        .select_related("record", "version")
        .order_by("version__occurred_at", "pk")
    )


@dataclass(frozen=True)
class Explanation:
    mention: str
    person_id: str
    method: str
    probability: float
    model_version: str
    details: dict[str, Any]
    merges: list[dict[str, Any]]
    open_reviews: int


def explain(agency: str, record_id: str, ref: str) -> Explanation | None:
    """Why this person-in-record joined its person: the link's evidence, and merges that moved it since."""
    link = (
        MentionLink.objects.filter(mention__record__agency=agency, mention__record__record_id=record_id, mention__ref=ref)
        .select_related("person")
        .first()
    )
    if link is None:
        return None
    merges = [
        {"event": e.pk, "kind": e.kind, "at": e.created_at.isoformat(), "actor": e.actor,
         "keep": e.keep.person_id if e.keep else None, "absorbed": e.absorbed.person_id if e.absorbed else None,
         "evidence": e.evidence}
        for e in LinkEvent.objects.filter(kind__in=[LinkEvent.Kind.MERGE, LinkEvent.Kind.SPLIT, LinkEvent.Kind.RELINK])
        .filter(Q(keep=link.person) | Q(absorbed=link.person)).select_related("keep", "absorbed").order_by("pk")
        if link.mention_id in e.mentions or e.keep_id == link.person_id
    ]
    reviews = MatchReview.objects.filter(mention_id=link.mention_id, status=MatchReview.Status.OPEN).count()
    return Explanation(f"{agency}:{record_id}:{ref}", link.person.person_id, link.method, link.probability,
                       link.model_version, link.explanation, merges, reviews)


@dataclass(frozen=True)
class Stay:
    """One observation that a person lived at an address: from a record, from when, until when."""

    person_id: str
    household_key: str
    postcode: str
    confidential: bool
    since: dt.date
    until: dt.date | None
    agency: str
    record_id: str


def addresses_of(person_id: str) -> list[Stay]:
    """Where a person lived, record by record, oldest first (confidential ones flagged, never dropped)."""
    rows = (
        Residence.objects.filter(mention__link__person__person_id=person_id, mention__active=True,
                                 mention__record__withdrawn=False)
        .values_list("household_key", "postcode", "confidential", "since", "until", "mention__record__agency",
                     "mention__record__record_id")
        .order_by("since", "pk")
    )
    return [Stay(person_id, *row) for row in rows]


def address_on(person_id: str, day: dt.date) -> Stay | None:
    """The address a person is last known at on ``day``: the latest stay begun by then and not ended before it."""
    current = [s for s in addresses_of(person_id) if s.since <= day and (s.until is None or s.until >= day)]
    return current[-1] if current else None


def household_of(person_id: str, day: dt.date) -> list[str]:
    """The people living with ``person_id`` on ``day`` (themselves included): everyone whose address on
    that day (``address_on``) is the same household address (contract §3.2 key)."""
    home = address_on(person_id, day)
    if home is None:
        return [person_id]
    candidates = set(
        Residence.objects.filter(household_key=home.household_key, since__lte=day, mention__active=True,
                                 mention__record__withdrawn=False)
        .values_list("mention__link__person__person_id", flat=True)
    )
    members = []
    for candidate in sorted(c for c in candidates if c):
        stay = address_on(candidate, day)
        if stay is not None and stay.household_key == home.household_key:
            members.append(candidate)
    return members or [person_id]


def standing_pks(pks: Iterable[int]) -> dict[int, int]:
    """Each person's primary key → the key of the person it stands under now (itself when never merged); keys of
    no person are left out. One read per level of merges, for all of them together."""
    into = _merge_chains(Person.objects.filter(pk__in=set(pks)))
    return {pk: merges.standing(pk, into) for pk in pks if pk in into}


def standing_person_ids(person_ids: Iterable[str]) -> dict[str, str]:
    """Each public person id → the id it stands under now (itself when never merged); ids of nobody are left out."""
    ids = list(dict.fromkeys(person_ids))
    public: dict[int, str] = {}
    into = _merge_chains(Person.objects.filter(person_id__in=ids), public)
    asked = set(ids)
    start = {public[pk]: pk for pk in into if public[pk] in asked}
    return {pid: public[merges.standing(start[pid], into)] for pid in ids if pid in start}


def merged_targets() -> dict[str, str]:
    """Every merged person's public id → the id it stands under now (a merge keeps the older id)."""
    public: dict[int, str] = {}
    into = _merge_chains(Person.objects.filter(merged_into__isnull=False), public)
    return {public[pk]: public[merges.standing(pk, into)] for pk, target in into.items() if target is not None}


def merged_aliases(person_ids: Iterable[str]) -> dict[str, set[str]]:
    """Each public person id → that id and every id merged into it, however deep (one read per level of merges,
    for all of them together)."""
    return _merged_aliases(person_ids, lambda frontier: Person.objects.filter(
        merged_into__person_id__in=frontier).values_list("person_id", "merged_into__person_id"))


def _merged_aliases(person_ids: Iterable[str],
                    absorbed_into: Callable[[set[str]], Iterable[tuple[str, str]]]) -> dict[str, set[str]]:
    """``merged_aliases`` with ``absorbed_into`` reading ``(absorbed, kept)`` for the people merged into some."""
    ids = list(dict.fromkeys(person_ids))
    absorbed_by: dict[str, set[str]] = defaultdict(set)
    seen, frontier = set(ids), set(ids)
    while frontier:
        rows = absorbed_into(frontier)
        frontier = set()
        for absorbed, into in rows:
            absorbed_by[into].add(absorbed)
            if absorbed not in seen:
                frontier.add(absorbed)
        seen |= frontier
    return {person_id: merges.absorbed(person_id, absorbed_by) for person_id in ids}


def _merge_chains(first: QuerySet[Person], public: dict[int, str] | None = None) -> dict[int, int | None]:
    """``pk → merged_into`` for the people of ``first`` and every person their chains lead to, read a level at
    a time; ``public`` (when given) is filled with each one's public id."""
    chains: dict[int, int | None] = {}
    level = first
    while True:
        wanted: set[int] = set()
        for pk, person_id, into in level.values_list("pk", "person_id", "merged_into_id"):
            chains[pk] = into
            if public is not None:
                public[pk] = person_id
            if into is not None:
                wanted.add(into)
        wanted -= chains.keys()
        if not wanted:
            return chains
        level = Person.objects.filter(pk__in=wanted)


# --- The merge-chain reads of the access decisions, compiled once per connection (platform.compiled) ---------
# The same answers as ``standing_person_ids`` and ``merged_aliases`` (tests/governance/test_relationships.py):
# every page decides its people with them, and building the ORM statements cost more than running them.

_PEOPLE_BY_ID = Compiled(lambda ids: Person.objects.filter(person_id__in=ids).values_list(
    "pk", "person_id", "merged_into_id"), list)
_PEOPLE_BY_PK = Compiled(lambda pks: Person.objects.filter(pk__in=pks).values_list(
    "pk", "person_id", "merged_into_id"), Ints)
_ABSORBED_INTO = Compiled(lambda ids: Person.objects.filter(merged_into__person_id__in=ids).values_list(
    "person_id", "merged_into__person_id"), list)


def standing_person_ids_compiled(person_ids: Iterable[str]) -> dict[str, str]:
    """``standing_person_ids``, its reads compiled once per connection."""
    ids = list(dict.fromkeys(person_ids))
    chains: dict[int, int | None] = {}
    public: dict[int, str] = {}
    rows = _PEOPLE_BY_ID.rows(sorted(ids))
    while rows:
        for pk, person_id, into in rows:
            chains[pk] = into
            public[pk] = person_id
        wanted = {into for _pk, _id, into in rows if into is not None} - chains.keys()
        rows = _PEOPLE_BY_PK.rows(sorted(wanted)) if wanted else []
    asked = set(ids)
    start = {public[pk]: pk for pk in chains if public[pk] in asked}
    return {pid: public[merges.standing(start[pid], chains)] for pid in ids if pid in start}


def merged_aliases_compiled(person_ids: Iterable[str]) -> dict[str, set[str]]:
    """``merged_aliases``, its reads compiled once per connection."""
    return _merged_aliases(person_ids, lambda frontier: _ABSORBED_INTO.rows(sorted(frontier)))
