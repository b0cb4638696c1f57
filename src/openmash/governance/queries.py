"""Reads for the auditors' pages: who has seen a person's record, and what one user has looked at."""

from __future__ import annotations

from django.db.models import Q

from openmash.platform.models import AuditEvent

PAGE = 500


def reads_of_person(person_id: str) -> list[AuditEvent]:
    """Every audited event about this person (and ids merged into them): reads, searches that showed them,
    break-glass, exports, subject access — newest first."""
    from openmash.governance.relationships import aliases

    ids = sorted(aliases(person_id))
    query = Q(object_type="person", object_id__in=ids)
    for person_id_ in ids:
        query |= Q(action="person.search", details__icontains=f'"{person_id_}"')
    return list(AuditEvent.objects.filter(query).order_by("-seq")[:PAGE])


def reads_by_user(username: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=username).order_by("-seq")[:PAGE])
