"""The front door's data-quality tasks (contract §1): quarantined lines that may be safeguarding records.

The sending agency's staff see their own lines listed with what is wrong (the task is reported to them).
Only csc's front door (triage officers and their managers) sees a task's raw line, and each reading of it is
audited. Correcting a line re-submits it through intake exactly as the sender's system would have sent it;
dismissing closes it with a reason. Both are intake's services; these views check access and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from openmash.casework.access import is_front_door
from openmash.casework.queries.data_quality import open_tasks, task, task_line
from openmash.casework.services import actor_of
from openmash.intake.services import dismiss_quarantined, resubmit_quarantined
from openmash.platform.audit import record_event
from openmash.platform.domain.access_rules import Role
from openmash.web.pages.common import client_ip, now, page_int, roles_required, user_of
from openmash.web.pages.forms import CorrectLineForm, DismissLineForm


def _front_door_only(request: HttpRequest) -> None:
    if not is_front_door(user_of(request)):
        raise PermissionDenied


@roles_required(Role.TRIAGE, Role.TEAM_MANAGER, Role.PRACTITIONER)
def data_quality_queue_view(request: HttpRequest) -> HttpResponse:
    """The front door sees every open task; a sending agency's staff see their own agency's lines (what is
    wrong, so they can correct and re-send them), never the raw line."""
    user = user_of(request)
    front_door = is_front_door(user)
    agency = user.as_viewer().agency
    if not front_door and not agency:
        raise PermissionDenied
    tasks = open_tasks(now=now(), page=page_int(request), sender=None if front_door else agency)
    return render(request, "casework/data_quality_queue.html", {"tasks": tasks, "front_door": front_door})


@roles_required(Role.TRIAGE, Role.TEAM_MANAGER)
@transaction.atomic
def data_quality_task_view(request: HttpRequest, task_id: int) -> HttpResponse:
    _front_door_only(request)
    user = user_of(request)
    found = task(task_id, now=now())
    if found is None:
        raise Http404
    row, detail = found
    actor = actor_of(user, client_ip(request))
    action = request.POST.get("action") if request.method == "POST" else None
    raw = task_line(row)
    correct = CorrectLineForm(request.POST if action == "correct" else None, initial={"corrected": raw})
    dismiss = DismissLineForm(request.POST if action == "dismiss" else None)
    problems: list[str] = []
    is_open = row.closed_at is None
    if action == "correct" and is_open and correct.is_valid():
        outcome = resubmit_quarantined(row.quarantine, correct.cleaned_data["corrected"], actor=actor)
        if outcome.accepted:
            messages.success(request, _("The corrected record was accepted and the task is closed."))
            return redirect("web:data-quality")
        problems = [*outcome.problems]
    elif action == "dismiss" and is_open and dismiss.is_valid():
        dismiss_quarantined(row.quarantine, reason=dismiss.cleaned_data["reason"], actor=actor)
        messages.success(request, _("The task is closed without a correction."))
        return redirect("web:data-quality")
    # The raw line holds personal data: every page that shows it is an audited read.
    record_event(actor=actor, action="quarantine.viewed", object_type="quarantine",
                 object_id=str(row.quarantine_id), purpose="data quality")
    return render(request, "casework/data_quality_task.html", {
        "task": detail, "is_open": is_open, "raw": raw, "correct": correct, "dismiss": dismiss,
        "problems": problems, "form": correct if action == "correct" else dismiss,
        "resolution": row.quarantine.resolution})
