"""The team inbox: notifications to the user's team, acknowledging, responding, challenging a decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openmash.casework import services
from openmash.casework.access import access_notification, may_resolve
from openmash.casework.domain.decisions import CHALLENGE, CHALLENGE_OUTCOME, DECISION_FEEDBACK
from openmash.casework.queries.inbox import notification_view, team_inbox
from openmash.platform.audit import record_event
from openmash.protocol.models import Notification
from openmash.web.pages.common import client_ip, now, page_int, user_of
from openmash.web.pages.forms import ChallengeForm, ResponseForm, problem_message


def _subject_links(n: Notification, allowed: dict[str, Any]) -> list[tuple[str, str]]:
    """(person_id, name) for each subject the user may open; the name as the notification's content gives it."""
    names = {p.get("person_id"): " ".join(str(p[k]) for k in ("given_names", "family_name") if p.get(k))
             for p in n.content.get("people") or () if isinstance(p, dict)}
    return [(s["person_id"], names.get(s["person_id"]) or s["person_id"]) for s in n.subjects
            if s.get("person_id") in allowed]


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    inbox = team_inbox(user_of(request), show=show, page=page_int(request), now=now())
    return render(request, "casework/inbox.html", {"inbox": inbox})


def _context(request: HttpRequest, notification_id: str, **extra: Any) -> dict[str, Any]:
    user = user_of(request)
    access = access_notification(user, notification_id, source_ip=client_ip(request))
    n = access.notification
    # The content was addressed to this team: reading it is recorded even when no person page is open to them.
    record_event(actor=services.actor_of(user, client_ip(request)), action="notification.read",
                 object_type="notification", object_id=n.notification_id, purpose="safeguarding")
    view = notification_view(n, now=now())
    pending = n.acknowledged_at is None and n.withdrawn_at is None and access.is_recipient
    is_feedback = DECISION_FEEDBACK in n.reasons and view.decision is not None
    return {
        "n": n, "view": view, "access": access, "may_act": pending,
        "may_respond": access.is_recipient and n.withdrawn_at is None and not is_feedback
        and CHALLENGE not in n.reasons and CHALLENGE_OUTCOME not in n.reasons,
        "may_challenge": is_feedback and access.is_recipient and view.challenge is None,
        "may_resolve": view.challenge is not None and view.challenge.is_open and may_resolve(view.challenge, user),
        "CHALLENGE_REASON": CHALLENGE,
        "response_form": ResponseForm(), "subjects": _subject_links(n, access.people.decisions),
        **extra,
    }


@login_required
@transaction.atomic
def notification_view_page(request: HttpRequest, notification_id: str) -> HttpResponse:
    return render(request, "casework/notification.html", _context(request, notification_id))


@require_POST
@login_required
@transaction.atomic
def notification_acknowledge_view(request: HttpRequest, notification_id: str) -> HttpResponse:
    user = user_of(request)
    access = access_notification(user, notification_id, source_ip=client_ip(request))
    try:
        services.acknowledge_notification(notification=access.notification, user=user, now=now(),
                                          source_ip=client_ip(request))
        messages.success(request, _("Notification acknowledged"))
    except services.CaseworkError as error:
        messages.error(request, problem_message(error.problems[0]))
    return redirect("web:notification", notification_id=notification_id)


@require_POST
@login_required
@transaction.atomic
def notification_respond_view(request: HttpRequest, notification_id: str) -> HttpResponse:
    user = user_of(request)
    form = ResponseForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        access = access_notification(user, notification_id, source_ip=client_ip(request))
        try:
            services.respond_to_notification(notification=access.notification, text=form.cleaned_data["text"],
                                             user=user, now=now(), source_ip=client_ip(request))
        except services.CaseworkError as error:
            problems = [problem_message(p) for p in error.problems]
        else:
            messages.success(request, _("Information added. It now appears on the chronology."))
            return redirect("web:notification", notification_id=notification_id)
    context = _context(request, notification_id, response_form=form, problems=problems)
    return render(request, "casework/notification.html", context, status=200)


@login_required
@transaction.atomic
def notification_challenge_view(request: HttpRequest, notification_id: str) -> HttpResponse:
    user = user_of(request)
    context = _context(request, notification_id)
    if not context["may_challenge"]:
        return redirect("web:notification", notification_id=notification_id)
    form = ChallengeForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.challenge_decision(notification=context["n"], reason=form.cleaned_data["reason"], user=user,
                                        now=now(), source_ip=client_ip(request))
        except services.CaseworkError as error:
            problems = [problem_message(p.replace("rationale", "challenge")) for p in error.problems]
        else:
            messages.success(request, _("Challenge sent to the front-door manager"))
            return redirect("web:notification", notification_id=notification_id)
    return render(request, "casework/challenge_form.html", {**context, "form": form, "problems": problems})
