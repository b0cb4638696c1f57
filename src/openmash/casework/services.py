"""Casework use cases: one transaction each, audited, called by the pages (and any future API).

Callers have already checked that the user may act (the pages scope every object to the
viewer first); these functions still refuse what is plainly impossible (a decision on an
incident that is not queued, a challenge of feedback addressed to someone else).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from openmash.accounts.models import User
from openmash.casework.access import addressed_to, may_resolve
from openmash.casework.domain import decisions as rules
from openmash.casework.models import Allocation, Challenge, Outcome, Response, ThresholdDecision
from openmash.governance.disclosure import confidential_addresses_near
from openmash.intake.domain.record import Address
from openmash.intake.models import Mention, Record
from openmash.platform.audit import Actor, record_event
from openmash.platform.domain.access_rules import Role
from openmash.protocol import services as protocol
from openmash.protocol.domain.deadlines import due_by
from openmash.protocol.domain.engine import audience_json
from openmash.protocol.domain.ids import manager_team, notification_id
from openmash.protocol.domain.redaction import Audience, redact
from openmash.protocol.models import IncidentChild, Notification, TriageItem
from openmash.protocol.queries import unlinked_person_id

#: Feedback and challenges are due by the next working day from the decision or challenge (§6).
FEEDBACK_PRIORITY = "next_working_day"


class CaseworkError(ValueError):
    """A use case refused; ``problems`` are codes the page turns into error messages."""

    def __init__(self, *problems: str) -> None:
        super().__init__(", ".join(problems))
        self.problems = list(problems)


def actor_of(user: User, source_ip: str = "") -> Actor:
    viewer = user.as_viewer()
    return Actor(user.username, role=",".join(sorted(viewer.roles)),
                 team=f"{viewer.agency}/{viewer.team}" if viewer.agency else "", source_ip=source_ip)


def _team_label(user: User) -> str:
    return user.team.name if user.team else ""


# --- triage -----------------------------------------------------------------------------------------


def _queued(record: Record) -> TriageItem:
    item = TriageItem.objects.select_for_update().filter(record=record).select_related("assessment").first()
    if item is None:
        raise CaseworkError("not_queued")
    return item


def _child_subjects(item: TriageItem) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The children involved, as notification subjects and as the names the referrer already knows."""
    rows = (IncidentChild.objects.filter(assessment=item.assessment)
            .select_related("mention__record", "mention__link__person").order_by("mention__record_id", "mention__ref"))
    subjects, children = [], []
    for row in rows:
        m = row.mention
        link = getattr(m, "link", None)
        person_id = link.person.person_id if link is not None else unlinked_person_id(m.pk)
        subjects.append({"agency": m.record.agency, "record_id": m.record.record_id, "person_ref": m.ref,
                         "person_id": person_id})
        children.append({"given_names": m.data.get("given_names"), "family_name": m.data.get("family_name"),
                         "date_of_birth": m.data.get("date_of_birth")})
    return subjects, children


def _confidential_near(record: Record) -> tuple[Address, ...]:
    """Confidential addresses in the same building as any address the record gives (§4.1)."""
    return confidential_addresses_near(record.current.data if record.current else {})


def _audience(agency: str, content_level: str, record: Record) -> Audience:
    policy = protocol.policy_in_force()
    return Audience(agency=agency, content_level=content_level, barred=policy.confidentiality.is_barred(agency),
                    perpetrator_facing=False, confidential=_confidential_near(record))


def _send(*, record: Record, family_key: str, created_at: dt.datetime, agency: str, team: str | None,
          reason: str, subjects: Sequence[dict[str, Any]], content: dict[str, Any], actor: Actor) -> Notification:
    policy = protocol.policy_in_force()
    audience = _audience(agency, "full", record)
    shown, _report = redact(content, audience)
    notification = Notification.objects.create(
        notification_id=notification_id(record.agency, record.record_id, agency, team, family_key),
        family=Notification.Family.FEEDBACK, created_at=created_at,
        due_by=due_by(FEEDBACK_PRIORITY, created_at, policy.deadlines, protocol.calendar_for(policy)),
        priority=FEEDBACK_PRIORITY, recipient_agency=agency, recipient_team=team, reasons=[reason], record=record,
        source_agency=record.agency, source_record_id=record.record_id,
        source_version=record.current.version if record.current else 1, subjects=list(subjects),
        content_level="full", content=shown, audience=audience_json(audience))
    record_event(actor=actor, action="notification.created", object_type="notification",
                 object_id=notification.notification_id, purpose="triage",
                 details={"reason": reason, "recipient": f"{agency}/{team or ''}"})
    return notification


@transaction.atomic
def record_threshold_decision(*, record: Record, outcome: str, rationale: str, user: User, now: dt.datetime,
                              source_ip: str = "") -> ThresholdDecision:
    """Decide a queued incident; the decision and its rationale go back to the referring agency."""
    return _decide(record=record, outcome=outcome, rationale=rationale, user=user, now=now,
                   actor=actor_of(user, source_ip))


def _decide(*, record: Record, outcome: str, rationale: str, user: User, now: dt.datetime, actor: Actor,
            answering: Challenge | None = None) -> ThresholdDecision:
    item = _queued(record)
    problems = rules.check_decision(outcome, rationale, protocol.policy_in_force().triage.decision_outcomes)
    if problems:
        raise CaseworkError(*problems)
    previous = ThresholdDecision.objects.filter(record=record).order_by("-decided_at", "-pk").first()
    if previous is not None and Role.TEAM_MANAGER not in user.role_set():
        raise CaseworkError("already_decided")
    subjects, children = _child_subjects(item)
    occurred = record.current.occurred_at if record.current else item.recorded_at
    content = rules.feedback_content(
        rules.IncidentRef(record.agency, record.record_id, occurred), outcome=outcome, rationale=rationale,
        decided_at=now, decided_by_team=_team_label(user), children=children)
    if answering is not None:  # the referrer sees that this answers their challenge
        content |= {"revises": answering.decision.outcome, "challenge": answering.reason,
                    "resolution": rules.Resolution.REVISED}
    count = ThresholdDecision.objects.filter(record=record).count()
    feedback = _send(record=record, family_key=f"{rules.DECISION_FEEDBACK}|{count}", created_at=now,
                     agency=record.agency, team=None, reason=rules.DECISION_FEEDBACK, subjects=subjects,
                     content=content, actor=actor)
    viewer = user.as_viewer()
    decision = ThresholdDecision.objects.create(
        record=record, outcome=outcome, rationale=rationale.strip(), decided_at=now, decided_by=user.username,
        decided_by_team=_team_label(user), decided_in=f"{viewer.agency}/{viewer.team}", feedback=feedback,
        revises=previous)
    Allocation.objects.filter(record=record).delete()
    record_event(actor=actor, action="triage.decided", object_type="record",
                 object_id=f"{record.agency}/{record.record_id}", purpose="triage",
                 details={"outcome": outcome, "decision": decision.pk, "revises": previous.pk if previous else None})
    return decision


def _allocate(record: Record, assignee: User, actor: Actor, now: dt.datetime, action: str) -> Allocation:
    if not TriageItem.objects.filter(record=record).exists() or ThresholdDecision.objects.filter(record=record).exists():
        raise CaseworkError("not_queued")
    if Role.TRIAGE not in assignee.role_set() or not assignee.is_active:
        raise CaseworkError("assignee_not_triage")
    allocation, _ = Allocation.objects.update_or_create(
        record=record, defaults={"assignee": assignee, "assigned_by": actor.name, "assigned_at": now})
    record_event(actor=actor, action=action, object_type="record", object_id=f"{record.agency}/{record.record_id}",
                 purpose="triage", details={"assignee": assignee.username})
    return allocation


@transaction.atomic
def claim_incident(*, record: Record, user: User, now: dt.datetime, source_ip: str = "") -> Allocation:
    """A triage officer takes a queued incident (taking it over from whoever had it)."""
    return _allocate(record, user, actor_of(user, source_ip), now, "triage.claimed")


@transaction.atomic
def assign_incident(*, record: Record, assignee: User, user: User, now: dt.datetime,
                    source_ip: str = "") -> Allocation:
    """A front-door manager gives a queued incident to a triage officer."""
    if Role.TEAM_MANAGER not in user.role_set():
        raise CaseworkError("not_manager")
    return _allocate(record, assignee, actor_of(user, source_ip), now, "triage.assigned")


# --- the inbox ---------------------------------------------------------------------------------------


def _is_addressed_to(notification: Notification, user: User) -> bool:
    return addressed_to(notification, user)


@transaction.atomic
def acknowledge_notification(*, notification: Notification, user: User, now: dt.datetime,
                             source_ip: str = "") -> Notification:
    if not _is_addressed_to(notification, user):
        raise CaseworkError("not_yours")
    return protocol.acknowledge(notification, actor=actor_of(user, source_ip), at=now)


@transaction.atomic
def challenge_decision(*, notification: Notification, reason: str, user: User, now: dt.datetime,
                       source_ip: str = "") -> Challenge:
    """The referrer disagrees with the decision it was sent: the front-door manager is told."""
    decision = ThresholdDecision.objects.filter(feedback=notification).select_related("record").first()
    if decision is None or not _is_addressed_to(notification, user):
        raise CaseworkError("not_yours")
    problems = rules.check_rationale(reason)
    if problems:
        raise CaseworkError(*problems)
    if Challenge.objects.filter(decision=decision).exists():
        raise CaseworkError("already_challenged")
    actor = actor_of(user, source_ip)
    protocol.acknowledge(notification, actor=actor, at=now)
    policy = protocol.policy_in_force()
    front_door = policy.escalation
    content = rules.challenge_content(notification.content, reason=reason, raised_at=now,
                                      raised_by_agency=user.as_viewer().agency)
    sent = _send(record=decision.record, family_key=f"{rules.CHALLENGE}|{decision.pk}", created_at=now,
                 agency=front_door.front_door_agency, team=manager_team(front_door.front_door_team),
                 reason=rules.CHALLENGE, subjects=notification.subjects, content=content, actor=actor)
    challenge = Challenge.objects.create(decision=decision, reason=reason.strip(), raised_at=now,
                                         raised_by=user.username, raised_by_agency=user.as_viewer().agency,
                                         notification=sent)
    record_event(actor=actor, action="triage.challenged", object_type="record",
                 object_id=f"{decision.record.agency}/{decision.record.record_id}", purpose="triage",
                 details={"decision": decision.pk, "challenge": challenge.pk})
    return challenge


@transaction.atomic
def resolve_challenge(*, challenge: Challenge, resolution: str, response: str, user: User, now: dt.datetime,
                      outcome: str = "", source_ip: str = "") -> Challenge:
    """A manager resolves a challenge: ``upheld`` (the decision stands; the referrer gets the reply) or
    ``revised`` (a new decision with ``response`` as its rationale, sent as DECISION_FEEDBACK again)."""
    # Lock the challenge row only (its feedback and notification are nullable: outer joins cannot be locked).
    challenge = (Challenge.objects.select_for_update(of=("self",))
                 .select_related("decision__record", "decision__feedback", "notification").get(pk=challenge.pk))
    if not may_resolve(challenge, user):
        raise CaseworkError(rules.ResolutionProblem.NOT_RESOLVER)
    policy = protocol.policy_in_force()
    problems = rules.check_resolution(resolved=not challenge.is_open, resolution=resolution, response=response,
                                      outcome=outcome, challenged_outcome=challenge.decision.outcome,
                                      allowed=policy.triage.decision_outcomes)
    if problems:
        raise CaseworkError(*problems)
    actor = actor_of(user, source_ip)
    decision = challenge.decision
    record = decision.record
    if resolution == rules.Resolution.REVISED:
        challenge.revision = _decide(record=record, outcome=outcome, rationale=response, user=user, now=now,
                                     actor=actor, answering=challenge)
    else:
        feedback = decision.feedback
        content = rules.resolution_content(
            challenge.notification.content if challenge.notification else
            rules.challenge_content(feedback.content if feedback else {}, reason=challenge.reason,
                                    raised_at=challenge.raised_at, raised_by_agency=challenge.raised_by_agency),
            resolution=resolution, response=response, resolved_at=now, resolved_by_team=_team_label(user))
        challenge.outcome_notification = _send(
            record=record, family_key=f"{rules.CHALLENGE_OUTCOME}|{challenge.pk}", created_at=now,
            agency=feedback.recipient_agency if feedback else challenge.raised_by_agency,
            team=feedback.recipient_team if feedback else None, reason=rules.CHALLENGE_OUTCOME,
            subjects=feedback.subjects if feedback else [], content=content, actor=actor)
    challenge.resolution, challenge.response = str(resolution), response.strip()
    challenge.resolved_at, challenge.resolved_by, challenge.resolved_by_team = now, user.username, _team_label(user)
    challenge.save(update_fields=["resolution", "response", "resolved_at", "resolved_by", "resolved_by_team",
                                  "revision", "outcome_notification"])
    if challenge.notification is not None:
        protocol.acknowledge(challenge.notification, actor=actor, at=now)
    record_event(actor=actor, action="triage.challenge_resolved", object_type="record",
                 object_id=f"{record.agency}/{record.record_id}", purpose="triage",
                 details={"decision": decision.pk, "challenge": challenge.pk, "resolution": str(resolution),
                          "revision": challenge.revision_id})
    return challenge


def _subject_mentions(notification: Notification) -> list[Mention]:
    wanted = {(s.get("agency"), s.get("record_id"), s.get("person_ref")) for s in notification.subjects}
    mentions = Mention.objects.filter(record__agency__in={w[0] for w in wanted},
                                      record__record_id__in={w[1] for w in wanted}).select_related("record")
    return [m for m in mentions if (m.record.agency, m.record.record_id, m.ref) in wanted]


@transaction.atomic
def respond_to_notification(*, notification: Notification, text: str, user: User, now: dt.datetime,
                            source_ip: str = "") -> Response:
    """Add what the recipient knows; it is kept with the notification and shown on the subjects' chronologies."""
    if not _is_addressed_to(notification, user):
        raise CaseworkError("not_yours")
    problems = rules.check_rationale(text)
    if problems:
        raise CaseworkError(*["response" + p.removeprefix("rationale") for p in problems])
    actor = actor_of(user, source_ip)
    protocol.acknowledge(notification, actor=actor, at=now)
    viewer = user.as_viewer()
    response = Response.objects.create(notification=notification, text=text.strip(), created_at=now,
                                       author=user.username, author_agency=viewer.agency, author_team=_team_label(user))
    response.about.set(_subject_mentions(notification))
    record_event(actor=actor, action="notification.responded", object_type="notification",
                 object_id=notification.notification_id, purpose="safeguarding", details={"response": response.pk})
    return response


def outcome_label(code: str) -> str:
    try:
        return str(Outcome(code).label)
    except ValueError:
        return code
