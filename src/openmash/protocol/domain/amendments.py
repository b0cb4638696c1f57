"""Updated records (§2.6): what happens to each recipient's notification when an incident changes.

Unchanged → nothing is sent; new recipient → created; changed reasons, subjects,
priority or permitted content → amended (same id and ``created_at``, the earlier
``due_by``); no longer warranted → withdrawn with ``RECORD_CORRECTED``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RECORD_CORRECTED = "RECORD_CORRECTED"
CREATE, AMEND, WITHDRAW, REINSTATE = "create", "amend", "withdraw", "reinstate"


@dataclass(frozen=True, slots=True)
class StoredNotification:
    """What the store holds of an existing notification from the same source record."""

    notification_id: str
    due_by: dt.datetime
    signature: Mapping[str, Any]
    withdrawn: bool


@dataclass(frozen=True, slots=True)
class Planned:
    notification_id: str
    due_by: dt.datetime
    signature: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    action: str
    notification_id: str
    due_by: dt.datetime | None = None


def diff(existing: Sequence[StoredNotification], planned: Sequence[Planned]) -> list[Change]:
    """The changes that take the stored notifications of one incident to the planned ones."""
    stored = {n.notification_id: n for n in existing}
    changes: list[Change] = []
    for plan in planned:
        before = stored.get(plan.notification_id)
        if before is None:
            changes.append(Change(CREATE, plan.notification_id, plan.due_by))
        elif before.withdrawn:
            # Warranted again after a withdrawal: it stands again, due as a new notification would be.
            changes.append(Change(REINSTATE, plan.notification_id, plan.due_by))
        elif dict(before.signature) != dict(plan.signature):
            changes.append(Change(AMEND, plan.notification_id, min(before.due_by, plan.due_by)))
    wanted = {p.notification_id for p in planned}
    for n in existing:
        if n.notification_id not in wanted and not n.withdrawn:
            changes.append(Change(WITHDRAW, n.notification_id, n.due_by))
    return changes
