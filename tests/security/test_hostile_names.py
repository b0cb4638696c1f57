"""Hostile names and narratives are stored exactly and rendered inert on every page (real browser)."""

from __future__ import annotations

import json

import pytest

from openmash.intake.models import Mention, Quarantine, RecordVersion
from openmash.intake.services import ingest_items
from openmash.platform.audit import Actor
from tests.governance.scenario import ingest, linking, notify, person, pid, rec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SCRIPT = '<script>window.__pwned = 1</script>'
IMG = '"><img src=x id=pwned onerror="window.__pwned=1">'
SQL = "Robert'); DROP TABLE intake_record;--"
RTL = "\u202eevil\u202c Smith"
EMOJI = "Zoë 🦄👨‍👩‍👧"
LONG = "A" * 10_000
NARRATIVE = f"{SCRIPT} {IMG} {SQL} {RTL} {EMOJI} " + "B" * 10_000


@pytest.fixture
def hostile(settings, directory, no_mfa):
    linking(settings)
    ingest(rec("HOST-1", agency="police", kind="da_incident", narrative=NARRATIVE, details={
        "officer_rationale": IMG, "children_seen": [{"ref": "c", "seen": True, "said": SCRIPT}]}, people=[
        person("c", "child_present", SCRIPT, IMG, "2021-01-01"),
        person("v", "victim", SQL, RTL, "1990-01-01"),
        person("o", "other_adult", EMOJI, "O'Brien-Łukasiewicz", "1980-01-01"),
    ]))
    # The contract caps names at 200 characters and never truncates: the line is quarantined, byte for byte.
    report = ingest_items([rec("HOST-2", agency="police", kind="police_incident",
                               people=[person("l", "subject", LONG, LONG, "1980-01-01")])],
                          source="hostile", actor=Actor.system("test"))
    assert report.quarantined == 1
    child, victim, other = (pid("police", "HOST-1", r) for r in "cvo")
    notify("police", "HOST-1", to="health_visiting", level="full", subjects=[("c", child), ("v", victim)])
    return child, victim, other


def test_hostile_values_are_stored_exactly(hostile):
    data = {m.ref: m.data for m in Mention.objects.filter(record__record_id="HOST-1")}
    assert (data["c"]["given_names"], data["c"]["family_name"]) == (SCRIPT, IMG)
    assert (data["v"]["given_names"], data["v"]["family_name"]) == (SQL, RTL)
    assert (data["o"]["given_names"], data["o"]["family_name"]) == (EMOJI, "O'Brien-Łukasiewicz")
    assert RecordVersion.objects.get(record__record_id="HOST-1").data["narrative"] == NARRATIVE
    quarantined = json.loads(Quarantine.objects.get(record_id="HOST-2").raw_text)
    assert quarantined["people"][0]["given_names"] == LONG


def test_hostile_values_render_inert_on_every_page(page, live_server, hostile):
    child, victim, _ = hostile
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("health-visitor")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    visited = []
    for path in (f"/people/{child}/", f"/people/{victim}/", "/inbox/", "/incidents/police/HOST-1/"):
        page.goto(f"{live_server.url}{path}")
        visited.append((path, page.title()))
        _assert_inert(page)
    page.goto(f"{live_server.url}/people/search/")
    page.get_by_label("Family name").fill(RTL)
    page.get_by_label("Given names").fill(SQL)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    _assert_inert(page)
    assert SQL in page.content().replace("&#x27;", "'").replace("&#39;", "'")  # shown, as text
    person_page = page.goto(f"{live_server.url}/people/{child}/")
    assert person_page is not None and person_page.status == 200
    assert SCRIPT in page.inner_text("body")  # the name is shown as the text it is
    assert dialogs == []


def _assert_inert(page) -> None:
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('#pwned, img[src=\"x\"]').length") == 0
    assert page.evaluate("() => [...document.scripts].every(s => s.src && !s.text.includes('__pwned'))")
