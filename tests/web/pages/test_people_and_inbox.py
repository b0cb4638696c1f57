"""Person pages with their chronology, the team inbox, responses and challenges, match review, guidance."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openmash.casework import services
from openmash.casework.models import Challenge
from openmash.identity.models import LinkEvent, MatchReview
from openmash.protocol.models import Notification
from tests.casework import scenario
from tests.casework.test_services import DECIDED, RATIONALE, user

pytestmark = pytest.mark.django_db


def test_a_childs_page_puts_the_pattern_first_and_gathers_her_words(family, as_user, person_ids):
    response = as_user("social-worker").get(reverse("web:person", args=[person_ids["c1"]]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index('id="pattern"') < html.index('id="chronology"')
    assert "3 incidents in 12 months" in html and "11 since 2013" in html
    assert "In their own words" in html and "I want it to stop" in html and "I hid in my room (2013-06-01)" in html
    assert "Child protection plan" in html and "Who lived with them" in html and "Anna Nowak" in html


def test_the_chronology_filters_by_agency_kind_and_significance(family, as_user, person_ids):
    client = as_user("social-worker")
    url = reverse("web:person", args=[person_ids["c1"]])
    html = client.get(url + "?kind=cp_plan").content.decode()
    assert "Showing 1 of 13" in html
    html = client.get(url + "?agency=police").content.decode()
    assert "Showing 11 of 13" in html
    html = client.get(url + "?significant=on").content.decode()
    assert "Showing 2 of 13" in html  # the plan and the high-risk incident


def test_probation_reads_the_perpetrator_perpetrator_facing(family, as_user, person_ids):
    html = as_user("probation").get(reverse("web:person", args=[person_ids["p2"]])).content.decode()
    assert "Mark Smith" in html and "Do not disclose to the subject" in html
    assert "In their own words" not in html and "Daddy was shouting" not in html
    assert "Probation supervision" in html


def test_a_merged_persons_old_id_redirects_and_a_stranger_gets_not_found(family, as_user, person_ids):
    assert as_user("probation").get(reverse("web:person", args=[person_ids["c1"]])).status_code == 404
    assert as_user("analyst").get(reverse("web:person", args=[person_ids["c1"]])).status_code == 404
    assert as_user("social-worker").get(reverse("web:person", args=["P9999999"])).status_code == 404


def test_the_health_visitor_inbox_acknowledge_and_respond(family, as_user, person_ids):
    client = as_user("health-visitor")
    inbox = client.get(reverse("web:inbox")).content.decode()
    assert 'id="open-count">2<' in inbox and "A child under 5 was involved" in inbox
    n = Notification.objects.get(recipient_agency="health_visiting", record__record_id=scenario.LIVE_INCIDENT)
    page = client.get(reverse("web:notification", args=[n.notification_id])).content.decode()
    assert "Lily" in page and "Daddy was shouting" in page and "Acknowledge" in page
    client.post(reverse("web:notification-acknowledge", args=[n.notification_id]))
    n.refresh_from_db()
    assert n.acknowledged_by == "health-visitor"
    bad = client.post(reverse("web:notification-respond", args=[n.notification_id]), {"text": ""})
    assert "govuk-error-summary" in bad.content.decode()
    client.post(reverse("web:notification-respond", args=[n.notification_id]),
                {"text": "Home visit done: Lily safe and well, mother engaging."})
    chronology = client.get(reverse("web:person", args=[person_ids["c2"]])).content.decode()
    assert "Home visit done: Lily safe and well" in chronology


def test_a_notification_for_another_team_is_not_found(family, as_user):
    n = Notification.objects.get(recipient_agency="health_visiting", record__record_id=scenario.LIVE_INCIDENT)
    assert as_user("school-nurse").get(reverse("web:notification", args=[n.notification_id])).status_code == 404


def test_the_referrer_sees_feedback_and_challenges(family, as_user):
    decision = services.record_threshold_decision(record=family, outcome="nfa", rationale=RATIONALE,
                                                  user=user("triage"), now=DECIDED)
    police = as_user("police")
    inbox = police.get(reverse("web:inbox")).content.decode()
    assert "Front-door decision on your referral" in inbox
    page = police.get(reverse("web:notification", args=[decision.feedback.notification_id])).content.decode()
    assert "No further action" in page and RATIONALE in page and "Challenge the decision" in page
    url = reverse("web:notification-challenge", args=[decision.feedback.notification_id])
    assert "govuk-error-summary" in police.post(url, {"reason": ""}).content.decode()
    police.post(url, {"reason": "Baby present at a third incident this year."})
    challenge = Challenge.objects.get()
    manager_inbox = as_user("manager").get(reverse("web:inbox")).content.decode()
    assert "A referrer challenges a front-door decision" in manager_inbox
    page = as_user("manager").get(reverse("web:notification", args=[challenge.notification.notification_id]))
    assert "Baby present at a third incident this year." in page.content.decode()


def test_the_manager_resolves_a_challenge_and_the_referrer_sees_the_outcome(family, as_user):
    decision = services.record_threshold_decision(record=family, outcome="nfa", rationale=RATIONALE,
                                                  user=user("triage"), now=DECIDED)
    challenge = services.challenge_decision(notification=decision.feedback, reason="Baby present again this year.",
                                            user=user("police"), now=DECIDED)
    manager = as_user("manager")
    inbox = manager.get(reverse("web:inbox")).content.decode()
    url = reverse("web:challenge-resolve", args=[challenge.pk])
    assert "Challenges to resolve" in inbox and url in inbox
    incident = manager.get(reverse("web:incident", args=["police", scenario.LIVE_INCIDENT])).content.decode()
    assert "Waiting for a manager" in incident and url in incident
    refused = manager.post(url, {"resolution": "revised", "outcome": "nfa", "response": "ok"}).content.decode()
    assert "govuk-error-summary" in refused and "Select a different decision" in refused
    response = manager.post(url, {"resolution": "upheld", "response": "Seen today by the health visitor: safe."})
    assert response.status_code == 302
    incident = manager.get(reverse("web:incident", args=["police", scenario.LIVE_INCIDENT])).content.decode()
    assert "Decision upheld" in incident and "Seen today by the health visitor: safe." in incident
    challenge.refresh_from_db()
    police = as_user("police")
    told = police.get(reverse("web:notification", args=[challenge.outcome_notification.notification_id]))
    assert "Decision upheld" in told.content.decode() and "Seen today by the health visitor" in told.content.decode()
    original = police.get(reverse("web:notification", args=[decision.feedback.notification_id])).content.decode()
    assert "Outcome of your challenge" in original
    assert as_user("triage").get(url).status_code == 403
    assert as_user("police").get(url).status_code == 403


def test_the_match_review_queue_and_a_decision(family, as_user):
    review = MatchReview.objects.get(mention__record__record_id="ED-R1")  # Anna, day and month of birth swapped
    client = as_user("triage")
    assert "1 uncertain match" in client.get(reverse("web:review-queue")).content.decode()
    page = client.get(reverse("web:review", args=[review.pk])).content.decode()
    assert "Are these the same person?" in page and "Anna Nowak" in page and "Ana Nowak" in page
    assert "Date of birth: day and month swapped" in page
    response = client.post(reverse("web:review", args=[review.pk]), {"same_person": "no"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == MatchReview.Status.KEPT_APART
    assert as_user("health-visitor").get(reverse("web:review-queue")).status_code == 403
    assert as_user("health-visitor").get(reverse("web:review", args=[review.pk])).status_code == 403


def test_a_merge_from_review_can_be_undone(family, as_user):
    review = MatchReview.objects.get(mention__record__record_id="ED-R1")
    client = as_user("manager")
    client.post(reverse("web:review", args=[review.pk]), {"same_person": "yes"})
    history = client.get(reverse("web:review-queue")).content.decode()
    assert "merged into" in history and "Undo" in history
    event = LinkEvent.objects.get(kind=LinkEvent.Kind.MERGE)
    client.post(reverse("web:merge-undo", args=[event.pk]))
    assert LinkEvent.objects.filter(kind=LinkEvent.Kind.SPLIT, undoes=event).exists()


@pytest.mark.parametrize("name, english, polish", [
    ("web:dash-checklist", "Are you very frightened?", "Czy bardzo się Pani/Pan boi?"),
    ("web:victim-leaflet", "0808 2000 247", "To, co się stało, nie jest Pani/Pana winą."),
])
def test_the_printable_guidance_in_english_and_polish(family, as_user, name, english, polish):
    client = as_user("police")
    assert english in client.get(reverse(name)).content.decode()
    assert polish in client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="pl").content.decode()


def test_a_manager_sees_escalations_and_what_is_overdue_in_their_teams(family, as_user):
    from openmash.protocol.services import escalate_unacknowledged

    escalate_unacknowledged(DECIDED)  # everything due by then and not acknowledged goes to the managers
    html = as_user("manager").get(reverse("web:inbox")).content.decode()
    assert "Escalated to you" in html and "Not acknowledged by its deadline" in html
    assert "Overdue in the teams you manage" in html
    escalation = Notification.objects.get(family="escalation", recipient_agency="csc",
                                          record__record_id=scenario.LIVE_INCIDENT)
    page = as_user("manager").get(reverse("web:notification", args=[escalation.notification_id])).content.decode()
    assert "This was not acknowledged by its deadline" in page
    assert as_user("triage").get(reverse("web:notification", args=[escalation.notification_id])).status_code == 404
