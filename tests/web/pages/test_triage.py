"""Triage queue, incident page and the threshold decision form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openmash.casework.models import ThresholdDecision
from openmash.platform.models import AuditEvent
from tests.casework import scenario

pytestmark = pytest.mark.django_db
INCIDENT = ("police", scenario.LIVE_INCIDENT)


def test_the_queue_shows_backlog_oldest_and_the_overdue_clock(family, as_user):
    response = as_user("triage").get(reverse("web:triage-queue"))
    assert response.status_code == 200
    assert response.templates[0].name == "casework/triage_queue.html"
    html = response.content.decode()
    assert 'id="backlog">3<' in html
    assert scenario.LIVE_INCIDENT in html and "overdue" in html and "openmash-overdue" in html
    assert "Anna" not in html and "Nowak" not in html  # the queue names no one


@pytest.mark.parametrize("query, shown", [("level=high", True), ("level=medium", False), ("age=under-5", True),
                                          ("age=12-17", False), ("area=nt1", True), ("area=NT2", False),
                                          ("area=not+a+district", True)])
def test_the_queue_filters(family, as_user, query, shown):
    html = as_user("triage").get(reverse("web:triage-queue") + "?" + query).content.decode()
    assert (f">{scenario.LIVE_INCIDENT}<" in html) is shown
    assert 'id="backlog">3<' in html  # the backlog is the whole queue, whatever the filter


def test_the_queue_is_for_the_front_door_only(family, as_user):
    assert as_user("health-visitor").get(reverse("web:triage-queue")).status_code == 403
    assert as_user("analyst").get(reverse("web:triage-queue")).status_code == 403


def test_the_incident_page_shows_people_links_dash_voice_and_notifications(family, as_user):
    response = as_user("triage").get(reverse("web:incident", args=INCIDENT))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Amy", "Lily", "Anna", "Mark", "High risk", "Officer graded high", "15 of 27 DASH answers were yes",
                 "Daddy was shouting", "How this person was linked", "Domestic violence protection notice",
                 "Threats to kill, strangulation.", "Health visiting", "Not yet", "Record a threshold decision"):
        assert text in html, text
    assert "incidents in 12 months" in html
    assert AuditEvent.objects.filter(action="person.read", purpose="incident").count() >= 4


def test_a_health_visitor_sees_the_incident_at_health_level(family, as_user):
    html = as_user("health-visitor").get(reverse("web:incident", args=INCIDENT)).content.decode()
    assert "Daddy was shouting" in html and "High risk" in html
    assert "Threats to kill" not in html and "Are you very frightened?" not in html
    assert "Officers attended" not in html and "Record a threshold decision" not in html


def test_someone_with_no_relationship_gets_not_found(family, as_user):
    assert as_user("school-nurse").get(reverse("web:incident", args=("police", "NCH-LIVE-3"))).status_code == 200
    assert as_user("marac").get(reverse("web:incident", args=("police", "NCH-LIVE-3"))).status_code == 404
    assert as_user("marac").get(reverse("web:incident", args=("police", "NO-SUCH"))).status_code == 404


def test_the_decision_form_explains_every_problem(family, as_user):
    response = as_user("triage").post(reverse("web:triage-decision", args=INCIDENT), {"rationale": "no"})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert html.count("<title>Error:") == 1
    assert "Select a decision" in html and 'href="#id_outcome"' in html and 'id="id_outcome"' in html
    assert not ThresholdDecision.objects.exists()


def test_recording_a_decision_returns_to_the_incident(family, as_user):
    client = as_user("triage")
    response = client.post(reverse("web:triage-decision", args=INCIDENT),
                           {"outcome": "referral", "rationale": "Repeat incidents, baby present, high risk."})
    assert response.status_code == 302 and response.url == reverse("web:incident", args=INCIDENT)
    html = client.get(response.url).content.decode()
    assert "Decision recorded" in html and "Repeat incidents, baby present, high risk." in html
    assert 'id="backlog">2<' in client.get(reverse("web:triage-queue")).content.decode()


def test_claim_and_assign_from_the_queue(family, as_user):
    triage = as_user("triage")
    response = triage.post(reverse("web:triage-claim", args=INCIDENT), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("web:triage-queue")
    assert "Tara Triage" in triage.get(reverse("web:triage-queue")).content.decode()
    manager = as_user("manager")
    manager.post(reverse("web:triage-assign", args=INCIDENT), {"assignee": "manager"})
    assert "Morgan Manager" in manager.get(reverse("web:triage-queue")).content.decode()
    assert as_user("triage").post(reverse("web:triage-assign", args=INCIDENT),
                                  {"assignee": "triage"}).status_code == 403


def test_the_queue_page_and_the_incident_render_in_polish(family, as_user):
    client = as_user("triage")
    html = client.get(reverse("web:triage-queue"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Kolejka triażu" in html
    html = client.get(reverse("web:incident", args=INCIDENT), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Wysokie ryzyko" in html


def test_probation_reads_the_incident_perpetrator_facing(family, as_user):
    html = as_user("probation").get(reverse("web:incident", args=INCIDENT)).content.decode()
    assert "Do not disclose to the subject" in html
    assert "Spoken to by the officer: yes" in html and "Daddy was shouting" not in html
