"""Everything the rules may ask about the people of one record R, worked out once and cached.

An :class:`Evaluation` wraps R, the history provider and the policy; rules ask it
for a person's history, ages, whether they are a child on R, their latest known
address, and who lives at an address. Person histories are fetched in batches.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cached_property

from openmash.intake.domain.address import NormalisedAddress, same_household
from openmash.intake.domain.localtime import local_date
from openmash.intake.domain.record import PersonMention
from openmash.protocol.domain.ages import Ages, ages_on, is_child
from openmash.protocol.domain.history import (
    Cursor,
    HistoryProvider,
    KnownAddress,
    LinkedVersion,
    PersonHistory,
    known_address_on,
)
from openmash.protocol.domain.policy import Policy

#: When one person is named twice, the more specific role describes them (``interchange-v1.md`` §3.1).
ROLE_PRECEDENCE = (
    "perpetrator", "victim", "child_present", "child_in_household", "subject", "parent", "carer",
    "household_member", "other_adult", "referrer",
)


class Evaluation:
    def __init__(self, subject: LinkedVersion, provider: HistoryProvider, policy: Policy) -> None:
        self.subject = subject
        self.record = subject.record
        self.provider = provider
        self.policy = policy
        self.cursor: Cursor = subject.cursor
        self.day = local_date(self.record.occurred_at)
        self._histories: dict[str, PersonHistory] = {}

    # --- the people named on R ---------------------------------------------------------------

    @cached_property
    def named(self) -> dict[str, tuple[PersonMention, ...]]:
        """person_id → their mentions on R, in record order (professionals are not people here)."""
        out: dict[str, list[PersonMention]] = {}
        for mention in self.record.people:
            pid = self.subject.person_ids.get(mention.ref)
            if pid is not None and mention.is_linkable:
                out.setdefault(pid, []).append(mention)
        return {pid: tuple(ms) for pid, ms in out.items()}

    def roles(self, person_id: str) -> frozenset[str]:
        return frozenset(m.role for m in self.named.get(person_id, ()))

    def primary_mention(self, person_id: str) -> PersonMention:
        mentions = self.named[person_id]
        return min(mentions, key=lambda m: ROLE_PRECEDENCE.index(m.role) if m.role in ROLE_PRECEDENCE else 99)

    def in_role(self, *roles: str) -> list[str]:
        return [pid for pid in self.named if self.roles(pid) & set(roles)]

    # --- histories ----------------------------------------------------------------------------

    def prefetch(self, person_ids: Iterable[str]) -> None:
        wanted = [pid for pid in dict.fromkeys(person_ids) if pid not in self._histories]
        if not wanted:
            return
        by_person: dict[str, list[LinkedVersion]] = {pid: [] for pid in wanted}
        for entry in self.provider.linked_versions(wanted, self.cursor):
            for pid in set(entry.person_ids.values()):
                if pid in by_person:
                    by_person[pid].append(entry)
        for pid, entries in by_person.items():
            # R is always in the history of the people it names, whatever the provider returns.
            if pid in self.named and not any(e.key == self.subject.key for e in entries):
                entries.append(self.subject)
            entries = [self.subject if e.key == self.subject.key else e for e in entries]
            self._histories[pid] = PersonHistory(pid, self.subject, tuple(entries))

    def history(self, person_id: str) -> PersonHistory:
        if person_id not in self._histories:
            self.prefetch([person_id])
        return self._histories[person_id]

    def ages(self, person_id: str) -> Ages:
        return ages_on(self.history(person_id).age_evidence, self.day)

    def is_child(self, person_id: str) -> bool:
        people = self.policy.people
        return is_child(self.ages(person_id), self.roles(person_id),
                        child_under=people.child_under, child_roles=people.child_roles)

    def latest_known_address(self, person_id: str) -> KnownAddress | None:
        return self.history(person_id).latest_known_address

    def known_address_on_subject(self, person_id: str) -> KnownAddress | None:
        for mention in self.named.get(person_id, ()):
            known = known_address_on(self.subject, mention)
            if known is not None:
                return known
        return None

    def address_for_household(self, person_id: str) -> KnownAddress | None:
        """Their known address on R, else their latest known address for R (Terms, (b))."""
        return self.known_address_on_subject(person_id) or self.latest_known_address(person_id)

    def living_at(self, address: NormalisedAddress, *, exclude: Collection[str] = ()) -> list[str]:
        """People whose latest known address for R is the same household address as ``address``."""
        candidates = [pid for pid in self.provider.household_candidates(address, self.cursor) if pid not in exclude]
        self.prefetch(candidates)
        out = []
        for pid in sorted(candidates):
            latest = self.latest_known_address(pid)
            if latest is not None and same_household(latest.normalised, address):
                out.append(pid)
        return out

    def is_confidential(self, known: KnownAddress | None) -> bool:
        if known is None:
            return False
        return known.address.confidential or self.provider.is_confidential(known.normalised)
