"""Journey: a police DA incident arrives unreadable; the front door finds it held, reads the raw line, corrects
it and re-submits it, and the incident reaches the triage queue. axe on every page visited."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from openmash.intake.models import DataQualityTask, Record
from openmash.intake.services import ingest_files
from tests.intake.records import record, write_feed
from tests.journeys.test_casework import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held(directory, no_mfa, tmp_path):
    bad = record("DA-HELD", kind="da_incident", occurred_at="31/12/2024")
    ingest_files([write_feed(tmp_path / "police.jsonl", [bad])], backfill=False)
    return DataQualityTask.objects.get()


def test_the_front_door_corrects_a_held_incident_and_re_submits_it(page, live_server, held, axe_check, screenshot):
    sign_in(page, live_server, "triage")
    page.get_by_role("link", name="Triage queue").click()
    expect(page.locator("#held")).to_contain_text("1 record that may be a safeguarding record could not be read.")
    axe_check(page)
    page.get_by_role("link", name="Correct them").click()
    expect(page.get_by_role("heading", name="Records held by data problems", level=1)).to_be_visible()
    expect(page.get_by_text("1 open task")).to_be_visible()
    axe_check(page)
    screenshot(page, "data-quality-1-queue")

    page.get_by_role("link", name="DA-HELD").click()
    expect(page.locator("#raw-line")).to_contain_text("31/12/2024")
    axe_check(page)

    page.get_by_role("button", name="Re-submit the corrected record").click()  # unchanged: still fails
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe_check(page)

    page.get_by_label("Corrected record").fill(json.dumps(record("DA-HELD", kind="da_incident")))
    page.get_by_role("button", name="Re-submit the corrected record").click()
    expect(page.get_by_text("The corrected record was accepted and the task is closed.")).to_be_visible()
    expect(page.get_by_text("No records are held by data problems.")).to_be_visible()
    axe_check(page)
    screenshot(page, "data-quality-2-corrected")
    assert Record.objects.get(record_id="DA-HELD").current.live
