"""Partnership figures (analysts, auditors): counts over the whole partnership, never a person.

Queries return counts and instants only; ``domain.partnership_rules`` turns them into what may be shown.
Each view is audited (who looked; no figures, no personal data).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, Q

from openmash.casework.models import Challenge, ThresholdDecision
from openmash.governance.domain import partnership_rules as rules
from openmash.platform import access
from openmash.platform.audit import record_event
from openmash.platform.domain.access_rules import may_see_aggregates
from openmash.protocol.models import IncidentAssessment, Notification, TriageItem


class FiguresRefusedError(Exception):
    """The user has no role that sees partnership figures."""


@dataclass(frozen=True, slots=True)
class PartnershipFigures:
    incidents: list[rules.Row]
    notifications: list[rules.AgencyNotifications]
    median_hours_to_decision: float | None
    decisions: list[tuple[str, rules.Cell]]
    challenges: list[tuple[str, rules.Cell]]


def partnership_figures(user: Any, *, now: dt.datetime, source_ip: str = "") -> PartnershipFigures:
    """The figures page for ``user``; refused without a figures role. The view is audited."""
    if not may_see_aggregates(access.viewer_for(user)):
        raise FiguresRefusedError
    figures = PartnershipFigures(
        incidents=rules.by_month_and_level(_live_incidents()),
        notifications=_notifications(now),
        median_hours_to_decision=rules.median_hours(_times_to_decision()),
        decisions=rules.mix(_decision_counts(), rules.DECISION_OUTCOMES),
        challenges=rules.mix(_challenge_counts(), ("raised", "open", "upheld", "revised")),
    )
    with transaction.atomic():
        record_event(actor=access.actor_for(user, source_ip), action="figures.viewed", object_type="partnership",
                     purpose="partnership analysis")
    return figures


def _live_incidents() -> list[tuple[dt.datetime, str]]:
    """Each live incident once, as its current version assesses it."""
    return list(IncidentAssessment.objects.filter(live=True, version_id=F("record__current_id"),
                                                  record__withdrawn=False)
                .values_list("occurred_at", "level"))


def _notifications(now: dt.datetime) -> list[rules.AgencyNotifications]:
    rows = (Notification.objects.filter(withdrawn_at=None, family=Notification.Family.INCIDENT)
            .values("recipient_agency").order_by("recipient_agency")
            .annotate(sent=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
                      overdue=Count("pk", filter=Q(acknowledged_at=None, due_by__lt=now))))
    return [rules.agency_notifications(r["recipient_agency"], sent=r["sent"], acknowledged=r["acknowledged"],
                                       overdue=r["overdue"]) for r in rows]


def _times_to_decision() -> list[dt.timedelta]:
    """From an incident reaching the front door to its first threshold decision."""
    first = dict(ThresholdDecision.objects.values("record_id").annotate(at=Min("decided_at"))
                 .values_list("record_id", "at"))
    return [first[record] - queued
            for record, queued in TriageItem.objects.filter(record_id__in=first).values_list("record_id", "recorded_at")]


def _decision_counts() -> Counter[str]:
    """The decisions that stand (a decision revised after a challenge is replaced by its revision)."""
    return Counter(ThresholdDecision.objects.filter(revised_by__isnull=True).values_list("outcome", flat=True))


def _challenge_counts() -> Counter[str]:
    counts = Counter(resolution or "open" for resolution in Challenge.objects.values_list("resolution", flat=True))
    counts["raised"] = sum(counts.values())
    return counts
