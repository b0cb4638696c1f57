"""Break-glass: time-limited emergency access with a coded reason, loud alerts and a review queue.

* A user with a casework role may take emergency access to one person found by search (the search keeps
  the person's id server-side, so nobody can probe ids): a coded reason and a free-text justification.
* The grant gives ``full`` through the relationship provider until it expires (``OPENMASH_BREAK_GLASS_HOURS``);
  every read under it is flagged ``break_glass`` in the audit trail.
* At once, a message (a reference only, no personal data) goes to the user's team manager(s) and to the
  partnership's information-governance leads (users holding the auditor/inspector role, plus any named in
  ``OPENMASH_IG_LEADS``); they review it (justified / not justified) in the review queue.
* An unreviewed grant older than ``OPENMASH_BREAK_GLASS_REVIEW_WORKING_DAYS`` working days escalates
  (``openmash governance tick``): the IG leads are told again and the grant is marked escalated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from openmash.governance.models import BreakGlassGrant, BreakGlassReason, GovernanceMessage
from openmash.platform import access
from openmash.platform.audit import Actor, record_event
from openmash.platform.domain.access_rules import CASEWORK_ROLES, Role

MIN_REASON_CHARS = 20


class BreakGlassRefusedError(Exception):
    """The request cannot be granted (wrong role, reason missing); says why, never whether the person exists."""


def hours() -> int:
    return int(getattr(settings, "OPENMASH_BREAK_GLASS_HOURS", 4))


def review_working_days() -> int:
    return int(getattr(settings, "OPENMASH_BREAK_GLASS_REVIEW_WORKING_DAYS", 2))


def live_grants(username: str, person_ids: Iterable[str]) -> set[str]:
    """Those of ``person_ids`` the user holds a live grant for."""
    now = timezone.now()
    return set(BreakGlassGrant.objects.filter(
        username=username, person_id__in=list(person_ids), revoked_at__isnull=True, granted_at__lte=now,
        expires_at__gt=now,
    ).values_list("person_id", flat=True).distinct())


def ig_leads() -> list[Any]:
    from openmash.accounts.models import User

    named = list(getattr(settings, "OPENMASH_IG_LEADS", []) or [])
    return list(User.objects.filter(is_active=True).filter(
        Q(memberships__role=Role.AUDITOR.value) | Q(username__in=named)).distinct().order_by("username"))


def team_managers(user: Any) -> list[Any]:
    """The manager of the user's team, and users in the agency's ``manager:<team>`` team who manage."""
    from openmash.accounts.models import User

    team = getattr(user, "team", None)
    if team is None:
        return []
    query = Q(managed_teams=team)
    manager_team = f"manager:{team.code}" if team.code else "manager"
    query |= Q(team__agency=team.agency, team__code=manager_team, memberships__role=Role.TEAM_MANAGER.value)
    return list(User.objects.filter(query, is_active=True).exclude(pk=user.pk).distinct().order_by("username"))


def _message(kind: str, recipients: Iterable[Any], reference: str, now: dt.datetime) -> int:
    count = 0
    for recipient in recipients:
        _, created = GovernanceMessage.objects.get_or_create(
            kind=kind, recipient=recipient, reference=reference, defaults={"created_at": now})
        count += created
    return count


def grant(user: Any, person_id: str, *, reason_code: str, reason_text: str, source_ip: str = "") -> BreakGlassGrant:
    """Grant emergency access now, alert the manager and the IG leads, and audit it."""
    viewer = access.viewer_for(user)
    if not viewer.active or not CASEWORK_ROLES & viewer.roles:
        raise BreakGlassRefusedError("role")
    if reason_code not in BreakGlassReason.values:
        raise BreakGlassRefusedError("reason_code")
    if len(reason_text.strip()) < MIN_REASON_CHARS:
        raise BreakGlassRefusedError("reason_text")
    current = access.resolve_person(person_id)
    if current is None:
        raise BreakGlassRefusedError("person")
    now = timezone.now()
    with transaction.atomic():
        row = BreakGlassGrant.objects.create(
            user=user, username=viewer.username, agency=viewer.agency, team=viewer.team, person_id=current,
            reason_code=reason_code, reason_text=reason_text.strip(), granted_at=now,
            expires_at=now + dt.timedelta(hours=hours()),
        )
        reference = f"break-glass {row.pk}"
        told = _message(GovernanceMessage.Kind.BREAK_GLASS, [*team_managers(user), *ig_leads()], reference, now)
        record_event(
            actor=access.actor_for(user, source_ip), action="break_glass.grant", object_type="person",
            object_id=current, purpose=reason_code, break_glass=True,
            details={"grant": row.pk, "expires_at": row.expires_at.isoformat(), "alerted": told},
        )
    return row


def may_review(user: Any) -> bool:
    """The partnership's IG leads: the auditor/inspector role, or users named in ``OPENMASH_IG_LEADS``."""
    viewer = access.viewer_for(user)
    named = getattr(settings, "OPENMASH_IG_LEADS", []) or []
    return viewer.active and (Role.AUDITOR in viewer.roles or viewer.username in named)


def review_queue() -> list[BreakGlassGrant]:
    return list(BreakGlassGrant.objects.filter(reviewed_at__isnull=True).order_by("granted_at", "pk"))


def review(reviewer: Any, grant_id: int, *, outcome: str, note: str, source_ip: str = "") -> BreakGlassGrant:
    """Close one grant as justified or not; a reviewer never reviews their own grant. Not justified ends it."""
    if not may_review(reviewer):
        raise BreakGlassRefusedError("role")
    if outcome not in BreakGlassGrant.Outcome.values:
        raise BreakGlassRefusedError("outcome")
    now = timezone.now()
    with transaction.atomic():
        row = BreakGlassGrant.objects.select_for_update().get(pk=grant_id)
        if row.reviewed_at is not None:
            raise BreakGlassRefusedError("already_reviewed")
        if row.username == reviewer.username:
            raise BreakGlassRefusedError("own_grant")
        row.reviewed_at, row.reviewed_by, row.outcome, row.review_note = now, reviewer.username, outcome, note.strip()
        if outcome == BreakGlassGrant.Outcome.NOT_JUSTIFIED and row.expires_at > now:
            row.revoked_at = now
        row.save()
        record_event(actor=access.actor_for(reviewer, source_ip), action="break_glass.review",
                     object_type="break_glass", object_id=str(row.pk), purpose="ig_review",
                     details={"outcome": outcome, "person": row.person_id})
    return row


def working_days_after(start: dt.date, days: int) -> dt.date:
    from openmash.protocol.domain.deadlines import WorkingCalendar
    from openmash.protocol.domain.policy import BankHolidays

    calendar = WorkingCalendar(BankHolidays())
    day = start
    for _ in range(days):
        day = calendar.next_working_day(day)
    return day


def escalate_unreviewed(now: dt.datetime) -> list[BreakGlassGrant]:
    """Every grant still unreviewed after the review window: tell the IG leads again, mark it escalated."""
    from openmash.intake.domain.localtime import LONDON, local_date

    escalated = []
    with transaction.atomic():
        for row in BreakGlassGrant.objects.select_for_update().filter(reviewed_at__isnull=True,
                                                                      escalated_at__isnull=True):
            deadline_day = working_days_after(local_date(row.granted_at), review_working_days())
            deadline = dt.datetime.combine(deadline_day, dt.time(17, 0), tzinfo=LONDON)
            if now < deadline:
                continue
            row.escalated_at = now
            row.save(update_fields=["escalated_at"])
            _message(GovernanceMessage.Kind.BREAK_GLASS_UNREVIEWED, ig_leads(), f"break-glass {row.pk}", now)
            record_event(actor=Actor.system("governance"), action="break_glass.escalate", object_type="break_glass",
                         object_id=str(row.pk), purpose="ig_review", details={"granted_at": row.granted_at.isoformat()})
            escalated.append(row)
    return escalated
