"""Front-door triage: the queue, claiming and assigning, and the threshold decision."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openmash.accounts.models import User
from openmash.casework import services
from openmash.casework.access import access_incident, is_front_door
from openmash.casework.labels import label
from openmash.casework.queries.data_quality import open_task_count
from openmash.casework.queries.incident import incident_detail
from openmash.casework.queries.triage import QueueFilters, triage_queue
from openmash.intake.models import Record
from openmash.platform.domain.access_rules import Role
from openmash.web.pages.common import client_ip, now, page_int, roles_required, user_of
from openmash.web.pages.forms import AssignForm, DecisionForm, QueueFilterForm, problem_message

FRONT_DOOR = (Role.TRIAGE, Role.TEAM_MANAGER, Role.AUDITOR)
DECIDERS = (Role.TRIAGE, Role.TEAM_MANAGER)


def triage_officers() -> list[tuple[str, str]]:
    users = (User.objects.filter(is_active=True, memberships__role=Role.TRIAGE.value, team__agency__code="csc")
             .order_by("first_name", "last_name", "username").distinct())
    return [(u.username, u.get_full_name() or u.username) for u in users]


@roles_required(*FRONT_DOOR)
def triage_queue_view(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = QueueFilterForm(request.GET or None)
    filters = QueueFilters(**form.cleaned_data) if form.is_bound and form.is_valid() else QueueFilters()
    moment = now()
    queue = triage_queue(filters, page=page_int(request), now=moment, user_pk=user.pk)
    held, held_overdue = open_task_count(moment) if is_front_door(user) else (0, 0)
    return render(request, "casework/triage_queue.html", {
        "form": form, "queue": queue, "now": moment, "held": held, "held_overdue": held_overdue,
        "can_claim": Role.TRIAGE in user.role_set(),
        "assign_form": AssignForm(officers=triage_officers()) if Role.TEAM_MANAGER in user.role_set() else None,
    })


def _queued_record(agency: str, record_id: str) -> Record:
    record = Record.objects.filter(agency=agency, record_id=record_id, triage__isnull=False).first()
    if record is None:
        raise Http404
    return record


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:triage-queue")
    return redirect(target or reverse("web:triage-queue"))


@require_POST
@roles_required(Role.TRIAGE)
def triage_claim_view(request: HttpRequest, agency: str, record_id: str) -> HttpResponse:
    record = _queued_record(agency, record_id)
    try:
        services.claim_incident(record=record, user=user_of(request), now=now(), source_ip=client_ip(request))
        messages.success(request, _("You are working on %(ref)s") % {"ref": f"{agency}/{record_id}"})
    except services.CaseworkError as error:
        messages.error(request, problem_message(error.problems[0]))
    return _back(request)


@require_POST
@roles_required(Role.TEAM_MANAGER)
def triage_assign_view(request: HttpRequest, agency: str, record_id: str) -> HttpResponse:
    record = _queued_record(agency, record_id)
    form = AssignForm(request.POST, officers=triage_officers())
    if form.is_valid():
        assignee = User.objects.get(username=form.cleaned_data["assignee"])
        try:
            services.assign_incident(record=record, assignee=assignee, user=user_of(request), now=now(),
                                     source_ip=client_ip(request))
            messages.success(request, _("%(ref)s assigned to %(name)s") % {
                "ref": f"{agency}/{record_id}", "name": assignee.get_full_name() or assignee.username})
        except services.CaseworkError as error:
            messages.error(request, problem_message(error.problems[0]))
    return _back(request)


@roles_required(*DECIDERS)
@transaction.atomic
def triage_decision_view(request: HttpRequest, agency: str, record_id: str) -> HttpResponse:
    user = user_of(request)
    access = access_incident(user, agency, record_id, source_ip=client_ip(request))
    form = DecisionForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.record_threshold_decision(
                record=access.record, outcome=form.cleaned_data["outcome"], rationale=form.cleaned_data["rationale"],
                user=user, now=now(), source_ip=client_ip(request))
        except services.CaseworkError as error:
            problems = [problem_message(p) for p in error.problems]
        else:
            messages.success(request, _("Decision recorded: %(outcome)s. The %(agency)s have been sent it.") % {
                "outcome": label("outcome", decision.outcome), "agency": label("agency", agency)})
            return redirect("web:incident", agency=agency, record_id=record_id)
    return render(request, "casework/decision_form.html", {
        "form": form, "problems": problems, "incident": incident_detail(access, user)})
