"""Use cases of the protocol engine, each inside the caller's (or its own) transaction.

``process_version`` is the pipeline stage (``settings.OPENMASH_PIPELINE_STAGES``): it
runs after identity has linked a stored record version, inside the same transaction,
and records facts in backfill (incident assessments, address indexes) but creates
notifications and alerts only in live mode — the outbox of the hub.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from openmash.intake.domain.address import building_lookup_keys, household_lookup_keys, normalise_address
from openmash.intake.domain.record import Address
from openmash.intake.models import RecordVersion
from openmash.platform.audit import Actor, Event, record_events
from openmash.platform.bulk import insert_rows, update_rows
from openmash.protocol.domain import amendments
from openmash.protocol.domain.alerts import PlannedAlert
from openmash.protocol.domain.content import withdrawn_content
from openmash.protocol.domain.deadlines import WorkingCalendar, due_by
from openmash.protocol.domain.engine import (
    CONFIDENTIAL_ADDRESS_DISCLOSED,
    Outcome,
    Rendered,
    address_json,
    audience_from_json,
    audience_json,
    disclosure_due,
    subjects_json,
)
from openmash.protocol.domain.engine import (
    process_version as evaluate_version,
)
from openmash.protocol.domain.history import LinkedVersion, known_address_on
from openmash.protocol.domain.ids import alert_id, manager_team, notification_id
from openmash.protocol.domain.incident import IncidentAssessment as Assessment
from openmash.protocol.domain.policy import BankHolidays, Policy, load_policy
from openmash.protocol.domain.redaction import redact
from openmash.protocol.models import (
    Alert,
    ConfidentialAddress,
    Delivery,
    DeliveryAttempt,
    DisclosureLog,
    Endpoint,
    IncidentAssessment,
    IncidentChild,
    KnownAddress,
    LinkWatermark,
    Notification,
    TriageItem,
)
from openmash.protocol.queries import DatabaseHistory, linked_version, resolve_mentions

PROTOCOL_ACTOR = Actor.system("protocol")
#: Retries of a failed push: 1, 2, 4... minutes, at most 6 hours apart, then failed (and shown as failed).
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_LONGEST = dt.timedelta(hours=6)
MAX_ATTEMPTS = 10


@lru_cache(maxsize=4)
def _policy(path: str) -> Policy:
    return load_policy(path or None)


def policy_in_force() -> Policy:
    """The policy file named by ``OPENMASH_PROTOCOL_FILE``, else the shipped default; teams mapped
    ``by = "directory"`` are filled from the directory's postcode districts (re-read every minute)."""
    policy = _policy(getattr(settings, "OPENMASH_PROTOCOL_FILE", "") or "")
    if not any(m.by == "directory" for m in policy.recipient_teams.values()):
        return policy
    minute = int(time.monotonic() // 60)
    held = _DIRECTORY_POLICY.get(id(policy))
    if held is None or held[0] != minute:
        held = _DIRECTORY_POLICY[id(policy)] = (minute, _with_directory_teams(policy))
    return held[1]


_DIRECTORY_POLICY: dict[int, tuple[int, Policy]] = {}


def _with_directory_teams(policy: Policy) -> Policy:
    from openmash.accounts.models import Team

    teams = dict(policy.recipient_teams)
    for agency, mapping in policy.recipient_teams.items():
        if mapping.by != "directory":
            continue
        by_district = {str(d).upper(): t.code or t.name
                       for t in Team.objects.filter(agency__code=agency) for d in t.postcode_districts or ()}
        teams[agency] = replace(mapping, teams={**by_district, **mapping.teams})
    return replace(policy, recipient_teams=teams)


@lru_cache(maxsize=4)
def _calendar(setting: BankHolidays) -> WorkingCalendar:
    this_year = timezone.now().year
    return WorkingCalendar(setting, warm=(this_year - 1, this_year, this_year + 1))


def calendar_for(policy: Policy) -> WorkingCalendar:
    return _calendar(policy.bank_holidays)


# --- the pipeline stage -----------------------------------------------------------------------


def process_version(version: RecordVersion, *, live: bool) -> Outcome:
    """Assess, route and alert one stored record version (pipeline stage, inside its transaction)."""
    policy = policy_in_force()
    subject, mention_pks = linked_version(version)
    newly_confidential = _index_addresses(version, subject, mention_pks)
    events: list[Event] = []
    if live:
        # Backfill sends nothing, so a relink there waits for the next live version (events are kept).
        _follow_relinks(version, events)
    outcome = _assess(version, subject, policy, live=live)
    _apply_changes(version, outcome, events)
    for alert in outcome.alerts:
        _raise_alert(version, alert, events)
    if newly_confidential:
        _late_confidentiality(version, newly_confidential, policy, live=live, events=events)
    record_events(events)
    return outcome


def _assess(version: RecordVersion, subject: LinkedVersion, policy: Policy, *, live: bool) -> Outcome:
    existing = []
    if subject.record.kind == "da_incident" or subject.record.withdrawn:
        existing = [
            amendments.StoredNotification(nid, due, signature, withdrawn_at is not None)
            for nid, due, signature, withdrawn_at in Notification.objects.filter(
                record_id=version.record_id, family=Notification.Family.INCIDENT).values_list(
                "notification_id", "due_by", "signature", "withdrawn_at")
        ]
    history = DatabaseHistory()
    outcome = evaluate_version(subject, history, history, existing, policy, calendar_for(policy), live=live)
    if outcome.assessment is not None and outcome.facts is not None:
        _store_assessment(version, outcome.assessment, outcome, live=live)
    return outcome


def _follow_relinks(version: RecordVersion, events: list[Event]) -> None:
    """§2.6: a merge or split of people re-assesses the live incidents about them (their notifications amended
    or withdrawn as for an updated record), as at the version whose linking caused it."""
    from openmash.identity.models import LinkEvent, MentionLink

    mark, _ = LinkWatermark.objects.select_for_update().get_or_create(id=1)
    fresh = list(LinkEvent.objects.filter(pk__gt=mark.last_event).values_list("pk", "kind", "mentions"))
    if not fresh:
        return
    mark.last_event = max(pk for pk, _, _ in fresh)
    mark.save(update_fields=["last_event"])
    moved = {m for _, kind, mentions in fresh if kind in ("merge", "split") for m in mentions}
    if not moved:
        return
    people = set(MentionLink.objects.filter(mention_id__in=moved).values_list("person_id", flat=True))
    named = set(Notification.objects.filter(
        family=Notification.Family.INCIDENT, record__mentions__link__person_id__in=people,
    ).values_list("record_id", flat=True))
    children = set(IncidentChild.objects.filter(
        mention__link__person_id__in=people, assessment__live=True).values_list("assessment__record_id", flat=True))
    policy = policy_in_force()
    for record_pk in sorted((named | children) - {version.record_id}):
        current = RecordVersion.objects.select_related("record").filter(
            record_id=record_pk, record__current_id=models.F("pk"), record__withdrawn=False).first()
        if current is None or current.seq is None:
            continue
        subject, _ = linked_version(current)
        outcome = _assess(current, subject, policy, live=True)
        _apply_changes(current, outcome, events, at=version.recorded_at)
        for alert in outcome.alerts:
            _raise_alert(current, alert, events)


def _index_addresses(version: RecordVersion, subject: LinkedVersion, refs: Mapping[str, int]) -> list[Address]:
    """Index every known address the version gives someone, and every address it marks confidential."""
    rows: list[dict[str, Any]] = []
    for mention in subject.record.people:
        # A withdrawn record is in no history, so it gives nobody an address (its confidential flags still count).
        if subject.record.withdrawn or not mention.is_linkable or mention.ref not in refs:
            continue
        known = known_address_on(subject, mention)
        if known is not None:
            rows += [{"key": k, "mention_id": refs[mention.ref], "seq": subject.seq}
                     for k in household_lookup_keys(known.normalised)]
    insert_rows(KnownAddress, rows)
    newly: list[Address] = []
    confidential = []
    raw = subject.raw
    for obj in [raw.get("address")] + [p.get("address") for p in raw.get("people") or ()]:
        if not isinstance(obj, Mapping) or obj.get("confidential") is not True:
            continue
        address = Address.from_json(obj)
        if address is None:
            continue
        norm = normalise_address(address)
        keys = building_lookup_keys(norm)
        if not keys:
            continue
        if not DatabaseHistory().confidential_in_building(norm) and address not in newly:
            newly.append(address)
        confidential += [ConfidentialAddress(key=k, address=address_json(address), version=version) for k in keys]
    if confidential:
        ConfidentialAddress.objects.bulk_create(confidential)
    return newly


def _store_assessment(version: RecordVersion, a: Assessment, outcome: Outcome, *, live: bool) -> None:
    facts = outcome.facts
    assert facts is not None
    fields = {
        "record_id": version.record_id, "seq": facts.seq, "occurred_at": facts.occurred_at,
        "recorded_at": facts.recorded_at, "tool": a.risk.tool, "tool_version": a.risk.tool_version,
        "dash_yes": a.risk.dash_yes, "level": a.level, "level_criteria": list(a.risk.criteria),
        "marac_notified": facts.marac_notified, "live": live, "explanation": a.explain()}
    # A re-assessment after people were merged or split replaces what was worked out for this version.
    held = IncidentAssessment.objects.filter(version_id=version.pk).values_list("pk", flat=True).first()
    if held is None:
        (assessment,) = insert_rows(IncidentAssessment, [{"version_id": version.pk, **fields}], returning_pk=True)
    else:
        assessment = held
        update_rows(IncidentAssessment, [{"pk": held, **fields}])
        IncidentChild.objects.filter(assessment_id=held).delete()
    cites = resolve_mentions(c.cite for c in a.children)
    insert_rows(IncidentChild, [
        {"assessment_id": assessment, "mention_id": cites[c.cite], "person_id_then": c.person_id,
         "found_from_history": not c.named}
        for c in a.children if c.cite in cites
    ])
    if live and a.children:
        ranks = {level: i for i, level in enumerate(a.evaluation.policy.triage.level_order)}
        youngest = min((c.ages.youngest if c.ages.youngest is not None else 0) for c in a.children)
        queued = {"assessment_id": assessment, "level": a.level, "level_rank": ranks.get(a.level, len(ranks)),
                  "youngest_age": youngest, "recorded_at": version.recorded_at}
        item = TriageItem.objects.filter(record_id=version.record_id).values_list("pk", flat=True).first()
        if item is None:
            insert_rows(TriageItem, [{"record_id": version.record_id, **queued, "status": TriageItem.Status.QUEUED,
                                      "decision": "", "rationale": "", "decided_at": None, "decided_by": ""}])
        else:
            update_rows(TriageItem, [{"pk": item, **queued}])
    elif live:
        TriageItem.objects.filter(record_id=version.record_id, status=TriageItem.Status.QUEUED).delete()


def _apply_changes(version: RecordVersion, outcome: Outcome, events: list[Event],
                   at: dt.datetime | None = None) -> None:
    """Create, amend or withdraw; ``at`` is when (the causing version's ``recorded_at`` unless a relink)."""
    recorded_at = at or version.recorded_at
    if not outcome.changes:
        return
    # A first assessment only creates: nothing stored to read back.
    stored = [c.notification_id for c in outcome.changes if c.action != amendments.CREATE]
    by_id = {n.notification_id: n for n in Notification.objects.filter(notification_id__in=stored)} if stored else {}
    created: list[Notification] = []
    for change in outcome.changes:
        current = by_id.get(change.notification_id)
        if change.action == amendments.WITHDRAW:
            assert current is not None
            current.withdrawn_at = recorded_at
            if amendments.RECORD_CORRECTED not in current.reasons:
                current.reasons = [*current.reasons, amendments.RECORD_CORRECTED]
            current.content = withdrawn_content(current.source_agency, current.source_record_id)
            current.source_version = version.version
            current.revision += 1
            current.save()
            enqueue_deliveries(current, recorded_at)
            events.append(_event("notification.withdrawn", current))
            continue
        rendered = outcome.rendered[change.notification_id]
        assert change.due_by is not None
        fields = _notification_fields(version, rendered, change.due_by)
        if current is None:
            created.append(Notification(notification_id=change.notification_id, created_at=recorded_at, **fields))
            continue
        for key, value in fields.items():
            setattr(current, key, value)
        current.amended_at = recorded_at
        current.withdrawn_at = None
        current.revision += 1
        current.save()
        events.append(_event("notification.amended", current))
        enqueue_deliveries(current, recorded_at)
    # New notifications (the usual case: an incident tells five or six teams) in one statement, their
    # deliveries in another (new notifications have no deliveries yet: nothing can conflict).
    _insert_notifications(created)
    events.extend(_event("notification.created", n) for n in created)
    enqueue_deliveries_many(created, recorded_at, new=True)


_NOTIFICATION_FIELDS = [f.attname for f in Notification._meta.concrete_fields if not f.primary_key]


def _insert_notifications(created: list[Notification]) -> None:
    rows = [{name: getattr(n, name) for name in _NOTIFICATION_FIELDS} for n in created]
    for n, pk in zip(created, insert_rows(Notification, rows, returning_pk=True), strict=True):
        n.pk = pk
        n._state.adding = False


def _notification_fields(version: RecordVersion, r: Rendered, due: dt.datetime) -> dict[str, Any]:
    plan = r.plan
    record = version.record
    return {
        "family": Notification.Family.INCIDENT, "due_by": due, "priority": plan.priority,
        "recipient_agency": plan.agency, "recipient_team": plan.team, "reasons": list(plan.reasons),
        "record_id": version.record_id, "source_agency": record.agency,
        "source_record_id": record.record_id, "source_version": version.version,
        "subjects": subjects_json(plan.subjects), "content_level": plan.content_level, "content": r.content,
        "read_before_school_today": plan.read_before_school_today, "signature": r.signature,
        "audience": audience_json(r.audience),
    }


def _event(action: str, n: Notification) -> Event:
    return Event(actor=PROTOCOL_ACTOR, action=action, object_type="notification", object_id=n.notification_id,
                 purpose="protocol", details={"recipient": f"{n.recipient_agency}/{n.recipient_team or ''}",
                                              "reasons": list(n.reasons),
                                              "source": f"{n.source_agency}/{n.source_record_id}"})


def _raise_alert(version: RecordVersion, alert: PlannedAlert, events: list[Event]) -> None:
    occ = alert.occurrence
    aid = alert_id(occ.identity)
    household = address_json(alert.household_address.address) if (
        alert.household_address is not None and occ.household is not None) else None
    row, created = Alert.objects.get_or_create(alert_id=aid, defaults={
        "created_at": version.recorded_at, "kind": alert.kind, "person_id_then": alert.person_id,
        "recipient_agency": alert.agency, "recipient_team": alert.team,
        "evidence": [{"agency": a, "record_id": r} for a, r in alert.evidence], "note": alert.note,
        "source_version": version, "once_person": occ.person_id or "",
        "once_record": "|".join(occ.record) if occ.record else "", "once_household": household,
        "explanation": alert.why, "resolve_from": list(alert.cite) if alert.cite else None,
    })
    if created:
        events.append(Event(actor=PROTOCOL_ACTOR, action="alert.raised", object_type="alert", object_id=aid,
                            purpose="protocol", details={"kind": alert.kind, "person_id": alert.person_id,
                                                         "recipient": alert.agency}))


def _late_confidentiality(version: RecordVersion, newly: Sequence[Address], policy: Policy, *, live: bool,
                          events: list[Event]) -> None:
    """§4.6: redact again what barred recipients were sent, log it, and tell the front-door manager."""
    disclosed: list[Notification] = []
    for n in Notification.objects.filter(withdrawn_at__isnull=True).exclude(audience={}):
        audience = audience_from_json(n.audience)
        if not audience.barred:
            continue
        widened = audience_from_json({**n.audience, "confidential": list(n.audience.get("confidential", []))
                                      + [address_json(a) for a in newly]})
        content, _ = redact(n.content, widened)
        if content != n.content:
            n.content, n.audience = content, audience_json(widened)
            n.revision += 1
            n.save(update_fields=["content", "audience", "revision"])
            enqueue_deliveries(n, version.recorded_at)
            DisclosureLog.objects.create(notification=n, confidential_version=version, logged_at=version.recorded_at)
            events.append(_event("notification.rerendered", n))
            disclosed.append(n)
    if not disclosed or not live:
        return
    record = version.record
    door = policy.escalation
    team = manager_team(door.front_door_team)
    nid = notification_id(record.agency, record.record_id, door.front_door_agency, team, CONFIDENTIAL_ADDRESS_DISCLOSED)
    calendar = calendar_for(policy)
    n, created = Notification.objects.get_or_create(notification_id=nid, defaults={
        "family": Notification.Family.DISCLOSURE, "created_at": version.recorded_at,
        "due_by": disclosure_due(version.recorded_at, policy, calendar), "priority": "immediate",
        "recipient_agency": door.front_door_agency, "recipient_team": team,
        "reasons": [CONFIDENTIAL_ADDRESS_DISCLOSED], "record_id": version.record_id,
        "source_agency": record.agency, "source_record_id": record.record_id, "source_version": version.version,
        "subjects": [], "content_level": "full",
        "content": {"disclosures": [
            {"notification_id": d.notification_id,
             "recipient": {"agency": d.recipient_agency, "team": d.recipient_team},
             "created_at": d.created_at.isoformat()} for d in disclosed]},
    })
    if created:
        enqueue_deliveries(n, version.recorded_at)
        events.append(_event("notification.created", n))


# --- lifecycle -------------------------------------------------------------------------------


@transaction.atomic
def escalate_unacknowledged(now: dt.datetime, *, actor: Actor = PROTOCOL_ACTOR) -> list[Notification]:
    """§6: every notification unacknowledged at its ``due_by`` goes to its team's manager, once."""
    policy = policy_in_force()
    esc = policy.escalation
    calendar = calendar_for(policy)
    created: list[Notification] = []
    events: list[Event] = []
    due = (Notification.objects.select_for_update()
           .filter(acknowledged_at__isnull=True, withdrawn_at__isnull=True, escalated_at__isnull=True,
                   due_by__lte=now)
           .exclude(family=Notification.Family.ESCALATION).order_by("due_by", "notification_id"))
    for n in due:
        team = manager_team(n.recipient_team)
        nid = notification_id(n.source_agency, n.source_record_id, n.recipient_agency, team,
                              f"{esc.reason}|{n.notification_id}")
        escalation = Notification.objects.create(
            notification_id=nid, family=Notification.Family.ESCALATION, created_at=now,
            due_by=due_by(esc.priority, now, policy.deadlines, calendar), priority=esc.priority,
            recipient_agency=n.recipient_agency, recipient_team=team, reasons=[esc.reason],
            record_id=n.record_id, source_agency=n.source_agency,
            source_record_id=n.source_record_id, source_version=n.source_version, subjects=n.subjects,
            content_level=n.content_level,
            content={**n.content, "escalation_of": n.notification_id, "was_due_by": n.due_by.isoformat()},
            audience=n.audience, escalation_of=n)
        n.escalated_at = now
        n.save(update_fields=["escalated_at"])
        enqueue_deliveries(escalation, now)
        created.append(escalation)
        events.append(_event("notification.escalated", escalation))
    record_events(events)
    return created


@transaction.atomic
def acknowledge(notification: Notification, *, actor: Actor, at: dt.datetime) -> Notification:
    if notification.acknowledged_at is None:
        notification.acknowledged_at, notification.acknowledged_by = at, actor.name
        notification.save(update_fields=["acknowledged_at", "acknowledged_by"])
        record_events([Event(actor=actor, action="notification.acknowledged", object_type="notification",
                             object_id=notification.notification_id, purpose="protocol")])
    return notification


# --- delivery (outbox) ---------------------------------------------------------------------------


def enqueue_deliveries(n: Notification, at: dt.datetime) -> None:
    """One delivery per channel for this revision: the inbox at once (delivered when created), pushes pending."""
    enqueue_deliveries_many([n], at)


def enqueue_deliveries_many(notifications: Sequence[Notification], at: dt.datetime, *, new: bool = False) -> None:
    """``enqueue_deliveries`` for several notifications: the endpoints read once, the deliveries written at once
    (``new``: notifications just created, which cannot have deliveries yet)."""
    if not notifications:
        return
    endpoints = list(Endpoint.objects.filter(agency__in={n.recipient_agency for n in notifications}, active=True))
    rows = []
    for n in notifications:
        key = f"{n.notification_id}:{n.revision}"
        rows.append(Delivery(notification=n, channel=Delivery.Channel.INBOX, revision=n.revision,
                             idempotency_key=f"{key}:inbox", status=Delivery.Status.DELIVERED, created_at=at,
                             next_attempt_at=at, delivered_at=at))
        for endpoint in endpoints:
            if endpoint.agency == n.recipient_agency and endpoint.team in ("", n.recipient_team or ""):
                rows.append(Delivery(notification=n, endpoint=endpoint, channel=endpoint.channel, revision=n.revision,
                                     idempotency_key=f"{key}:{endpoint.channel}:{endpoint.pk}", created_at=at,
                                     next_attempt_at=at))
    if new:
        names = [f.attname for f in Delivery._meta.concrete_fields if not f.primary_key]
        insert_rows(Delivery, [{name: getattr(row, name) for name in names} for row in rows])
        return
    # A re-run of the same change finds its deliveries already there: nothing is sent twice.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)


def _retry_after(attempts: int) -> dt.timedelta:
    wait: dt.timedelta = RETRY_FIRST * (2 ** max(attempts - 1, 0))
    return min(wait, RETRY_LONGEST)


def deliver_due(now: dt.datetime, *, limit: int = 500) -> list[Delivery]:
    """Attempt every pending push due by ``now``; record each attempt; back off, then fail visibly."""
    from openmash.protocol import channels
    from openmash.protocol.exports import notification_payload

    done: list[Delivery] = []
    due = list(Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
               .exclude(channel=Delivery.Channel.INBOX).order_by("next_attempt_at", "pk")
               .values_list("pk", flat=True)[:limit])
    for pk in due:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update(of=("self",)).select_related("notification", "endpoint").get(pk=pk)
            if delivery.status != Delivery.Status.PENDING or delivery.endpoint is None:
                continue
            endpoint = delivery.endpoint
            payload = notification_payload(delivery.notification)
            if delivery.channel == Delivery.Channel.WEBHOOK:
                result = channels.send_webhook(endpoint.address, endpoint.secret, {**payload,
                                               "revision": delivery.revision}, delivery.idempotency_key)
            else:
                result = channels.send_email(endpoint.address, payload)
            DeliveryAttempt.objects.create(delivery=delivery, at=now, ok=result.ok, status_code=result.status_code,
                                           error=result.error)
            delivery.attempts += 1
            if result.ok:
                delivery.status, delivery.delivered_at, delivery.last_error = Delivery.Status.DELIVERED, now, ""
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status, delivery.last_error = Delivery.Status.FAILED, result.error
            else:
                delivery.next_attempt_at, delivery.last_error = now + _retry_after(delivery.attempts), result.error
            delivery.save()
            record_events([Event(actor=PROTOCOL_ACTOR, action=f"delivery.{delivery.status}", object_type="delivery",
                                 object_id=delivery.idempotency_key, purpose="protocol",
                                 details={"attempt": delivery.attempts, "channel": delivery.channel,
                                          "error": result.error})])
            done.append(delivery)
    return done


def run_periodic_checks(now: dt.datetime) -> dict[str, int]:
    """What the worker (or ``openmash tick``) does each time: escalate, then push what is due."""
    escalated = escalate_unacknowledged(now)
    delivered = deliver_due(now)
    return {"escalated": len(escalated), "attempted": len(delivered),
            "delivered": sum(1 for d in delivered if d.status == Delivery.Status.DELIVERED)}
