"""The governance pages through the test client: capabilities, search with break-glass, audit of reads, SAR."""

from __future__ import annotations

import pytest

from openmash.accounts.models import RoleMembership, User
from openmash.platform.models import AuditEvent
from tests.governance.scenario import ingest, linking, person, pid, rec

pytestmark = pytest.mark.django_db
WHY = "Child reported missing; need last known addresses now"


@pytest.fixture(autouse=True)
def world(settings, directory, no_mfa):
    linking(settings)
    ingest(rec("DA-1", agency="police", kind="da_incident", people=[
        person("c", "child_present", "Zofia", "Kowalska", "2020-07-08", nhs_number="9990000026")]))


def signed_in(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_search_offers_break_glass_for_a_strong_match_and_the_grant_opens_the_person(client):
    signed_in(client, "health-visitor")
    page = client.post("/people/search/", {"nhs_number": "999 000 0026"})
    body = page.content.decode()
    assert page.status_code == 200 and "Known to other agencies — request access" in body
    assert "Zofia" not in body and pid("police", "DA-1", "c") not in body
    token = page.context["request_token"]
    form = client.get(f"/break-glass/request/{token}/")
    assert form.status_code == 200
    done = client.post(f"/break-glass/request/{token}/",
                       {"reason_code": "missing_person", "reason_text": WHY, "confirm": "on"})
    assert done.status_code == 302
    assert AuditEvent.objects.filter(action="break_glass.grant", break_glass=True).exists()
    assert client.get(f"/break-glass/request/{token}/").status_code == 404  # one-off


def test_a_made_up_break_glass_reference_is_not_found(client):
    signed_in(client, "health-visitor")
    assert client.get("/break-glass/request/made-up/").status_code == 404


@pytest.mark.parametrize("url", ["/governance/break-glass/", "/governance/audit/", "/governance/subject-access/",
                                 "/governance/break-glass/1/", "/governance/subject-access/1/",
                                 "/governance/subject-access/1/pack/"])
@pytest.mark.parametrize("username", ["triage", "health-visitor", "analyst", "admin", "police"])
def test_governance_pages_are_for_ig_leads_only(client, url, username):
    assert signed_in(client, username).get(url).status_code == 403


def test_the_auditor_sees_who_read_a_person_and_the_lookup_is_audited(client):
    child = pid("police", "DA-1", "c")
    signed_in(client, "health-visitor").post("/people/search/", {"nhs_number": "9990000026"})
    signed_in(client, "police").post("/people/search/", {"nhs_number": "9990000026"})
    page = signed_in(client, "auditor").get("/governance/audit/", {"person_id": child})
    assert page.status_code == 200
    assert [e.actor for e in page.context["events"]] == ["police"]  # shown to police only (own record)
    assert AuditEvent.objects.filter(action="audit.query", actor="auditor", object_id=child).exists()


def test_sar_pages_enforce_two_people(client):
    second = User.objects.create_user("ig-two", password="x" * 16)
    RoleMembership.objects.create(user=second, role="auditor")
    child = pid("police", "DA-1", "c")
    made = signed_in(client, "auditor").post("/governance/subject-access/", {
        "person_id": child, "requester_reference": "SAR-1", "received_on": "2025-01-02"})
    assert made.status_code == 302
    detail = made.url
    assert "Record decision" not in client.get(detail).content.decode()
    refused = client.post(detail, {"decision": "approve"})
    assert "cannot approve" in refused.content.decode()
    signed_in(client, "ig-two").post(detail, {"decision": "approve"})
    pack = client.get(detail + "pack/")
    assert pack.status_code == 200 and "Zofia" in pack.content.decode()
    assert AuditEvent.objects.filter(action="sar.release", actor="ig-two").exists()
