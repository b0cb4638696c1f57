"""Search on the database: only people the user may see; the rest "known to other agencies"; always audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied

from openmash.accounts.models import User
from openmash.governance.domain.search_rules import SearchQuery
from openmash.governance.search import search_people
from openmash.platform.models import AuditEvent
from tests.governance.scenario import ingest, linking, notify, person, pid, rec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def world(settings, directory):
    linking(settings)
    ingest(rec("DA-1", agency="police", kind="da_incident", people=[
        person("v", "victim", "Anna", "Kowalska", "1990-02-03", nhs_number="9990000026"),
        person("c", "child_present", "Zofia", "Kowalska", "2020-07-08"),
    ]))


def test_a_person_the_team_was_told_about_is_found_by_a_misspelt_name():
    notify("police", "DA-1", to="health_visiting", subjects=[("c", pid("police", "DA-1", "c"))])
    outcome = search_people(User.objects.get(username="health-visitor"),
                            SearchQuery(given_names="Zosia", family_name="Kowalski"))
    assert [h.person_id for h in outcome.hits] == [pid("police", "DA-1", "c")]
    assert outcome.hits[0].given_names == "Zofia"


def test_someone_known_elsewhere_is_never_shown_only_counted():
    user = User.objects.get(username="health-visitor")
    outcome = search_people(user, SearchQuery(nhs_number="9990000026"))
    assert outcome.hits == [] and len(outcome.withheld) == 1 and len(outcome.withheld_strong) == 1
    event = AuditEvent.objects.get(action="person.search")
    assert event.details == {"fields": ["nhs_number"], "problems": [], "shown": [], "withheld": 1}
    assert "9990000026" not in json.dumps(event.details) and "Anna" not in json.dumps(event.details)


def test_every_search_is_audited_even_a_refused_one():
    search_people(User.objects.get(username="police"), SearchQuery(family_name="Kowalska"))
    assert AuditEvent.objects.get(action="person.search").details["problems"] == ["too_few_criteria"]


def test_own_agency_records_are_found():
    outcome = search_people(User.objects.get(username="police"),
                            SearchQuery(family_name="Kowalska", date_of_birth=dt.date(1990, 2, 3)))
    assert [h.person_id for h in outcome.hits] == [pid("police", "DA-1", "v")]


@pytest.mark.parametrize("username", ["analyst", "admin"])
def test_roles_that_never_see_a_person_cannot_search(username):
    with pytest.raises(PermissionDenied):
        search_people(User.objects.get(username=username), SearchQuery(nhs_number="9990000026"))
