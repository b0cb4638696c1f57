"""Incident pages and people's pages (child or adult) with their chronology."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from openmash.casework.access import access_incident, is_front_door
from openmash.casework.queries.incident import incident_detail
from openmash.casework.queries.person import ChronologyFilters, person_page
from openmash.intake.domain.localtime import local_date
from openmash.platform.access import reading
from openmash.platform.domain.access_rules import Role
from openmash.web.pages.common import client_ip, now, user_of
from openmash.web.pages.forms import ChronologyFilterForm

PERIOD_DAYS = {"12m": 365, "3y": 3 * 365, "5y": 5 * 365}


# The reads and their audit rows commit together; the page is rendered after the commit, so the audit
# chain's head lock (taken by the first audit row) is not held while the template renders.


@login_required
def incident_view(request: HttpRequest, agency: str, record_id: str) -> HttpResponse:
    user = user_of(request)
    with transaction.atomic():
        access = access_incident(user, agency, record_id, source_ip=client_ip(request))
        detail = incident_detail(access, user)
    may_decide = (is_front_door(user) and detail.on_queue and not access.people.read_only
                  and (detail.decision is None or Role.TEAM_MANAGER in user.role_set()))
    return render(request, "casework/incident.html", {"incident": detail, "may_decide": may_decide})


@login_required
def person_view(request: HttpRequest, person_id: str) -> HttpResponse:
    user = user_of(request)
    moment = now()
    form = ChronologyFilterForm(request.GET or None, agencies=[], kinds=[])
    filters = _filters(form, moment)
    # The person and everyone else the page shows are decided as it goes and audited in one write at the end.
    with transaction.atomic(), reading(user, purpose="chronology", source_ip=client_ip(request)) as reads:
        # Decide before following a merge: a merged id of someone foreign must be as absent as a made-up one.
        decision = reads.person(person_id)
        current = reads.current[person_id]
        if current != person_id:
            return redirect("web:person", person_id=current)
        page = person_page(person_id, decision, reads, filters, now=moment)
    form = ChronologyFilterForm(request.GET or None, agencies=page.agencies, kinds=page.kinds)
    form.is_valid()
    return render(request, "casework/person.html", {"person": page, "form": form, "filtered": filters !=
                                                     ChronologyFilters()})


def _filters(form: ChronologyFilterForm, moment: dt.datetime) -> ChronologyFilters:
    # The choices depend on the person's records, so read the raw values and let the query ignore unknown ones.
    data = form.data if form.is_bound else {}
    period = str(data.get("period", ""))
    start = local_date(moment) - dt.timedelta(days=PERIOD_DAYS[period]) if period in PERIOD_DAYS else None
    return ChronologyFilters(agency=str(data.get("agency", ""))[:32], kind=str(data.get("kind", ""))[:32],
                             start=start, significant=bool(data.get("significant")))
