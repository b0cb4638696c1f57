"""The one access-policy layer: every read of a person's data goes through ``access_person``.

Views, the API, exports and search never query person data directly; they call here, get
back the person and the decision (content level, address withholding), and the read is
audited in the same transaction. A foreign person and a non-existent one raise the same
:class:`NotFound`, so nobody learns that a record exists by being refused it.

Relationship facts are supplied by providers that later capabilities register (a
notification to the viewer's team, an open involvement, triage): each is a callable
``(viewer, person_id) -> Iterable[Relationship]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import Http404

from openmash.platform.audit import Actor, record_event
from openmash.platform.domain.access_rules import Decision, Relationship, Role, Viewer, decide_person_access

RelationshipProvider = Callable[[Viewer, str], Iterable[Relationship]]
_providers: list[RelationshipProvider] = []


class NotFound(Http404):
    """The one answer for 'does not exist' and 'not yours'."""

    def __init__(self) -> None:
        super().__init__("Not found")


def register_relationship_provider(provider: RelationshipProvider) -> RelationshipProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def viewer_for(user: Any) -> Viewer:
    """The access-rule view of a Django user (anonymous and inactive users are inactive viewers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer(username="anonymous", agency="", team="", roles=frozenset(), active=False)
    return user.as_viewer()  # type: ignore[no-any-return]


def decide(viewer: Viewer, person_id: str) -> Decision:
    relationships: tuple[Relationship, ...] = tuple(r for p in _providers for r in p(viewer, person_id))
    return decide_person_access(viewer, relationships)


def access_person(user: Any, person_id: str, *, purpose: str, source_ip: str = "") -> Decision:
    """Decide, audit and return the decision; raise :class:`NotFound` when refused or absent.

    Must run inside a transaction (the audit row commits with the read).
    """
    viewer = viewer_for(user)
    decision = decide(viewer, person_id)
    if not decision.allowed:
        raise NotFound()
    record_event(
        actor=Actor(viewer.username, role=",".join(sorted(viewer.roles)), team=viewer.team, source_ip=source_ip),
        action="person.read", object_type="person", object_id=person_id,
        purpose=purpose or decision.audit_purpose, details={"level": decision.level.name.lower()},
    )
    return decision


__all__ = ["NotFound", "Role", "access_person", "decide", "register_relationship_provider", "viewer_for"]
