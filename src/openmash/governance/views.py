"""Governance pages: person search, break-glass (request, review queue), audit of reads, subject access packs.

Capability pages answer 403 to users without the capability; object pages answer the one 404 for an
object that is absent or not theirs. Searches are POSTed so names never reach URLs or server logs.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from openmash.governance import breakglass, partnership, queries, sar
from openmash.governance.domain.search_rules import SearchQuery
from openmash.governance.forms import AuditQueryForm, BreakGlassForm, DecisionForm, ReviewForm, SarForm, SearchForm
from openmash.governance.models import BreakGlassGrant, GovernanceMessage, SubjectAccessRequest
from openmash.governance.search import may_search, search_people
from openmash.platform import access
from openmash.platform.audit import record_event

_CANDIDATES = "governance:candidates"
_MAX_CANDIDATES = 20
PROBLEM_TEXT = {
    "too_few_criteria": _("Enter an NHS number, or at least two of: family name, date of birth, postcode "
                          "(a given name with a family name also works)"),
    "nhs_number_invalid": _("Enter a valid 10-digit NHS number"),
    "postcode_invalid": _("Enter a full UK postcode"),
}


RISK_LEVEL_LABELS = [gettext_lazy("High risk"), gettext_lazy("Medium risk"), gettext_lazy("Standard risk")]
FIGURE_LABELS = {
    "referral": gettext_lazy("Referral to children's social care"), "early_help": gettext_lazy("Early help"),
    "nfa": gettext_lazy("No further action"), "advice": gettext_lazy("Advice and information"),
    "raised": gettext_lazy("Challenges raised"), "open": gettext_lazy("Challenges still open"),
    "upheld": gettext_lazy("Challenges where the decision was upheld"),
    "revised": gettext_lazy("Challenges where the decision was revised"),
}


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def person_url(person_id: str) -> str | None:
    """The person page, where the pages app provides one."""
    for name in ("web:person", "casework:person", "web:child", "web:person-detail"):
        try:
            return reverse(name, args=[person_id])
        except NoReverseMatch:
            continue
    return None


@login_required
@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    if not may_search(access.viewer_for(request.user)):
        raise PermissionDenied
    form = SearchForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "searched": False,
                               "dob_parts": [form["dob_day"], form["dob_month"], form["dob_year"]]}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        query = SearchQuery(given_names=data["given_names"], family_name=data["family_name"],
                            date_of_birth=data["date_of_birth"], nhs_number=data["nhs_number"],
                            postcode=data["postcode"])
        outcome = search_people(request.user, query, source_ip=_ip(request))
        for problem in outcome.problems:
            form.add_error(None, PROBLEM_TEXT.get(problem, problem))
        # A withheld person is offered for break-glass by a one-off reference kept server-side.
        candidates: dict[str, str] = {}
        if len(outcome.withheld_strong) == 1:
            token = secrets.token_urlsafe(16)
            candidates[token] = outcome.withheld_strong[0]
            context["request_token"] = token
        request.session[_CANDIDATES] = candidates
        context.update(searched=not outcome.problems, hits=[(h, person_url(h.person_id)) for h in outcome.hits],
                       withheld=len(outcome.withheld))
    return render(request, "governance/search.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_view(request: HttpRequest, token: str) -> HttpResponse:
    person_id = (request.session.get(_CANDIDATES) or {}).get(token)
    if person_id is None:
        raise Http404("Not found")
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = breakglass.grant(request.user, person_id, reason_code=form.cleaned_data["reason_code"],
                                     reason_text=form.cleaned_data["reason_text"], source_ip=_ip(request))
        except breakglass.BreakGlassRefusedError as refused:
            if str(refused) == "role":
                raise PermissionDenied from refused
            form.add_error(None, _("Emergency access could not be granted"))
        else:
            request.session[_CANDIDATES] = {}
            return redirect("governance:break-glass-granted", pk=grant.pk)
    return render(request, "governance/break_glass.html", {"form": form, "hours": breakglass.hours()})


@login_required
def break_glass_granted_view(request: HttpRequest, pk: int) -> HttpResponse:
    grant = BreakGlassGrant.objects.filter(pk=pk, username=request.user.get_username()).first()
    if grant is None:
        raise Http404("Not found")
    live = grant.revoked_at is None and grant.expires_at > timezone.now()
    return render(request, "governance/break_glass_granted.html", {
        "grant": grant, "live": live, "person_url": person_url(grant.person_id) if live else None})


def _reviewer(request: HttpRequest) -> None:
    if not breakglass.may_review(request.user):
        raise PermissionDenied


@login_required
def review_queue_view(request: HttpRequest) -> HttpResponse:
    _reviewer(request)
    return render(request, "governance/review_queue.html", {"grants": breakglass.review_queue(),
                                                            "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    _reviewer(request)
    grant = BreakGlassGrant.objects.filter(pk=pk).first()
    if grant is None:
        raise Http404("Not found")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breakglass.review(request.user, grant.pk, outcome=form.cleaned_data["outcome"],
                              note=form.cleaned_data["note"], source_ip=_ip(request))
        except breakglass.BreakGlassRefusedError as refused:
            form.add_error(None, _("You cannot review your own emergency access") if str(refused) == "own_grant"
                           else _("This emergency access has already been reviewed"))
        else:
            return redirect("governance:break-glass-reviews")
    with transaction.atomic():
        record_event(actor=access.actor_for(request.user, _ip(request)), action="break_glass.open",
                     object_type="break_glass", object_id=str(grant.pk), purpose="ig_review")
    return render(request, "governance/review.html", {"grant": grant, "form": form})


@login_required
def messages_view(request: HttpRequest) -> HttpResponse:
    rows = list(GovernanceMessage.objects.filter(recipient_id=request.user.pk).order_by("-created_at", "-pk")[:200])
    return render(request, "governance/messages.html", {"messages_": rows})


@login_required
def audit_reads_view(request: HttpRequest) -> HttpResponse:
    """Auditors: who has seen a person's record, and what a user has looked at. Reading the trail is audited."""
    if not breakglass.may_review(request.user):
        raise PermissionDenied
    form = AuditQueryForm(request.GET or None)
    events: list[Any] = []
    asked = ""
    if form.is_valid() and (form.cleaned_data["person_id"] or form.cleaned_data["username"]):
        person_id, username = form.cleaned_data["person_id"].strip(), form.cleaned_data["username"].strip()
        if person_id:
            asked = "person"
            events = queries.reads_of_person(access.resolve_person(person_id) or person_id)
        else:
            asked = "user"
            events = queries.reads_by_user(username)
        with transaction.atomic():
            record_event(actor=access.actor_for(request.user, _ip(request)), action="audit.query",
                         object_type="person" if person_id else "user", object_id=person_id or username,
                         purpose="audit", details={"rows": len(events)})
    return render(request, "governance/audit_reads.html", {"form": form, "events": events, "asked": asked})


def _sar_handler(request: HttpRequest) -> None:
    if not sar.may_handle(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def sar_list_view(request: HttpRequest) -> HttpResponse:
    _sar_handler(request)
    form = SarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = sar.produce(request.user, form.cleaned_data["person_id"].strip(),
                              requester_reference=form.cleaned_data["requester_reference"],
                              received_on=form.cleaned_data["received_on"], source_ip=_ip(request))
        except access.NotFound:
            form.add_error("person_id", _("No person has this id"))
        else:
            return redirect("governance:sar", pk=row.pk)
    rows = SubjectAccessRequest.objects.order_by("-produced_at", "-pk")[:200]
    return render(request, "governance/sar_list.html", {"form": form, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def sar_view(request: HttpRequest, pk: int) -> HttpResponse:
    _sar_handler(request)
    row = SubjectAccessRequest.objects.filter(pk=pk).first()
    if row is None:
        raise Http404("Not found")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sar.decide(request.user, row.pk, approve=form.cleaned_data["decision"] == "approve",
                       note=form.cleaned_data["note"], source_ip=_ip(request))
        except sar.SarRefusedError as refused:
            form.add_error(None, _("The person who produced a pack cannot approve it: a second person must")
                           if str(refused) == "two_person_rule" else _("This pack has already been decided"))
        else:
            return redirect("governance:sar", pk=row.pk)
    own = row.produced_by == request.user.get_username()
    return render(request, "governance/sar.html", {"row": row, "form": form, "own": own})


@login_required
def sar_pack_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable pack. An approved pack is released (audited); a draft is shown to the approver only
    for checking, marked as not for release (audited as a preview)."""
    _sar_handler(request)
    row = SubjectAccessRequest.objects.filter(pk=pk).first()
    if row is None:
        raise Http404("Not found")
    if row.status == SubjectAccessRequest.Status.APPROVED:
        sar.release(request.user, row.pk, source_ip=_ip(request))
        draft = False
    elif row.status == SubjectAccessRequest.Status.DRAFT:
        with transaction.atomic():
            record_event(actor=access.actor_for(request.user, _ip(request)), action="sar.preview",
                         object_type="person", object_id=row.person_id, purpose="subject_access",
                         details={"sar": row.pk})
        draft = True
    else:
        raise Http404("Not found")
    return render(request, "governance/sar_pack.html", {"row": row, "pack": row.pack, "draft": draft})


@login_required
@require_http_methods(["GET"])
def partnership_view(request: HttpRequest) -> HttpResponse:
    try:
        figures = partnership.partnership_figures(request.user, now=timezone.now(), source_ip=_ip(request))
    except partnership.FiguresRefusedError:
        raise PermissionDenied from None
    return render(request, "governance/partnership.html", {
        "figures": figures, "levels": RISK_LEVEL_LABELS,
        "decisions": [(FIGURE_LABELS[key], count) for key, count in figures.decisions],
        "challenges": [(FIGURE_LABELS[key], count) for key, count in figures.challenges]})
