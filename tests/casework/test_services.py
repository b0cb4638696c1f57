"""Casework use cases on an ingested family: decisions and feedback, challenges, acknowledgements,
responses on the chronology, claiming and assigning."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from openmash.accounts.models import User
from openmash.casework import services
from openmash.casework.models import Allocation, Challenge, Response, ThresholdDecision
from openmash.casework.queries.triage import QUEUE_ORDER, QueueFilters, _filtered, queue_summary, triage_queue
from openmash.intake.models import Record
from openmash.platform import compiled
from openmash.platform.models import AuditEvent
from openmash.protocol.models import Notification
from tests.casework import scenario

pytestmark = pytest.mark.django_db
DECIDED = dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC)  # a Tuesday morning
RATIONALE = "Third incident in twelve months with a baby present; strangulation disclosed."


@pytest.fixture
def family(directory, tmp_path):
    scenario.ingest(tmp_path)
    return Record.objects.get(agency="police", record_id=scenario.LIVE_INCIDENT)


def user(name):
    return User.objects.get(username=name)


def test_the_queue_is_in_protocol_order_high_medium_standard(family):
    page = triage_queue(QueueFilters(), page=1, now=DECIDED)
    assert [r.record_id for r in page.rows] == [scenario.LIVE_INCIDENT, "NCH-LIVE-2", "NCH-LIVE-3"]
    row = page.rows[0]
    assert (row.level, row.youngest_age, row.children, row.area) == ("high", 2, 2, "NT1")
    assert row.clock is not None and row.clock.state == "overdue"  # immediate: an hour after recording
    summary = queue_summary(DECIDED)
    assert summary.backlog == 3 and summary.oldest.record_id == "NCH-LIVE-3"


def test_the_queue_pages_and_filters(family):
    assert [r.record_id for r in triage_queue(QueueFilters(), page=2, now=DECIDED, per_page=2).rows] == ["NCH-LIVE-3"]
    assert [r.record_id for r in triage_queue(QueueFilters(age="12-17"), page=1, now=DECIDED).rows] == ["NCH-LIVE-3"]
    assert [r.record_id for r in triage_queue(QueueFilters(area="nt2"), page=1, now=DECIDED).rows] == ["NCH-LIVE-2"]
    assert triage_queue(QueueFilters(level="medium"), page=9, now=DECIDED).number == 1


def test_every_page_of_the_queue_carries_the_same_backlog_and_oldest_incident(family):
    # Unfiltered, the backlog and the oldest incident come with the page's rows; filtered or past the last page,
    # on their own: the same answer either way.
    pages = [triage_queue(QueueFilters(), page=n, now=DECIDED, per_page=2) for n in (1, 2, 7)]
    pages.append(triage_queue(QueueFilters(level="high"), page=1, now=DECIDED))
    assert {(p.summary.backlog, p.summary.oldest.record_id) for p in pages} == {(3, "NCH-LIVE-3")}
    assert [(p.number, p.pages, p.total) for p in pages] == [(1, 2, 3), (2, 2, 3), (2, 2, 3), (1, 1, 1)]
    assert [r.record_id for r in pages[2].rows] == ["NCH-LIVE-3"]
    assert pages[0].summary.oldest == queue_summary(DECIDED).oldest


@pytest.fixture
def claimed(family):
    services.claim_incident(record=Record.objects.get(record_id="NCH-LIVE-2"), user=user("triage"), now=DECIDED)
    return family


@examples(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(level=st.sampled_from(["", "high", "medium", "standard"]), age=st.sampled_from(["", "under-1", "under-5", "12-17"]),
       area=st.sampled_from(["", "NT1", "nt2", "XX9"]), mine=st.booleans(), page=st.integers(1, 5),
       per_page=st.integers(1, 3))
def test_the_compiled_queue_is_the_queue_the_orm_gives(claimed, monkeypatch, level, age, area, mine, page, per_page):
    # The page's statements are compiled once and run again (platform.compiled); the same page built from
    # querysets afresh, and the ids in the queue's order straight from the ORM, must agree.
    filters = QueueFilters(level=level, age=age, area=area, mine=mine)
    triage_pk = user("triage").pk
    fast = triage_queue(filters, page=page, now=DECIDED, user_pk=triage_pk, per_page=per_page)
    monkeypatch.setattr(compiled, "ENABLED", False)
    assert triage_queue(filters, page=page, now=DECIDED, user_pk=triage_pk, per_page=per_page) == fast
    monkeypatch.setattr(compiled, "ENABLED", True)
    ids = list(_filtered(filters, triage_pk).order_by(*QUEUE_ORDER).values_list("record__record_id", flat=True))
    pages = max(1, -(-len(ids) // per_page))
    number = min(page, pages)
    assert (fast.number, fast.pages, fast.total) == (number, pages, len(ids))
    assert [r.record_id for r in fast.rows] == ids[(number - 1) * per_page:number * per_page]
    assert fast.summary == queue_summary(DECIDED)
    assert [r.assignee_username for r in fast.rows if r.record_id == "NCH-LIVE-2"] in ([], ["triage"])


def test_a_decision_sends_feedback_to_the_referrer_due_next_working_day(family):
    decision = services.record_threshold_decision(record=family, outcome="referral", rationale=RATIONALE,
                                                  user=user("triage"), now=DECIDED)
    feedback = decision.feedback
    assert (feedback.recipient_agency, feedback.recipient_team, feedback.reasons) == ("police", None,
                                                                                       ["DECISION_FEEDBACK"])
    assert feedback.due_by == dt.datetime(2025, 3, 5, 17, 0, tzinfo=dt.UTC)  # 17:00 local, GMT in March
    assert feedback.content["decision"] == "referral" and feedback.content["rationale"] == RATIONALE
    assert {c["given_names"] for c in feedback.content["children"]} == {"Amy", "Lily"}
    assert {s["person_ref"] for s in feedback.subjects} == {"c1", "c2"}
    assert scenario.LIVE_INCIDENT not in [r.record_id for r in triage_queue(QueueFilters(), page=1, now=DECIDED).rows]
    assert AuditEvent.objects.filter(action="triage.decided").count() == 1


def test_a_decision_needs_a_rationale_and_a_known_outcome(family):
    with pytest.raises(services.CaseworkError) as refused:
        services.record_threshold_decision(record=family, outcome="s47", rationale="ok", user=user("triage"),
                                           now=DECIDED)
    assert refused.value.problems == ["outcome_unknown", "rationale_too_short"]
    assert not ThresholdDecision.objects.exists() and not Notification.objects.filter(family="feedback").exists()


def test_only_a_manager_revises_a_decision(family):
    services.record_threshold_decision(record=family, outcome="nfa", rationale=RATIONALE, user=user("triage"),
                                       now=DECIDED)
    with pytest.raises(services.CaseworkError, match="already_decided"):
        services.record_threshold_decision(record=family, outcome="referral", rationale=RATIONALE,
                                           user=user("triage"), now=DECIDED)
    revised = services.record_threshold_decision(record=family, outcome="referral", rationale=RATIONALE,
                                                 user=user("manager"), now=DECIDED + dt.timedelta(hours=1))
    assert revised.revises.outcome == "nfa"
    assert Notification.objects.filter(reasons=["DECISION_FEEDBACK"]).count() == 2


def test_the_referrer_challenges_and_the_front_door_manager_is_told(family):
    decision = services.record_threshold_decision(record=family, outcome="nfa", rationale=RATIONALE,
                                                  user=user("triage"), now=DECIDED)
    challenge = services.challenge_decision(notification=decision.feedback, reason="The baby was present again.",
                                            user=user("police"), now=DECIDED + dt.timedelta(hours=2))
    sent = challenge.notification
    assert (sent.recipient_agency, sent.recipient_team, sent.reasons) == ("csc", "manager:front_door", ["CHALLENGE"])
    assert sent.content["challenge"] == "The baby was present again." and sent.content["decision"] == "nfa"
    decision.feedback.refresh_from_db()
    assert decision.feedback.acknowledged_by == "police"
    with pytest.raises(services.CaseworkError, match="already_challenged"):
        services.challenge_decision(notification=decision.feedback, reason="And again, please look.",
                                    user=user("police"), now=DECIDED)


def test_someone_else_cannot_challenge_or_acknowledge_a_decision_sent_to_the_police(family):
    decision = services.record_threshold_decision(record=family, outcome="nfa", rationale=RATIONALE,
                                                  user=user("triage"), now=DECIDED)
    with pytest.raises(services.CaseworkError, match="not_yours"):
        services.challenge_decision(notification=decision.feedback, reason="I disagree with this one.",
                                    user=user("health-visitor"), now=DECIDED)
    with pytest.raises(services.CaseworkError, match="not_yours"):
        services.acknowledge_notification(notification=decision.feedback, user=user("probation"), now=DECIDED)
    assert not Challenge.objects.exists()


def test_a_health_visitor_acknowledges_and_adds_information_about_the_subjects(family):
    notification = Notification.objects.get(recipient_agency="health_visiting", record__record_id=scenario.LIVE_INCIDENT)
    services.acknowledge_notification(notification=notification, user=user("health-visitor"), now=DECIDED)
    notification.refresh_from_db()
    assert notification.acknowledged_by == "health-visitor"
    response = services.respond_to_notification(
        notification=notification, text="Visited today: Lily well, mother engaging, safety plan agreed.",
        user=user("health-visitor"), now=DECIDED + dt.timedelta(hours=3))
    assert [m.ref for m in response.about.all()] == ["c2"]
    assert Response.objects.get().author_agency == "health_visiting"


def test_a_triage_officer_claims_and_a_manager_reassigns(family):
    services.claim_incident(record=family, user=user("triage"), now=DECIDED)
    assert Allocation.objects.get().assignee.username == "triage"
    assert triage_queue(QueueFilters(mine=True), page=1, now=DECIDED, user_pk=user("triage").pk).total == 1
    services.assign_incident(record=family, assignee=user("manager"), user=user("manager"), now=DECIDED)
    assert Allocation.objects.get().assignee.username == "manager"
    with pytest.raises(services.CaseworkError, match="not_manager"):
        services.assign_incident(record=family, assignee=user("triage"), user=user("triage"), now=DECIDED)
    with pytest.raises(services.CaseworkError, match="assignee_not_triage"):
        services.assign_incident(record=family, assignee=user("police"), user=user("manager"), now=DECIDED)


def test_a_decision_releases_the_allocation(family):
    services.claim_incident(record=family, user=user("triage"), now=DECIDED)
    services.record_threshold_decision(record=family, outcome="early_help", rationale=RATIONALE, user=user("triage"),
                                       now=DECIDED)
    assert not Allocation.objects.exists()
    with pytest.raises(services.CaseworkError, match="not_queued"):
        services.claim_incident(record=family, user=user("triage"), now=DECIDED)


def _challenged(family):
    decision = services.record_threshold_decision(record=family, outcome="nfa", rationale=RATIONALE,
                                                  user=user("triage"), now=DECIDED)
    return services.challenge_decision(notification=decision.feedback, reason="The baby was present again.",
                                       user=user("police"), now=DECIDED + dt.timedelta(hours=2))


REPLY = "The baby was seen by the health visitor today and is safe; early help is already involved."


def test_the_front_door_manager_upholds_a_challenge_and_the_referrer_is_told(family):
    challenge = _challenged(family)
    resolved_at = DECIDED + dt.timedelta(hours=5)
    services.resolve_challenge(challenge=challenge, resolution="upheld", response=REPLY, user=user("manager"),
                               now=resolved_at)
    challenge.refresh_from_db()
    assert (challenge.resolution, challenge.resolved_by, challenge.resolved_at) == ("upheld", "manager", resolved_at)
    told = challenge.outcome_notification
    assert (told.recipient_agency, told.recipient_team, told.reasons) == ("police", None, ["CHALLENGE_OUTCOME"])
    assert told.content["resolution"] == "upheld" and told.content["response"] == REPLY
    assert told.content["decision"] == "nfa" and told.content["challenge"] == "The baby was present again."
    assert {s["person_ref"] for s in told.subjects} == {"c1", "c2"}
    assert challenge.notification.acknowledged_by == "manager"  # the manager's CHALLENGE is dealt with
    assert ThresholdDecision.objects.count() == 1
    event = AuditEvent.objects.get(action="triage.challenge_resolved")
    assert (event.actor, event.details["resolution"]) == ("manager", "upheld")
    with pytest.raises(services.CaseworkError, match="already_resolved"):
        services.resolve_challenge(challenge=challenge, resolution="revised", response=REPLY, outcome="referral",
                                   user=user("manager"), now=resolved_at)


def test_a_revised_challenge_makes_a_new_decision_sent_as_feedback_again(family):
    challenge = _challenged(family)
    services.resolve_challenge(challenge=challenge, resolution="revised", response=RATIONALE, outcome="referral",
                               user=user("manager"), now=DECIDED + dt.timedelta(hours=5))
    challenge.refresh_from_db()
    revision = challenge.revision
    assert (revision.outcome, revision.revises, revision.decided_by) == ("referral", challenge.decision, "manager")
    feedback = revision.feedback
    assert feedback.reasons == ["DECISION_FEEDBACK"] and feedback.recipient_agency == "police"
    assert feedback.content["decision"] == "referral" and feedback.content["rationale"] == RATIONALE
    assert feedback.content["resolution"] == "revised" and feedback.content["revises"] == "nfa"
    assert challenge.outcome_notification is None
    assert Notification.objects.filter(reasons=["DECISION_FEEDBACK"]).count() == 2
    assert AuditEvent.objects.filter(action__in=["triage.decided", "triage.challenge_resolved"]).count() == 3


def test_a_revision_must_change_the_decision_and_give_its_rationale(family):
    challenge = _challenged(family)
    with pytest.raises(services.CaseworkError) as refused:
        services.resolve_challenge(challenge=challenge, resolution="revised", response="ok", outcome="nfa",
                                   user=user("manager"), now=DECIDED)
    assert refused.value.problems == ["rationale_too_short", "revision_same_outcome"]
    challenge.refresh_from_db()
    assert challenge.is_open and ThresholdDecision.objects.count() == 1


@pytest.mark.parametrize("name", ["triage", "police", "health-visitor", "social-worker"])
def test_only_a_manager_resolves_a_challenge(family, name):
    challenge = _challenged(family)
    with pytest.raises(services.CaseworkError, match="not_resolver"):
        services.resolve_challenge(challenge=challenge, resolution="upheld", response=REPLY, user=user(name),
                                   now=DECIDED)
    assert not AuditEvent.objects.filter(action="triage.challenge_resolved").exists()


def test_escalations_of_the_front_door_and_of_a_challenge_reach_the_demo_front_door_manager(family):
    from openmash.casework.queries.inbox import team_inbox
    from openmash.protocol.services import escalate_unacknowledged

    challenge = _challenged(family)
    later = DECIDED + dt.timedelta(days=5)
    made = escalate_unacknowledged(later)
    csc = {(n.recipient_team, n.escalation_of.reasons[0]) for n in made if n.recipient_agency == "csc"}
    # The protocol addresses csc's default team's manager as "manager" and the challenge's manager's manager as
    # "manager:manager:front_door"; the demo's front-door manager is in team "manager:front_door".
    assert csc == {("manager", "CSC_CHILD_AT_DA_INCIDENT"), ("manager:manager:front_door", "CHALLENGE")}
    inbox = team_inbox(user("manager"), show="open", page=1, now=later)
    escalated = {r.notification.escalation_of.reasons[0] for r in inbox.escalations}
    assert escalated == {"CSC_CHILD_AT_DA_INCIDENT", "CHALLENGE"}
    assert services.addressed_to(challenge.notification, user("manager"))
    assert not team_inbox(user("triage"), show="open", page=1, now=later).escalations
