"""Journeys through the casework pages, in a real browser, on a small generated county plus one family
whose story the pages must tell (tests/casework/scenario.py). axe runs on every page visited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from openmash.accounts.models import User
from openmash.casework import services
from openmash.generator.county import generate_county
from openmash.identity.queries import person_ids_of_record
from openmash.intake.models import Record
from tests.casework import scenario

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "demo-password-1"  # noqa: S105 - the demo directory's


@pytest.fixture
def county(directory, no_mfa, tmp_path):
    """A small generated county (history then live) with the family's records ingested alongside."""
    generated = generate_county(households=12, seed=11, start=dt.datetime(2012, 1, 2, tzinfo=dt.UTC),
                                cutoff=dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
                                live_end=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    generated.write(tmp_path / "county")
    scenario.ingest(tmp_path, extra_history=[tmp_path / "county" / "history.jsonl"],
                    extra_live=[tmp_path / "county" / "live.jsonl"])
    return person_ids_of_record("police", scenario.LIVE_INCIDENT)


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", level=1).wait_for()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_triage_officer_works_the_queue_and_records_a_decision(page, live_server, county, axe_check, screenshot):
    sign_in(page, live_server, "triage")
    page.get_by_role("link", name="Triage queue").click()
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    backlog = int(page.locator("#backlog").inner_text())
    assert backlog >= 1
    expect(page.locator("#oldest")).to_be_visible()
    axe_check(page)
    screenshot(page, "triage-1-queue")

    page.get_by_label("Risk level").select_option("high")
    page.get_by_label("Area (postcode district)").fill("NT1")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=scenario.LIVE_INCIDENT, exact=True)).to_be_visible()
    assert page.locator("#backlog").inner_text() == str(backlog)  # the backlog ignores filters
    expect(page.locator(".openmash-overdue").first).to_be_visible()
    page.get_by_role("button", name=f"Claim {scenario.LIVE_INCIDENT}").click()
    expect(page.get_by_text(f"You are working on police/{scenario.LIVE_INCIDENT}")).to_be_visible()
    axe_check(page)
    screenshot(page, "triage-2-filtered-and-claimed")

    page.get_by_role("link", name=scenario.LIVE_INCIDENT, exact=True).click()
    expect(page.get_by_role("heading", name=f"Domestic abuse incident {scenario.LIVE_INCIDENT}")).to_be_visible()
    expect(page.get_by_text("Daddy was shouting")).to_be_visible()
    page.get_by_text("How this person was linked").first.click()
    axe_check(page)
    screenshot(page, "triage-3-incident")

    page.get_by_role("link", name="Record a threshold decision").click()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert page.title().startswith("Error:")
    axe_check(page)
    screenshot(page, "triage-4-decision-errors")

    page.get_by_label("Referral to children's social care").check()
    page.get_by_label("Rationale").fill("Third incident this year, baby present, strangulation disclosed: "
                                        "refer for assessment.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Referral to children's social care")).to_be_visible()
    expect(page.get_by_role("heading", name="Threshold decision")).to_be_visible()
    axe_check(page)
    screenshot(page, "triage-5-decided")
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Triage queue").click()
    assert int(page.locator("#backlog").inner_text()) == backlog - 1


def test_the_referrer_sees_the_feedback_and_challenges(page, live_server, county, axe_check, screenshot):
    record = Record.objects.get(agency="police", record_id=scenario.LIVE_INCIDENT)
    services.record_threshold_decision(
        record=record, outcome="nfa", rationale="Parents separated; mother has moved with the children.",
        user=User.objects.get(username="triage"), now=dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC))
    sign_in(page, live_server, "police")
    page.get_by_role("link", name="Team inbox").click()
    axe_check(page)
    row = page.get_by_role("row").filter(has_text="Front-door decision on your referral")
    row.get_by_role("link", name=re.compile(scenario.LIVE_INCIDENT)).click()
    expect(page.locator("#decision")).to_have_text("No further action")
    expect(page.get_by_text("Parents separated; mother has moved with the children.")).to_be_visible()
    axe_check(page)
    screenshot(page, "referrer-1-feedback")

    page.get_by_role("link", name="Challenge the decision").click()
    page.get_by_role("button", name="Send challenge").click()
    expect(page.get_by_text("Enter why you challenge the decision").first).to_be_visible()
    axe_check(page)
    page.get_by_label("Why do you challenge this decision?").fill(
        "The perpetrator still visits daily and the baby was present again last night.")
    page.get_by_role("button", name="Send challenge").click()
    expect(page.get_by_text("Challenge sent to the front-door manager")).to_be_visible()
    axe_check(page)
    screenshot(page, "referrer-2-challenged")
    sign_out(page)

    sign_in(page, live_server, "manager")
    page.get_by_role("link", name="Team inbox and escalations").click()
    row = page.get_by_role("row").filter(has_text="A referrer challenges a front-door decision")
    row.get_by_role("link", name=re.compile(scenario.LIVE_INCIDENT)).click()
    expect(page.locator("#challenge")).to_contain_text("baby was present again")
    axe_check(page)
    screenshot(page, "referrer-3-manager-sees-challenge")

    page.get_by_role("link", name="Resolve the challenge").click()
    page.get_by_role("button", name="Resolve the challenge").click()
    expect(page.get_by_text("Select whether the decision stands or is revised").first).to_be_visible()
    assert page.title().startswith("Error:")
    axe_check(page)
    screenshot(page, "referrer-4-resolve-errors")
    page.get_by_label("Revise the decision").check()
    page.get_by_label("Referral to children's social care").check()
    page.get_by_label("Your reply and reasons").fill(
        "The perpetrator is still visiting and the baby was present again: refer for assessment.")
    page.get_by_role("button", name="Resolve the challenge").click()
    expect(page.get_by_text("Challenge resolved: the decision is revised")).to_be_visible()
    expect(page.get_by_text("Decision revised").first).to_be_visible()
    axe_check(page)
    screenshot(page, "referrer-5-manager-revised")
    sign_out(page)

    sign_in(page, live_server, "police")
    page.get_by_role("link", name="Team inbox").click()
    row = page.get_by_role("row").filter(has_text="Front-door decision on your referral").first
    row.get_by_role("link", name=re.compile(scenario.LIVE_INCIDENT)).click()
    expect(page.locator("#decision")).to_have_text("Referral to children's social care")
    expect(page.locator("#resolution")).to_contain_text("Decision revised")
    expect(page.locator("#resolution")).to_contain_text("No further action")  # what it replaces
    expect(page.get_by_text("the baby was present again: refer for assessment")).to_be_visible()  # its rationale
    axe_check(page)
    screenshot(page, "referrer-6-sees-the-outcome")


def test_a_health_visitor_acknowledges_and_adds_information_to_the_chronology(page, live_server, county, axe_check,
                                                                              screenshot):
    sign_in(page, live_server, "health-visitor")
    page.get_by_role("link", name="Team inbox").click()
    axe_check(page)
    screenshot(page, "health-visitor-1-inbox")
    page.get_by_role("link", name=re.compile(scenario.LIVE_INCIDENT)).click()
    expect(page.get_by_text("A child under 5 was involved").first).to_be_visible()
    expect(page.get_by_text("Daddy was shouting")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Notification acknowledged")).to_be_visible()
    page.get_by_label("Add information").fill("Home visit today: Lily safe and well, mother engaging, "
                                              "safety plan agreed with the IDVA.")
    page.get_by_role("button", name="Add information").click()
    expect(page.get_by_text("Information added. It now appears on the chronology.")).to_be_visible()
    axe_check(page)
    screenshot(page, "health-visitor-2-acknowledged-and-responded")

    page.get_by_role("link", name="Lily Smith").click()
    expect(page.get_by_role("heading", name="Lily Smith")).to_be_visible()
    expect(page.get_by_text("Home visit today: Lily safe and well", exact=False)).to_be_visible()
    axe_check(page)
    screenshot(page, "health-visitor-3-chronology")


def test_a_social_worker_reads_a_child_with_eleven_incidents_and_sees_the_pattern_first(
        page, live_server, county, axe_check, screenshot):
    sign_in(page, live_server, "social-worker")
    page.goto(f"{live_server.url}/people/{county['c1']}/")
    expect(page.get_by_role("heading", name="Amy Smith")).to_be_visible()
    pattern = page.locator("#pattern")
    expect(pattern).to_contain_text("3 incidents in 12 months")
    expect(pattern).to_contain_text("11 since 2013")
    assert pattern.bounding_box()["y"] < page.locator("#chronology").bounding_box()["y"]
    expect(page.get_by_text("I want it to stop")).to_be_visible()
    expect(page.get_by_role("heading", name="Who lived with them")).to_be_visible()
    axe_check(page)
    screenshot(page, "social-worker-1-child")

    page.get_by_label("Only the most significant").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#chronology-count")).to_contain_text("Showing 2 of")
    axe_check(page)
    page.get_by_role("button", name="Polski").click()
    expect(page.locator("#pattern")).to_contain_text("3 zdarzenia w ciągu 12 miesięcy")
    axe_check(page)
    screenshot(page, "social-worker-2-child-in-polish")


def test_a_reviewer_resolves_a_match_and_can_undo_it(page, live_server, county, axe_check, screenshot):
    sign_in(page, live_server, "triage")
    page.get_by_role("link", name="Match review").click()
    axe_check(page)
    page.get_by_role("link", name=re.compile("ED-R1")).click()
    expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    expect(page.get_by_text("Date of birth: day and month swapped")).to_be_visible()
    axe_check(page)
    screenshot(page, "review-1-side-by-side")
    page.get_by_label("Yes, the same person: merge them").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("Merged: they are now one person")).to_be_visible()
    axe_check(page)
    screenshot(page, "review-2-merged")
    page.get_by_role("button", name=re.compile("^Undo")).first.click()
    expect(page.get_by_text("Merge undone: the two people are separate again")).to_be_visible()
    axe_check(page)


@pytest.mark.parametrize("path, heading", [("/guidance/dash-checklist/", "Lista kontrolna ryzyka DASH"),
                                           ("/guidance/victim-leaflet/", "Przemoc domowa: pomoc i wsparcie")])
def test_printable_guidance_in_polish(page, live_server, directory, no_mfa, axe_check, screenshot, path, heading):
    sign_in(page, live_server, "police")
    page.get_by_role("button", name="Polski").click()
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    axe_check(page)
    screenshot(page, "guidance" + path.rstrip("/").replace("/guidance", "").replace("/", "-") + "-pl")
