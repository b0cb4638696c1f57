"""Match review: uncertain matches side by side, the reviewer's decision, merge history and undo.

The decisions themselves are identity's services; these views only check access and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openmash.casework.access import check_people
from openmash.casework.queries.reviews import merge_history, open_reviews, review_detail, review_persons
from openmash.casework.services import actor_of
from openmash.identity import services as identity
from openmash.identity.models import MatchReview
from openmash.platform.access import NotFound
from openmash.platform.domain.access_rules import Role
from openmash.web.pages.common import client_ip, page_int, roles_required, user_of
from openmash.web.pages.forms import ReviewDecisionForm

REVIEWERS = (Role.TRIAGE, Role.TEAM_MANAGER)


@roles_required(*REVIEWERS, Role.AUDITOR)
def review_queue_view(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/review_queue.html", {
        "reviews": open_reviews(page=page_int(request)), "merges": merge_history(),
        "may_undo": Role.AUDITOR not in user_of(request).role_set()})


@roles_required(*REVIEWERS, Role.AUDITOR)
@transaction.atomic
def review_view(request: HttpRequest, review_id: int) -> HttpResponse:
    user = user_of(request)
    review = MatchReview.objects.filter(pk=review_id).select_related("mention__record", "person",
                                                                      "candidate").first()
    if review is None:
        raise Http404
    people = check_people(user, review_persons(review), purpose="linkage review", source_ip=client_ip(request))
    if len(people.decisions) < 2:
        raise NotFound()
    form = ReviewDecisionForm(request.POST or None)
    problems: list[str] = []
    may_decide = review.status == MatchReview.Status.OPEN and not people.read_only
    if request.method == "POST" and may_decide and form.is_valid():
        same = form.cleaned_data["same_person"] == "yes"
        try:
            identity.decide_review(review_id=review.pk, same_person=same, actor=actor_of(user, client_ip(request)))
        except ValueError:
            problems = [_("These records cannot be the same person (for example, they are named together in one "
                          "record). Keep them apart.")]
        else:
            messages.success(request, _("Merged: they are now one person") if same else
                             _("Kept apart: they stay two people"))
            return redirect("web:review-queue")
    return render(request, "casework/review.html", {
        "detail": review_detail(review, people.decisions), "form": form, "problems": problems, "may_decide": may_decide})


@require_POST
@roles_required(*REVIEWERS)
@transaction.atomic
def merge_undo_view(request: HttpRequest, event_id: int) -> HttpResponse:
    try:
        identity.undo_merge(event_id=event_id, actor=actor_of(user_of(request), client_ip(request)))
    except identity.NothingToUndoError:
        messages.error(request, _("That merge has already been undone"))
    else:
        messages.success(request, _("Merge undone: the two people are separate again"))
    return redirect("web:review-queue")
