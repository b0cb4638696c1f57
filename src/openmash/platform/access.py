"""The one access-policy layer: every read of a person's data goes through ``access_person``.

Views, the API, exports and search never query person data directly; they call here, get
back the decision (content level per record agency, address withholding), and the read is
audited in the same transaction. A foreign person and a non-existent one raise the same
:class:`NotFound`, so nobody learns that a record exists by being refused it.

Relationship facts are supplied by providers that later capabilities register (a
notification to the viewer's team, an open involvement, triage, break-glass): each is a
callable ``(viewer, person_id) -> Iterable[Relationship]``. Whether a person exists at
all (and which id a merged person now stands under) is answered by one resolver
(``register_person_resolver``); without one, every id is taken to exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import Http404

from openmash.platform.audit import Actor, record_event
from openmash.platform.domain.access_rules import Decision, Relationship, Role, Viewer, decide_person_access

RelationshipProvider = Callable[[Viewer, str], Iterable[Relationship]]
#: person_id → the id the person stands under now, or None when there is no such person.
PersonResolver = Callable[[str], "str | None"]
_providers: list[RelationshipProvider] = []
_resolvers: list[PersonResolver] = []


class NotFound(Http404):
    """The one answer for 'does not exist' and 'not yours'."""

    def __init__(self) -> None:
        super().__init__("Not found")


def register_relationship_provider(provider: RelationshipProvider) -> RelationshipProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def register_person_resolver(resolver: PersonResolver) -> PersonResolver:
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    return resolver


def resolve_person(person_id: str) -> str | None:
    """The id a person stands under now (after merges), or None when nobody has this id."""
    if not isinstance(person_id, str) or not person_id or len(person_id) > 64:
        return None
    current: str | None = person_id
    for resolver in _resolvers:
        current = resolver(person_id)
        if current is not None:
            return current
    return current if not _resolvers else None


def viewer_for(user: Any) -> Viewer:
    """The access-rule view of a Django user (anonymous and inactive users are inactive viewers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer(username="anonymous", agency="", team="", roles=frozenset(), active=False)
    return user.as_viewer()  # type: ignore[no-any-return]


def decide(viewer: Viewer, person_id: str) -> Decision:
    """The decision for one person, without auditing (search uses it to filter; pages use ``access_person``)."""
    current = resolve_person(person_id)
    if current is None or not viewer.active:
        return decide_person_access(viewer, (), exists=current is not None)
    relationships: tuple[Relationship, ...] = tuple(r for p in _providers for r in p(viewer, current))
    return decide_person_access(viewer, relationships)


def actor_for(user: Any, source_ip: str = "") -> Actor:
    viewer = viewer_for(user)
    return Actor(viewer.username, role=",".join(sorted(viewer.roles)), team=f"{viewer.agency}/{viewer.team}"
                 if viewer.agency else "", source_ip=source_ip)


def access_person(user: Any, person_id: str, *, purpose: str, source_ip: str = "") -> Decision:
    """Decide, audit and return the decision; raise :class:`NotFound` when refused or absent.

    Must run inside a transaction (the audit row commits with the read). A read resting on a
    break-glass grant is flagged in the trail.
    """
    viewer = viewer_for(user)
    decision = decide(viewer, person_id)
    if not decision.allowed:
        raise NotFound()
    record_event(
        actor=actor_for(user, source_ip), action="person.read", object_type="person",
        object_id=resolve_person(person_id) or person_id, purpose=purpose or decision.audit_purpose,
        break_glass=decision.break_glass,
        details={"level": decision.level.name.lower(), "own_level": decision.own_level.name.lower(),
                 "basis": list(decision.reasons)},
    )
    return decision


__all__ = [
    "NotFound", "Role", "access_person", "actor_for", "decide", "register_person_resolver",
    "register_relationship_provider", "resolve_person", "viewer_for",
]
