"""Break-glass: time-limited emergency access with a coded reason, loud alerts and a review queue."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from openmash.governance.models import BreakGlassGrant


def live_grant_exists(username: str, person_ids: Iterable[str]) -> bool:
    now = timezone.now()
    return BreakGlassGrant.objects.filter(
        username=username, person_id__in=list(person_ids), revoked_at__isnull=True, granted_at__lte=now,
        expires_at__gt=now,
    ).exists()
