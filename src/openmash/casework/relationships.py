"""Casework's relationship fact for the access layer: a front-door reviewer and the people in an open
match review (they must compare both people's identifying details to decide)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from openmash.platform.domain.access_rules import Level, Relationship, Role, Viewer

REVIEWER_ROLES = frozenset({Role.TRIAGE, Role.TEAM_MANAGER})


def match_review_many(viewer: Viewer, person_ids: Sequence[str]) -> dict[str, list[Relationship]]:
    """For several people at once: one read of the open reviews naming any of them (or an id merged into them)."""
    if viewer.agency != "csc" or not REVIEWER_ROLES & viewer.roles:
        return {}
    from openmash.governance.relationships import aliases_many
    from openmash.identity.models import MatchReview

    ids = aliases_many(person_ids)
    everyone = set().union(*ids.values())
    named: set[str] = set()
    for pair in MatchReview.objects.filter(status=MatchReview.Status.OPEN).filter(
            Q(person__person_id__in=everyone) | Q(candidate__person_id__in=everyone)).values_list(
            "person__person_id", "candidate__person_id"):
        named |= set(pair)
    return {person_id: [Relationship("match_review", Level.FULL)] for person_id, own in ids.items() if own & named}


def match_review(viewer: Viewer, person_id: str) -> list[Relationship]:
    return match_review_many(viewer, [person_id]).get(person_id, [])


def register() -> None:
    from openmash.platform.access import register_relationship_provider

    register_relationship_provider(match_review, many=match_review_many)
