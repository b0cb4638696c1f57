"""A person's history for a record, and the facts the rules read from it (Terms).

The history for a record R is what the protocol may know when R is processed:
the record versions linked to the person whose ``recorded_at`` is not after R's
and that were processed before R (R included), the latest such version of each
record, withdrawn records never. A :class:`HistoryProvider` supplies it — the
database in production, a dictionary in tests — so every rule here is a pure
function of what it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from openmash.intake.domain.address import NormalisedAddress, normalise_address, same_household
from openmash.intake.domain.localtime import local_date
from openmash.intake.domain.record import SPAN_KINDS, Address, PersonMention, Record, normalise_postcode
from openmash.protocol.domain.ages import AgeEvidence
from openmash.protocol.domain.windows import is_open_at

RecordKey = tuple[str, str]
MentionKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """Where in the processing order a record version stands: its ``recorded_at``, then ``seq``."""

    recorded_at: dt.datetime
    seq: int

    def sees(self, recorded_at: dt.datetime, seq: int) -> bool:
        """Recorded no later than this, and processed no later (a version sees itself)."""
        return recorded_at <= self.recorded_at and seq <= self.seq


@dataclass(frozen=True, slots=True)
class LinkedVersion:
    """One stored record version with the person links in force for its mentions."""

    record: Record
    raw: Mapping[str, Any]
    seq: int
    #: ref → person_id for every linked (non-professional) mention of this version.
    person_ids: Mapping[str, str]
    first_version: bool = False

    @property
    def key(self) -> RecordKey:
        return self.record.key

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.record.recorded_at, self.seq)

    @property
    def order(self) -> tuple[dt.datetime, dt.datetime, int]:
        """Latest-first order of the Terms: ``occurred_at``, then ``recorded_at``, then ``version``."""
        return (self.record.occurred_at, self.record.recorded_at, self.record.version)

    def mentions_of(self, person_id: str) -> tuple[PersonMention, ...]:
        return tuple(p for p in self.record.people if self.person_ids.get(p.ref) == person_id)

    def names(self, person_id: str, roles: Collection[str] | None = None) -> bool:
        return any(roles is None or m.role in roles for m in self.mentions_of(person_id))

    def persons_in_role(self, *roles: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in self.record.people:
            pid = self.person_ids.get(p.ref)
            if pid is not None and p.role in roles:
                seen[pid] = None
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What was worked out when one version of a ``da_incident`` was processed (kept for later counts)."""

    key: RecordKey
    version: int
    seq: int
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    level: str
    criteria: tuple[str, ...]
    dash_yes: int
    #: Children involved, by person_id (resolved through the links in force when read).
    children: frozenset[str]
    child_mentions: tuple[MentionKey, ...] = ()
    #: A MARAC_REFERRAL notification stands for this incident (live only; §1.8).
    marac_notified: bool = False


class HistoryProvider(Protocol):
    """What the rules may read about the past. Implementations must honour the Cursor (Terms)."""

    def linked_versions(self, person_ids: Collection[str], cursor: Cursor) -> Sequence[LinkedVersion]:
        """Each non-withdrawn record whose latest version visible at ``cursor`` names one of these people."""
        ...

    def household_candidates(self, address: NormalisedAddress, cursor: Cursor) -> Collection[str]:
        """People given a known address in the same household by a version visible at ``cursor`` (a superset)."""
        ...

    def is_confidential(self, address: NormalisedAddress) -> bool:
        """Any stored record, any version, marks confidential an address in the same building (§4.1)."""
        ...

    def confidential_in_building(self, address: NormalisedAddress) -> Sequence[Address]:
        """The stored confidential addresses in the same building (for free-text withholding)."""
        ...

    def incident_facts(self, keys: Collection[RecordKey], cursor: Cursor) -> Mapping[RecordKey, IncidentFacts]:
        """For each incident, the facts of its latest version visible at ``cursor``."""
        ...

    def incidents_with_child(self, person_id: str, cursor: Cursor) -> Collection[RecordKey]:
        """Incidents any visible version of which counted this person as a child involved (a superset)."""
        ...

    def persons_with_kind(self, kinds: Collection[str], person_ids: Collection[str] | None,
                          cursor: Cursor) -> Collection[str]:
        """Of these people (everyone when None), those named on some visible record of these kinds (a superset).

        A cheap filter before a history is read: most people were never in a supervision or an incident.
        """
        ...

    def household_keys_of(self, person_ids: Collection[str], cursor: Cursor) -> Mapping[str, Collection[str]]:
        """Every household lookup key of every known address given to these people (a superset)."""
        ...

    def persons_at_keys(self, keys: Collection[str], cursor: Cursor) -> Collection[str]:
        """People given a known address under any of these household lookup keys (a superset)."""
        ...


# --- addresses ----------------------------------------------------------------------------------


def is_doubtful(address: Address) -> bool:
    """A postcode that is not a UK postcode, and no UPRN (Terms, "Known address")."""
    return bool(address.postcode and address.postcode.strip()) and normalise_postcode(address.postcode) is None \
        and not address.uprn


def usable_address(address: Address | None) -> NormalisedAddress | None:
    """The normalised address when it can be a known address: present, not doubtful, residential."""
    if address is None or is_doubtful(address):
        return None
    norm = normalise_address(address)
    return None if norm.is_non_residential else norm


def given_address(record: Record, mention: PersonMention) -> Address | None:
    """The address a record gives a person: on a tenancy the tenancy's, for each household member."""
    if record.kind == "tenancy" and mention.role == "household_member" and record.address is not None:
        return record.address
    return mention.address


@dataclass(frozen=True, slots=True)
class KnownAddress:
    address: Address
    normalised: NormalisedAddress
    version: LinkedVersion
    mention: PersonMention

    @property
    def cite(self) -> MentionKey:
        return (self.version.record.agency, self.version.record.record_id, self.mention.ref)


def known_address_on(version: LinkedVersion, mention: PersonMention) -> KnownAddress | None:
    address = given_address(version.record, mention)
    norm = usable_address(address)
    if address is None or norm is None:
        return None
    return KnownAddress(address, norm, version, mention)


# --- one person's history -----------------------------------------------------------------------


@dataclass
class PersonHistory:
    """One person's history for the record being processed, with the facts rules ask of it."""

    person_id: str
    subject: LinkedVersion  # the record R being processed
    entries: Sequence[LinkedVersion]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def at(self) -> dt.datetime:
        return self.subject.record.occurred_at

    def mentions(self) -> Iterator[tuple[LinkedVersion, PersonMention]]:
        for entry in self.entries:
            for mention in entry.mentions_of(self.person_id):
                yield entry, mention

    @cached_property
    def age_evidence(self) -> tuple[AgeEvidence, ...]:
        return tuple(
            AgeEvidence(
                trusted_dob=m.trusted_date_of_birth,
                estimated_age=m.estimated_age,
                occurred_on=local_date(e.record.occurred_at),
                order=e.order,
            )
            for e, m in self.mentions()
        )

    @cached_property
    def has_linked_history(self) -> bool:
        """Some record other than the one being processed is linked to this person."""
        return any(e.key != self.subject.key for e in self.entries)

    def known_addresses(self, *, exclude: RecordKey | None = None) -> list[KnownAddress]:
        out: list[KnownAddress] = []
        for entry, mention in self.mentions():
            if exclude is not None and entry.key == exclude:
                continue
            known = known_address_on(entry, mention)
            if known is not None:
                out.append(known)
        return out

    @cached_property
    def latest_known_address(self) -> KnownAddress | None:
        """Of the records giving a known address, not after R and (spans) open at R: the latest."""
        best: KnownAddress | None = None
        for known in self.known_addresses():
            record = known.version.record
            if record.occurred_at > self.at:
                continue
            if record.kind in SPAN_KINDS and not is_open_at(record.occurred_at, record.ended_at, self.at):
                continue
            if best is None or known.version.order > best.version.order:
                best = known
        return best

    def open_spans(self, kind: str, at: dt.datetime | None = None, role: str = "subject") -> list[LinkedVersion]:
        """Records of ``kind`` naming this person in ``role`` that are open at ``at`` (R's occurred_at)."""
        when = self.at if at is None else at
        return [
            e for e in self.entries
            if e.record.kind == kind and e.names(self.person_id, (role,))
            and is_open_at(e.record.occurred_at, e.record.ended_at, when)
        ]

    def records(self, kind: str, roles: Collection[str] | None = None) -> list[LinkedVersion]:
        return [e for e in self.entries if e.record.kind == kind and e.names(self.person_id, roles)]


def same_household_any(a: NormalisedAddress, others: Collection[NormalisedAddress]) -> bool:
    return any(same_household(a, b) for b in others)


def subject_mention(entry: LinkedVersion, person_id: str) -> PersonMention | None:
    return next((m for m in entry.mentions_of(person_id) if m.role == "subject"), None)
