"""The one access-policy layer: every read of a person's data goes through ``access_person``.

Views, the API, exports and search never query person data directly; they call here, get
back the decision (content level per record agency, address withholding), and the read is
audited in the same transaction. A foreign person and a non-existent one raise the same
:class:`NotFound`, so nobody learns that a record exists by being refused it.

Relationship facts are supplied by providers that later capabilities register (a
notification to the viewer's team, an open involvement, triage, break-glass): each is a
callable ``(viewer, person_id) -> Iterable[Relationship]``. Whether a person exists at
all (and which id a merged person now stands under) is answered by one resolver
(``register_person_resolver``); without one, every id is taken to exist. Either may also be
registered with a batch form (``many=``) giving the same answers for several people at once: a page
that shows several people (``reading``) then reads each kind of fact once, not once per person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from openmash.platform.audit import Actor, Event, record_event, record_events
from openmash.platform.domain.access_rules import Decision, Relationship, Role, Viewer, decide_person_access

RelationshipProvider = Callable[[Viewer, str], Iterable[Relationship]]
#: The same facts for several people at once: person_id → relationships (a person without any may be absent).
ManyRelationshipProvider = Callable[[Viewer, Sequence[str]], Mapping[str, Iterable[Relationship]]]
#: person_id → the id the person stands under now, or None when there is no such person.
PersonResolver = Callable[[str], "str | None"]
#: The same for several ids at once (an id missing from the answer counts as None).
ManyPersonResolver = Callable[[Sequence[str]], Mapping[str, "str | None"]]
_providers: list[RelationshipProvider] = []
_resolvers: list[PersonResolver] = []
#: Optional batch forms, used when a page decides several people (``Reads.people``); same answers, fewer reads.
_many_providers: dict[RelationshipProvider, ManyRelationshipProvider] = {}
_many_resolvers: dict[PersonResolver, ManyPersonResolver] = {}


class NotFound(Http404):
    """The one answer for 'does not exist' and 'not yours'."""

    def __init__(self) -> None:
        super().__init__("Not found")


def register_relationship_provider(provider: RelationshipProvider, *,
                                   many: ManyRelationshipProvider | None = None) -> RelationshipProvider:
    """``many``: the provider for several people at once, giving each exactly what ``provider`` gives them."""
    if provider not in _providers:
        _providers.append(provider)
    if many is not None:
        _many_providers[provider] = many
    return provider


def register_person_resolver(resolver: PersonResolver, *, many: ManyPersonResolver | None = None) -> PersonResolver:
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    if many is not None:
        _many_resolvers[resolver] = many
    return resolver


def resolve_person(person_id: str) -> str | None:
    """The id a person stands under now (after merges), or None when nobody has this id."""
    return resolve_people([person_id])[person_id]


def viewer_for(user: Any) -> Viewer:
    """The access-rule view of a Django user (anonymous and inactive users are inactive viewers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer(username="anonymous", agency="", team="", roles=frozenset(), active=False)
    return user.as_viewer()  # type: ignore[no-any-return]


def _valid_id(person_id: object) -> bool:
    return isinstance(person_id, str) and bool(person_id) and len(person_id) <= 64


def resolve_people(person_ids: Sequence[str]) -> dict[str, str | None]:
    """``resolve_person`` for several ids: each resolver in turn, in one call when it has a batch form."""
    if not _resolvers:
        return {i: i if _valid_id(i) else None for i in person_ids}
    found: dict[str, str | None] = dict.fromkeys(person_ids)
    left = [i for i in dict.fromkeys(person_ids) if _valid_id(i)]
    for resolver in _resolvers:
        if not left:
            break
        many = _many_resolvers.get(resolver)
        answers = many(left) if many is not None else {i: resolver(i) for i in left}
        found.update({i: answers[i] for i in left if answers.get(i) is not None})
        left = [i for i in left if found[i] is None]
    return found


def _decide_many(viewer: Viewer, person_ids: Sequence[str]) -> dict[str, tuple[str | None, Decision]]:
    """For each id: the id the person stands under now (None when nobody has it) and the decision for them."""
    current = resolve_people(person_ids)
    people = [c for c in dict.fromkeys(current.values()) if c is not None] if viewer.active else []
    facts: dict[str, list[Relationship]] = {c: [] for c in people}
    for provider in _providers if people else ():
        many = _many_providers.get(provider)
        if many is not None:
            for person_id, found in many(viewer, people).items():
                facts.get(person_id, []).extend(found)  # an id it was not asked about counts for nobody
        else:
            for person_id in people:
                facts[person_id].extend(provider(viewer, person_id))
    out = {}
    for person_id, now in current.items():
        if now is None or not viewer.active:
            out[person_id] = (now, decide_person_access(viewer, (), exists=now is not None))
        else:
            out[person_id] = (now, decide_person_access(viewer, tuple(facts[now])))
    return out


def _decide(viewer: Viewer, person_id: str) -> tuple[str | None, Decision]:
    """The id the person stands under now (None when nobody has this id) and the decision for them."""
    return _decide_many(viewer, [person_id])[person_id]


def decide(viewer: Viewer, person_id: str) -> Decision:
    """The decision for one person, without auditing (search uses it to filter; pages use ``access_person``)."""
    return _decide(viewer, person_id)[1]


def actor_for(user: Any, source_ip: str = "") -> Actor:
    viewer = viewer_for(user)
    return Actor(viewer.username, role=",".join(sorted(viewer.roles)), team=f"{viewer.agency}/{viewer.team}"
                 if viewer.agency else "", source_ip=source_ip)


@dataclass(frozen=True, slots=True)
class _Read:
    person_id: str
    purpose: str
    decision: Decision


@dataclass
class Reads:
    """The people one page reads: each decided once when asked, all audited together when the page is done.

    Made by :func:`reading`. A refused or absent person raises :class:`NotFound` (``person``) or is left
    out (``people``); every person granted gets their own ``person.read`` row (so "who has read this
    person" finds it), flagged when it rests on break-glass, written in one go at the end of the block.
    """

    viewer: Viewer
    actor: Actor
    purpose: str
    #: asked id -> the id the person stands under now (after merges), for everyone granted.
    current: dict[str, str] = field(default_factory=dict)
    _decided: dict[str, Decision | None] = field(default_factory=dict)
    _reads: dict[tuple[str, str], _Read] = field(default_factory=dict)

    def _decide(self, person_ids: Iterable[str]) -> None:
        """Decide those not decided yet, together (providers with a batch form read once for all of them)."""
        for person_id, (current, found) in _decide_many(
                self.viewer, [i for i in dict.fromkeys(person_ids) if i not in self._decided]).items():
            self._decided[person_id] = found if found.allowed and current is not None else None
            if current is not None and found.allowed:
                self.current[person_id] = current

    def _granted(self, person_id: str, purpose: str | None) -> Decision | None:
        self._decide([person_id])
        decision = self._decided[person_id]
        if decision is not None:
            now_id = self.current[person_id]
            why = purpose or self.purpose or decision.audit_purpose
            self._reads.setdefault((now_id, why), _Read(now_id, why, decision))
        return decision

    def person(self, person_id: str, *, purpose: str | None = None) -> Decision:
        """The decision for one person the page is about; :class:`NotFound` when refused or absent."""
        decision = self._granted(person_id, purpose)
        if decision is None:
            raise NotFound()
        return decision

    def people(self, person_ids: Iterable[str], *, purpose: str | None = None) -> dict[str, Decision]:
        """Decisions for the people granted among ``person_ids`` (the others are simply absent)."""
        out: dict[str, Decision] = {}
        person_ids = list(dict.fromkeys(person_ids))
        self._decide(person_ids)
        for person_id in person_ids:
            decision = self._granted(person_id, purpose)
            if decision is not None:
                out[person_id] = decision
        return out

    def audit(self) -> int:
        """Write the rows of the reads not yet audited (in the caller's transaction); how many were written."""
        reads, self._reads = list(self._reads.values()), {}
        if any(r.decision.break_glass for r in reads):
            for r in reads:
                record_event(actor=self.actor, **_row(r), break_glass=r.decision.break_glass)
            return len(reads)
        return record_events([Event(actor=self.actor, **_row(r)) for r in reads])


def _row(read: _Read) -> dict[str, Any]:
    decision = read.decision
    return {"action": "person.read", "object_type": "person", "object_id": read.person_id,
            "purpose": read.purpose or decision.audit_purpose,
            "details": {"level": decision.level.name.lower(), "own_level": decision.own_level.name.lower(),
                        "basis": list(decision.reasons)}}


@contextmanager
def reading(user: Any, *, purpose: str, source_ip: str = "") -> Iterator[Reads]:
    """Decide the people a page shows as it asks for them, and audit them all in one write when it is done.

    Must run inside the page's transaction (the audit rows commit with the reads). Nothing is written
    when the block fails: the transaction it runs in does not commit either.
    """
    reads = Reads(viewer_for(user), actor_for(user, source_ip), purpose)
    yield reads
    reads.audit()


def access_person(user: Any, person_id: str, *, purpose: str, source_ip: str = "") -> Decision:
    """Decide, audit and return the decision; raise :class:`NotFound` when refused or absent.

    Must run inside a transaction (the audit row commits with the read). A read resting on a
    break-glass grant is flagged in the trail.
    """
    with reading(user, purpose=purpose, source_ip=source_ip) as reads:
        return reads.person(person_id)


__all__ = [
    "NotFound", "Reads", "Role", "access_person", "actor_for", "decide", "reading", "register_person_resolver",
    "register_relationship_provider", "resolve_people", "resolve_person", "viewer_for",
]
