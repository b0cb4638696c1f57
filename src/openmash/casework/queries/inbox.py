"""The team inbox: notifications to the viewer's team (and, for a manager, what is overdue in the teams
they manage), with their clock. The list shows references and reasons, never names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from openmash.accounts.models import User
from openmash.casework.access import managed_teams, may_resolve, own_teams
from openmash.casework.domain.decisions import CHALLENGE, CHALLENGE_OUTCOME
from openmash.casework.domain.triage import Clock, clock
from openmash.casework.models import Challenge, ThresholdDecision
from openmash.governance.relationships import to_teams
from openmash.platform.domain.access_rules import Role
from openmash.protocol.models import Notification

PER_PAGE = 25
SHOW = ("open", "overdue", "acknowledged", "all")


@dataclass(frozen=True)
class InboxRow:
    notification: Notification
    clock: Clock
    subjects: int

    @property
    def is_escalation(self) -> bool:
        return self.notification.family == Notification.Family.ESCALATION


@dataclass
class InboxPage:
    rows: list[InboxRow]
    number: int
    pages: int
    total: int
    show: str
    open_count: int
    overdue_count: int
    escalations: list[InboxRow]
    team_overdue: list[InboxRow]
    #: Open challenges of front-door decisions that this manager may resolve, oldest first.
    challenges: list[Challenge] = field(default_factory=list)


def _own(user: User) -> QuerySet[Notification]:
    viewer = user.as_viewer()
    return Notification.objects.filter(recipient_agency=viewer.agency).filter(to_teams(own_teams(user)))


def _row(n: Notification, now: dt.datetime) -> InboxRow:
    return InboxRow(n, clock(n.due_by, now, done=n.acknowledged_at is not None or n.withdrawn_at is not None),
                    len(n.subjects or ()))


def team_inbox(user: User, *, show: str, page: int, now: dt.datetime, per_page: int = PER_PAGE) -> InboxPage:
    own = _own(user)
    pending = own.filter(acknowledged_at__isnull=True, withdrawn_at__isnull=True)
    chosen = {
        "open": pending,
        "overdue": pending.filter(due_by__lt=now),
        "acknowledged": own.filter(acknowledged_at__isnull=False),
        "all": own,
    }.get(show, pending)
    ordered = chosen.order_by("due_by", "notification_id") if show in {"open", "overdue"} else chosen.order_by(
        "-created_at", "notification_id")
    total = ordered.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    rows = [_row(n, now) for n in ordered[start:start + per_page]]
    viewer = user.as_viewer()
    escalations: list[InboxRow] = []
    team_overdue: list[InboxRow] = []
    if Role.TEAM_MANAGER in viewer.roles:
        escalations = [_row(n, now) for n in pending.filter(family=Notification.Family.ESCALATION)
                       .order_by("due_by")[:20]]
        managed = managed_teams(user)
        if managed:
            team_overdue = [_row(n, now) for n in Notification.objects.filter(
                recipient_agency=viewer.agency, acknowledged_at__isnull=True, withdrawn_at__isnull=True,
                due_by__lt=now).filter(to_teams(managed)).exclude(family=Notification.Family.ESCALATION)
                .order_by("due_by")[:20]]
    return InboxPage(rows, number, pages, total, show if show in SHOW else "open", pending.count(),
                     pending.filter(due_by__lt=now).count(), escalations, team_overdue,
                     open_challenges(user) if Role.TEAM_MANAGER in viewer.roles else [])


def open_challenges(user: User, limit: int = 20) -> list[Challenge]:
    """Challenges waiting for a resolution that this manager may give (sent to their team, or of their team's
    decisions)."""
    rows = (Challenge.objects.filter(resolution="", decision__record__withdrawn=False)
            .select_related("decision__record", "notification").order_by("raised_at", "pk")[:200])
    return [c for c in rows if may_resolve(c, user)][:limit]


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    clock: Clock
    decision: ThresholdDecision | None
    challenge: Challenge | None
    responses: list[object]


def notification_view(n: Notification, *, now: dt.datetime) -> NotificationView:
    decision = ThresholdDecision.objects.filter(feedback=n).first()
    if decision is not None:
        about: Q | None = Q(decision=decision)
    else:
        about = Q(notification=n) if CHALLENGE in n.reasons else Q(outcome_notification=n) \
            if CHALLENGE_OUTCOME in n.reasons else None
    challenge = Challenge.objects.filter(about).select_related("decision", "revision").first() if about else None
    return NotificationView(n, _row(n, now).clock, decision, challenge,
                            list(n.responses.order_by("created_at")))
