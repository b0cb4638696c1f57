"""The person page reads everyone it shows through the access layer, audited together, and reads what is
confidential around its records once for the whole chronology."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.casework import services
from openmash.casework.queries import person as person_module
from openmash.casework.queries.person import ChronologyFilters, person_page
from openmash.identity.queries import person_ids_of_record
from openmash.platform.access import reading
from openmash.platform.domain.access_rules import Decision, Level
from openmash.platform.models import AuditEvent
from openmash.protocol.models import Notification
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



def _words_of(page):
    return sorted((v.record_id, v.said) for v in page.voices)


@pytest.mark.django_db
def test_a_barred_viewers_chronology_withholds_as_record_by_record_with_fewer_reads(directory, tmp_path, monkeypatch):
    """What is confidential around the chronology is read once for all its records, and withholds at least
    what the disclosure filter's own record-by-record look-ups do (a refuge named in a child's words)."""
    refuge = scenario._record(
        "police", "NCH-REF", "da_incident", "2024-12-01T21:00:00+00:00", "2024-12-01T23:00:00+00:00",
        [{**scenario.anna(), "address": scenario.REFUGE}, scenario.amy()], address=scenario.REFUGE,
        details={"dash": scenario.dash(4), "officer_risk": "standard",
                 "children_seen": [{"ref": "c1", "seen": True, "said": "We sleep at 3 Hidden Close now"}]})
    scenario.ingest(tmp_path, extra_history=[scenario.write(tmp_path, "refuge.jsonl", [refuge])])
    child = person_ids_of_record("police", scenario.LIVE_INCIDENT)["c1"]
    school = Decision(True, Level.FULL, ("test",), barred_from_confidential=True, viewer_agency="school")

    def page():
        with (CaptureQueriesContext(connection) as reads_made, transaction.atomic(),
              reading(user("school-nurse"), purpose="test") as reads):
            shown = person_page(child, school, reads, ChronologyFilters(), now=DECIDED)
        return shown, len(reads_made)

    together, statements = page()
    monkeypatch.setattr(person_module, "_confidential_contexts", lambda *_: {})
    one_by_one, statements_one_by_one = page()
    assert ("NCH-REF", "We sleep at [address withheld] now") in _words_of(together)
    assert _words_of(together) == _words_of(one_by_one)
    assert statements < statements_one_by_one


@pytest.mark.django_db
def test_the_pages_compiled_reads_give_what_their_querysets_give(family):
    # Compiled once, run with each person's id: the same rows, converted the same way (sealed and encrypted
    # fields opened), as the queryset built afresh for that person.
    notification = Notification.objects.get(recipient_agency="health_visiting", record__record_id=scenario.LIVE_INCIDENT)
    services.respond_to_notification(notification=notification, text="Home visit done: Lily safe and well.",
                                     user=user("health-visitor"), now=DECIDED)
    people = sorted(set(person_ids_of_record("police", scenario.LIVE_INCIDENT).values()))
    for person_id in [*people, "P-nobody"]:
        for reads in (person_module._MENTIONS, person_module._FROM_HISTORY, person_module._RESPONSES,
                      person_module._ABSORBED):
            assert reads.rows(person_id) == [tuple(r) for r in reads._build(person_id)]
    assert all(person_module._MENTIONS.rows(p) for p in people)
    # The household's reads: lists of addresses, people and mentions.
    keys = sorted({row[13] for p in people for row in person_module._MENTIONS.rows(p) if row[13]})
    assert keys
    for person_id in [*people, "P-nobody"]:
        assert (person_module._HOUSEHOLD_OTHERS.rows(keys, person_id)
                == list(person_module._HOUSEHOLD_OTHERS.queryset(keys, person_id)))
    for some in (people, people[:1], [], [*people, "P-nobody"]):
        assert person_module._STAYS.rows(some) == list(person_module._STAYS.queryset(some))
    assert person_module._STAYS.rows(people)
    pks = sorted(row[0] for p in people for row in person_module._MENTIONS.rows(p))
    assert person_module._MENTION_DATA.rows(pks[:3]) == list(person_module._MENTION_DATA.queryset(pks[:3]))
    assert any("Lily safe and well" in row[4] for p in people for row in person_module._RESPONSES.rows(p))


@pytest.mark.django_db
def test_the_household_others_are_those_the_plain_join_finds(family):
    # On PostgreSQL the stays' mentions are looked up by key (``= ANY(ARRAY(...))``), not joined: the same people.
    from openmash.identity.models import Residence

    keys = sorted(set(Residence.objects.values_list("household_key", flat=True)))
    people = sorted({p for p in Residence.objects.values_list("mention__link__person__person_id", flat=True) if p})
    assert keys and len(people) > 1
    for person_id in people:
        for chosen in (keys, keys[:1], keys[-2:]):
            joined = {o for (o,) in Residence.objects.filter(household_key__in=chosen, mention__active=True,
                                                             mention__record__withdrawn=False)
                      .exclude(mention__link__person__person_id=person_id)
                      .values_list("mention__link__person__person_id") if o}
            found = {o for (o,) in person_module._HOUSEHOLD_OTHERS.rows(chosen, person_id) if o}
            assert found == joined and person_id not in found
