"""Deterministic ids: the same feeds always give the same notification and alert ids (contract §7)."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://openmash.org/ids/v1")


def notification_id(source_agency: str, source_record_id: str, agency: str, team: str | None, family: str = "") -> str:
    """One notification per recipient per source record (and per family: escalation, disclosure)."""
    return str(uuid.uuid5(NAMESPACE, f"notification|{source_agency}|{source_record_id}|{agency}|{team or ''}|{family}"))


def alert_id(identity: str) -> str:
    return str(uuid.uuid5(NAMESPACE, identity))


def manager_team(team: str | None) -> str:
    """§2.4: a manager is the same agency with team ``manager:<team>`` (``manager`` when none)."""
    return f"manager:{team}" if team else "manager"
