"""Delivery and lifecycle: the inbox at once, signed webhooks with retries, e-mail, escalation at due_by."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from openmash.intake.models import Record
from openmash.protocol import channels, services
from openmash.protocol.models import Delivery, DeliveryAttempt, Endpoint, Notification

pytestmark = pytest.mark.django_db

CREATED = dt.datetime(2025, 5, 2, 19, 15, tzinfo=dt.UTC)


@pytest.fixture
def notification():
    record = Record.objects.create(agency="police", record_id="NCH1", kind="da_incident")
    return Notification.objects.create(
        notification_id="11111111-1111-5111-8111-111111111111", created_at=CREATED,
        due_by=CREATED + dt.timedelta(hours=24), priority="same_day", recipient_agency="school_nursing",
        recipient_team=None, reasons=["SCHOOL_NURSING_SCHOOL_AGE"], record=record, source_agency="police",
        source_record_id="NCH1", source_version=1, subjects=[], content_level="health",
        content={"level": "standard"})


@pytest.fixture
def network(monkeypatch):
    calls: list[tuple[str, bytes, dict[str, str]]] = []
    answers: list[channels.Result] = []

    def post(url, body, headers):
        calls.append((url, body, headers))
        return answers.pop(0) if answers else channels.Result(True, 204)

    monkeypatch.setattr(channels, "post", post)
    return calls, answers


def test_the_inbox_is_delivered_when_the_notification_is_created(notification):
    services.enqueue_deliveries(notification, CREATED)
    [inbox] = Delivery.objects.filter(notification=notification)
    assert (inbox.channel, inbox.status, inbox.delivered_at) == ("inbox", "delivered", CREATED)


def test_a_webhook_is_signed_with_the_team_key_and_sent_once(notification, network):
    calls, _ = network
    Endpoint.objects.create(agency="school_nursing", channel="webhook", address="https://sn.example/hook",
                            secret="s3cret")
    services.enqueue_deliveries(notification, CREATED)
    services.enqueue_deliveries(notification, CREATED)  # the same revision again: nothing new
    services.deliver_due(CREATED + dt.timedelta(minutes=1))
    services.deliver_due(CREATED + dt.timedelta(minutes=2))
    [(url, body, headers)] = calls
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert url == "https://sn.example/hook" and headers["X-OpenMASH-Signature"] == expected
    assert headers["Idempotency-Key"].startswith(notification.notification_id + ":1:webhook:")
    assert json.loads(body)["notification_id"] == notification.notification_id


def test_a_failing_webhook_is_retried_with_backoff_every_attempt_recorded_then_fails_visibly(notification, network):
    _, answers = network
    answers.extend([channels.Result(False, 503, "HTTP 503")] * services.MAX_ATTEMPTS)
    Endpoint.objects.create(agency="school_nursing", channel="webhook", address="https://sn.example/hook", secret="k")
    services.enqueue_deliveries(notification, CREATED)
    now = CREATED
    waits = []
    for _ in range(services.MAX_ATTEMPTS):
        now += dt.timedelta(days=1)
        services.deliver_due(now)
        delivery = Delivery.objects.get(channel="webhook")
        waits.append(delivery.next_attempt_at - now)
    assert delivery.status == "failed" and delivery.attempts == services.MAX_ATTEMPTS
    assert DeliveryAttempt.objects.filter(delivery=delivery, ok=False).count() == services.MAX_ATTEMPTS
    assert waits[0] == dt.timedelta(minutes=1) and waits[1] == dt.timedelta(minutes=2)


def test_email_carries_no_personal_data(notification):
    notification.content = {"people": [{"given_names": "Secretname"}]}
    notification.save()
    Endpoint.objects.create(agency="school_nursing", channel="email", address="team@nhs.example")
    services.enqueue_deliveries(notification, CREATED)
    services.deliver_due(CREATED)
    [message] = mail.outbox
    assert "Secretname" not in message.body and notification.notification_id in message.body
    # The link opens the notification's own page in the team inbox.
    assert f"{settings.OPENMASH_BASE_URL}/inbox/{notification.notification_id}/" in message.body


def test_tick_escalates_an_unacknowledged_notification_to_the_team_manager_once(notification, capsys):
    call_command("tick", "--now", (CREATED + dt.timedelta(hours=23)).isoformat())
    assert not Notification.objects.filter(family="escalation").exists()
    call_command("tick", "--now", (CREATED + dt.timedelta(hours=25)).isoformat())
    call_command("tick", "--now", (CREATED + dt.timedelta(hours=26)).isoformat())
    [escalation] = Notification.objects.filter(family="escalation")
    assert (escalation.recipient_agency, escalation.recipient_team) == ("school_nursing", "manager")
    assert escalation.reasons == ["ESCALATION_UNACKNOWLEDGED"] and escalation.priority == "immediate"
    assert escalation.due_by == CREATED + dt.timedelta(hours=26)


def test_an_acknowledged_notification_is_not_escalated(notification):
    services.acknowledge(notification, actor=services.PROTOCOL_ACTOR, at=CREATED + dt.timedelta(hours=1))
    services.escalate_unacknowledged(CREATED + dt.timedelta(days=3))
    assert not Notification.objects.filter(family="escalation").exists()


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks, as in production
def test_the_worker_runs_the_periodic_checks_on_the_task_queue(notification):
    notification.due_by = CREATED
    notification.save()
    call_command("worker", "--once")
    assert Notification.objects.filter(family="escalation").count() == 1
