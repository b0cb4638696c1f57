"""The person page reads everyone it shows through the access layer, audited together."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from openmash.identity.queries import person_ids_of_record
from openmash.platform.models import AuditEvent
from tests.casework import scenario
from tests.casework.test_services import user


@pytest.fixture
def family(directory, no_mfa, tmp_path):
    scenario.ingest(tmp_path)


@pytest.mark.django_db
def test_the_childs_page_audits_the_child_and_each_household_member_shown_in_one_write(family):
    child = person_ids_of_record("police", scenario.LIVE_INCIDENT)["c1"]
    client = Client()
    client.force_login(user("social-worker"))
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = client.get(reverse("web:person", args=[child]))
    assert response.status_code == 200 and "Anna Nowak" in response.content.decode()
    reads = list(AuditEvent.objects.filter(seq__gt=last, action="person.read").order_by("seq"))
    assert (reads[0].object_id, reads[0].purpose) == (child, "chronology")
    members = reads[1:]
    assert members and {r.purpose for r in members} == {"household composition"}
    assert child not in {r.object_id for r in members}
    assert len({r.at for r in reads}) == 1  # one write as the page's reads end

