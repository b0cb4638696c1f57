"""The person page reads everyone it shows through the access layer, audited together; its long lists
(the records behind a home, open plans) render escaped and folded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from openmash.casework.templatetags.casework_tags import SOURCES_SHOWN, open_span_items, record_refs
from openmash.identity.queries import person_ids_of_record
from openmash.platform.models import AuditEvent
from tests.casework import scenario
from tests.casework.test_services import DECIDED, user


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


def test_a_homes_records_fold_away_past_the_first_few_and_are_escaped():
    few = str(record_refs([("police", "R1"), ("csc", "<b>")]))
    assert "R1" in few and "&lt;b&gt;" in few and "<details" not in few
    many = str(record_refs([("police", f"R{i}") for i in range(SOURCES_SHOWN + 3)]))
    shown, folded = many.split("<details", 1)
    assert f"R{SOURCES_SHOWN - 1}," in shown and f"R{SOURCES_SHOWN}" not in shown
    assert f"{SOURCES_SHOWN + 3} records in all" in folded and f"R{SOURCES_SHOWN + 2}" in folded


def test_open_plans_read_kind_agency_since_and_facts_escaped():
    entry = SimpleNamespace(kind="cp_plan", agency="csc", occurred_at=DECIDED, facts=[("category", "<neglect>")])
    html = str(open_span_items([entry]))
    assert html.startswith("<li>") and "since 4 Mar 2025" in html and "&lt;neglect&gt;" in html
