"""Casework's relationship fact for the access layer: a front-door reviewer and the people in an open
match review (they must compare both people's identifying details to decide)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q

from openmash.platform.domain.access_rules import Level, Relationship, Role, Viewer

REVIEWER_ROLES = frozenset({Role.TRIAGE, Role.TEAM_MANAGER})


def match_review(viewer: Viewer, person_id: str) -> Iterator[Relationship]:
    if viewer.agency != "csc" or not REVIEWER_ROLES & viewer.roles:
        return
    from openmash.governance.relationships import aliases
    from openmash.identity.models import MatchReview

    ids = aliases(person_id)
    if MatchReview.objects.filter(status=MatchReview.Status.OPEN).filter(
            Q(person__person_id__in=ids) | Q(candidate__person_id__in=ids)).exists():
        yield Relationship("match_review", Level.FULL)


def register() -> None:
    from openmash.platform.access import register_relationship_provider

    register_relationship_provider(match_review)
