"""Quarantine review in the admin: see every problem and the raw line, re-submit a correction, dismiss."""

from __future__ import annotations

import json

import pytest

from openmash.intake.models import DataQualityTask, Quarantine, Record
from openmash.intake.services import ingest_files
from openmash.platform.models import AuditEvent
from tests.intake.records import record, write_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarantined(tmp_path):
    ingest_files([write_feed(tmp_path / "a.jsonl", [record("Q1", kind="da_incident", occurred_at="31/12/2024")])],
                 backfill=False)
    return Quarantine.objects.get()


def test_the_change_page_shows_problems_and_the_raw_line_and_is_audited(admin_client, no_mfa, quarantined):
    page = admin_client.get(f"/admin/intake/quarantine/{quarantined.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "does not parse as an RFC 3339 date-time" in text and "31/12/2024" in text
    assert AuditEvent.objects.filter(action="quarantine.viewed", object_id=str(quarantined.pk)).exists()


def test_a_corrected_record_is_resubmitted_and_closes_the_task(admin_client, no_mfa, quarantined):
    url = f"/admin/intake/quarantine/{quarantined.pk}/resubmit/"
    assert "31/12/2024" in admin_client.get(url).content.decode()
    still_bad = admin_client.post(url, {"corrected": json.dumps(record("Q1", kind="da_incident", version=0))})
    assert "still does not meet the contract" in still_bad.content.decode()
    response = admin_client.post(url, {"corrected": json.dumps(record("Q1", kind="da_incident"))})
    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is not None
    assert Record.objects.get(record_id="Q1").current.live is True  # processed as the original line would be
    assert DataQualityTask.objects.get().closed_at is not None


def test_a_line_can_be_dismissed_with_a_reason(admin_client, no_mfa, quarantined):
    response = admin_client.post(f"/admin/intake/quarantine/{quarantined.pk}/dismiss/", {"reason": "re-sent"})
    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.resolution == "dismissed: re-sent"
