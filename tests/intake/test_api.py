"""``POST /api/v1/records``: token auth, per-item results, own-agency rule, published schema."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from openmash.accounts.models import Agency
from openmash.intake.models import AgencySystemToken, Quarantine, Record
from tests.intake.records import record

pytestmark = pytest.mark.django_db
URL = "/api/v1/records"


@pytest.fixture
def police_key():
    agency, _ = Agency.objects.get_or_create(code="police", defaults={"name": "County Police"})
    _, key = AgencySystemToken.issue(agency=agency, name="niche")
    return key


def post(body, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return Client().post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_it_stores_each_item_and_answers_per_item(police_key):
    response = post([record("A"), record("A"), record("B", kind="nope"),
                     record("C", version=2, recorded_at="2024-12-03T00:00:00Z")], police_key)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"], r["outcome"]) for r in results] == [
        (0, 201, "new"), (1, 200, "duplicate"), (2, 422, "quarantined"), (3, 201, "new")]
    assert "unknown kind 'nope'" in results[2]["problems"][0]
    assert Record.objects.get(record_id="A").current.source_file == "api:police:niche"
    assert Quarantine.objects.get().record_id == "B"


def test_a_token_may_only_send_its_own_agencys_records(police_key):
    response = post([record("A", agency="csc", kind="csc_contact"), record("B")], police_key)
    results = response.json()["results"]
    assert [(r["status"], r["outcome"]) for r in results] == [(403, "forbidden"), (201, "new")]
    assert results[0]["problems"] == ["this token may submit only police records"]
    assert not Record.objects.filter(agency="csc").exists() and not Quarantine.objects.exists()


def test_it_refuses_without_a_valid_token(police_key):
    assert post([record("A")]).status_code == 401
    assert post([record("A")], "omk_wrong").status_code == 401
    AgencySystemToken.objects.update(revoked_at="2024-01-01T00:00:00Z")
    assert post([record("A")], police_key).status_code == 401
    assert not Record.objects.exists()


def test_an_unreadable_item_is_quarantined_for_the_sending_agency(police_key):
    from openmash.intake.models import DataQualityTask

    results = post(["not a record"], police_key).json()["results"]
    assert results[0]["status"] == 422 and results[0]["agency"] is None
    assert Quarantine.objects.get().agency == "police" and DataQualityTask.objects.get().agency == "police"


def test_the_body_must_be_an_array(police_key):
    assert post(record("A"), police_key).status_code == 400


def test_only_the_hash_of_a_token_is_stored(police_key):
    token = AgencySystemToken.objects.get()
    assert police_key not in token.key_hash and token.key_hash == AgencySystemToken.hash_key(police_key)
    assert token.last_used_at is None
    post([record("A")], police_key)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_openapi_schema_publishes_the_endpoint():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/records" in body and "submit_records" in body and "bearer" in body.lower()


def test_tokens_are_issued_listed_and_revoked_from_the_command_line():
    import io

    from django.core.management import call_command

    Agency.objects.get_or_create(code="csc", defaults={"name": "Children's social care"})
    out = io.StringIO()
    call_command("agency_token", "issue", "csc", "mosaic", stdout=out)
    key = out.getvalue().rsplit(" ", 1)[1].strip()
    response = post([record("A", agency="csc", kind="csc_contact")], key)
    assert response.json()["results"][0]["status"] == 201
    token = AgencySystemToken.objects.get(name="mosaic")
    call_command("agency_token", "revoke", str(token.pk), stdout=io.StringIO())
    assert post([record("B", agency="csc", kind="csc_contact")], key).status_code == 401
    listing = io.StringIO()
    call_command("agency_token", "list", stdout=listing)
    assert "csc" in listing.getvalue() and "revoked" in listing.getvalue() and key not in listing.getvalue()
