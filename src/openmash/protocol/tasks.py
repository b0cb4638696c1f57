"""Periodic work on the Django tasks framework (database backend): escalation and pushes (§6, delivery)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.tasks import task
from django.utils import timezone


@task()
def periodic_checks(now: str | None = None) -> dict[str, Any]:
    """Escalate unacknowledged notifications and attempt due pushes, as at ``now`` (default: the clock)."""
    from openmash.protocol.services import run_periodic_checks

    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    return run_periodic_checks(moment)
