"""The front door's data-quality tasks: quarantined safeguarding lines, their raw line for csc only, audited,
corrected (re-submitted through intake) or closed with a reason."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from openmash.accounts.models import User
from openmash.intake.models import DataQualityTask, Quarantine, Record
from openmash.intake.services import ingest_files
from openmash.platform.models import AuditEvent
from tests.intake.records import record, write_feed

pytestmark = pytest.mark.django_db


# Record ids with a hyphen: a page's random CSRF token (letters and digits) can never contain one by chance.
@pytest.fixture
def task(directory, no_mfa, tmp_path):
    bad = record("DQ-BAD-1", kind="da_incident", occurred_at="31/12/2024")
    harmless = record("DQ-GP-2", kind="gp_registration", occurred_at="31/12/2024")  # not a safeguarding kind: no task
    ingest_files([write_feed(tmp_path / "a.jsonl", [bad, harmless])], backfill=False)
    assert Quarantine.objects.count() == 2
    return DataQualityTask.objects.get()


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_queue_lists_open_tasks_with_their_clock_but_not_the_raw_line(task):
    page = signed_in("triage").get("/triage/data-quality/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "DQ-BAD-1" in text and "DQ-GP-2" not in text
    assert "31/12/2024" not in text  # the line itself is only on the task's own, audited page
    assert "1 open task" in text and "overdue" not in text  # due one hour after it arrived
    assert not AuditEvent.objects.filter(action="quarantine.viewed").exists()


def test_a_task_past_its_hour_shows_as_overdue(task):
    DataQualityTask.objects.update(due_at=task.created_at - dt.timedelta(minutes=1))
    assert "1 overdue" in signed_in("triage").get("/triage/data-quality/").content.decode()


def test_the_task_page_shows_the_problems_and_the_raw_line_and_the_reading_is_audited(task):
    text = signed_in("manager").get(f"/triage/data-quality/{task.pk}/").content.decode()
    assert "does not parse as an RFC 3339 date-time" in text and "31/12/2024" in text
    event = AuditEvent.objects.get(action="quarantine.viewed", object_id=str(task.quarantine_id))
    assert event.actor == "manager" and event.purpose == "data quality"


def test_the_sending_agency_sees_its_own_lines_and_what_is_wrong_but_not_the_line(task):
    text = signed_in("police").get("/triage/data-quality/").content.decode()
    assert "DQ-BAD-1" in text and "does not parse as an RFC 3339 date-time" in text
    assert f"/triage/data-quality/{task.pk}/" not in text
    assert "DQ-BAD-1" not in signed_in("health-visitor").get("/triage/data-quality/").content.decode()


def test_the_auditor_does_not_see_the_queue(task):
    assert signed_in("auditor").get("/triage/data-quality/").status_code == 403


@pytest.mark.parametrize("username", ["health-visitor", "police", "police-manager", "auditor"])
def test_no_one_outside_the_front_door_opens_a_task(task, username):
    client = signed_in(username)
    assert client.get(f"/triage/data-quality/{task.pk}/").status_code == 403
    assert not AuditEvent.objects.filter(action="quarantine.viewed").exists()


def test_a_correction_that_still_fails_the_contract_is_refused_with_its_problems(task):
    client = signed_in("triage")
    page = client.post(f"/triage/data-quality/{task.pk}/",
                       {"action": "correct", "corrected": json.dumps(record("DQ-BAD-1", kind="da_incident", version=0))})
    assert page.status_code == 200
    assert "There is a problem" in page.content.decode()
    assert DataQualityTask.objects.get().closed_at is None and not Record.objects.filter(record_id="DQ-BAD-1").exists()


def test_a_correct_record_is_ingested_live_and_closes_the_task(task):
    client = signed_in("triage")
    response = client.post(f"/triage/data-quality/{task.pk}/",
                           {"action": "correct", "corrected": json.dumps(record("DQ-BAD-1", kind="da_incident"))})
    assert response.status_code == 302 and response["Location"] == "/triage/data-quality/"
    assert Record.objects.get(record_id="DQ-BAD-1").current.live is True
    assert DataQualityTask.objects.get().closed_at is not None
    assert "No records are held by data problems" in client.get("/triage/data-quality/").content.decode()


def test_closing_without_a_correction_needs_a_reason(task):
    client = signed_in("manager")
    url = f"/triage/data-quality/{task.pk}/"
    assert "Enter why the line needs no correction" in client.post(url, {"action": "dismiss", "reason": ""}) \
        .content.decode()
    assert client.post(url, {"action": "dismiss", "reason": "re-sent correctly"}).status_code == 302
    quarantine = Quarantine.objects.get(pk=task.quarantine_id)
    assert quarantine.resolution == "dismissed: re-sent correctly"
    assert DataQualityTask.objects.get().closed_at is not None


def test_the_triage_queue_says_how_many_lines_are_held_and_links_to_them(task):
    text = signed_in("triage").get("/triage/").content.decode()
    assert "1 record that may be a safeguarding record could not be read." in text
    assert 'href="/triage/data-quality/"' in text
    DataQualityTask.objects.update(closed_at=task.created_at)
    assert 'id="held"' not in signed_in("triage").get("/triage/").content.decode()
