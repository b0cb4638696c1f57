"""Resolving a challenge of a threshold decision: the front-door manager (or a manager of the deciding team)
keeps the decision with a reply to the referrer, or revises it."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from openmash.casework import services
from openmash.casework.access import access_challenge
from openmash.casework.domain.decisions import Resolution
from openmash.casework.queries.incident import incident_detail
from openmash.platform.domain.access_rules import Role
from openmash.web.pages.common import client_ip, now, roles_required, user_of
from openmash.web.pages.forms import ResolveChallengeForm, problem_message


@roles_required(Role.TEAM_MANAGER)
@transaction.atomic
def challenge_resolve_view(request: HttpRequest, challenge_id: int) -> HttpResponse:
    user = user_of(request)
    access = access_challenge(user, challenge_id, source_ip=client_ip(request))
    challenge = access.challenge
    form = ResolveChallengeForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and challenge.is_open and form.is_valid():
        try:
            services.resolve_challenge(challenge=challenge, resolution=form.cleaned_data["resolution"],
                                       response=form.cleaned_data["response"], outcome=form.cleaned_data["outcome"],
                                       user=user, now=now(), source_ip=client_ip(request))
        except services.CaseworkError as error:
            problems = [problem_message(p) for p in error.problems]
        else:
            messages.success(request, _("Challenge resolved: the decision stands. The referrer has your reply.")
                             if form.cleaned_data["resolution"] == Resolution.UPHELD else
                             _("Challenge resolved: the decision is revised. The referrer has the new decision."))
            record = challenge.decision.record
            return redirect("web:incident", agency=record.agency, record_id=record.record_id)
    return render(request, "casework/challenge_resolve.html", {
        "challenge": challenge, "form": form, "problems": problems,
        "incident": incident_detail(access.incident, user)})
