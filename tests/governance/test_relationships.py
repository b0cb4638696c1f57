"""Legitimate relationships on the database: notifications to the team, own records, triage/MARAC, merges."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from openmash.accounts.models import Team, User
from openmash.identity.models import Person
from openmash.platform.access import decide, resolve_person, viewer_for
from openmash.platform.domain.access_rules import Level
from tests.governance.scenario import ingest, linking, notify, person, pid, rec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def world(settings, directory):
    linking(settings)
    ingest(
        rec("DA-1", agency="police", kind="da_incident", people=[
            person("v", "victim", "Anna", "Kowalska", "1990-02-03"),
            person("p", "perpetrator", "Jan", "Kowalski", "1988-05-06"),
            person("c", "child_present", "Zofia", "Kowalska", "2020-07-08"),
        ]),
        rec("HV-9", agency="health_visiting", kind="hv_contact", people=[
            person("s", "subject", "Olek", "Nowak", "2023-01-01")]),
    )


def who(username):
    return viewer_for(User.objects.get(username=username))


def test_a_notification_to_the_default_team_grants_its_content_level():
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", level="health", subjects=[("c", child)])
    decision = decide(who("health-visitor"), child)
    assert (decision.allowed, decision.level) == (True, Level.HEALTH)
    assert not decide(who("health-visitor"), pid("police", "DA-1", "v")).allowed  # not a subject


def test_a_notification_to_another_team_of_the_agency_grants_nothing():
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", team="north", level="full", subjects=[("c", child)])
    assert not decide(who("health-visitor"), child).allowed


def test_a_notification_to_another_agency_grants_nothing():
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", level="full", subjects=[("c", child)])
    assert not decide(who("school-nurse"), child).allowed


def test_a_withdrawn_notification_grants_nothing():
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", level="full", subjects=[("c", child)], withdrawn=True)
    assert not decide(who("health-visitor"), child).allowed


def test_the_person_id_prefix_of_another_never_matches():
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", level="full", subjects=[("c", child + "0")])
    assert not decide(who("health-visitor"), child).allowed


def test_own_records_give_full_for_that_agency_only():
    victim = pid("police", "DA-1", "v")
    decision = decide(who("police"), victim)
    assert decision.allowed
    assert decision.level_for("police") == Level.FULL
    assert decision.level_for("csc") == Level.NONE
    assert decision.identity_level >= Level.MINIMAL


def test_a_manager_sees_what_the_teams_they_manage_were_sent():
    manager = User.objects.get(username="manager")
    Team.objects.filter(agency__code="health_visiting", code="").update(manager=manager)
    manager.team = Team.objects.get(agency__code="health_visiting", code="")
    manager.save()
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", team=None, level="health", subjects=[("c", child)])
    assert decide(viewer_for(User.objects.get(username="manager")), child).level == Level.HEALTH


def test_a_front_door_manager_without_triage_sees_the_escalations_addressed_to_their_manager_team():
    # The directory's front-door manager holds team ``manager:front_door``; csc's default team escalates to
    # plain ``manager`` and a notification to the manager team escalates to ``manager:manager:front_door``.
    manager = User.objects.get(username="manager")
    manager.memberships.exclude(role="team_manager").delete()
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="csc", team="manager", level="full", subjects=[("c", child)])
    assert decide(viewer_for(User.objects.get(username="manager")), child).level == Level.FULL
    assert not decide(who("social-worker"), child).allowed  # the front door's practitioners were not sent it


def test_triage_sees_everyone_in_an_incident_routed_to_csc_in_full():
    child, perpetrator = pid("police", "DA-1", "c"), pid("police", "DA-1", "p")
    notify("police", "DA-1", to="csc", team="elsewhere", level="full", subjects=[("c", child)])
    assert decide(who("triage"), perpetrator).level == Level.FULL  # named in the incident, not a subject
    assert not decide(who("social-worker"), perpetrator).allowed  # practitioner: team not notified
    assert not decide(who("marac"), perpetrator).allowed


def test_a_marac_coordinator_sees_people_in_incidents_routed_to_marac():
    victim = pid("police", "DA-1", "v")
    notify("police", "DA-1", to="marac", level="full", subjects=[("v", victim)])
    assert decide(who("marac"), victim).level == Level.FULL
    assert not decide(who("triage"), victim).allowed


@pytest.mark.parametrize("username", ["analyst", "admin"])
def test_analysts_and_administrators_never_see_a_person(username):
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="csc", team="audit", level="full", subjects=[("c", child)])
    assert not decide(who(username), child).allowed


def test_an_auditor_sees_people_who_exist_and_nobody_else():
    assert decide(who("auditor"), pid("police", "DA-1", "c")).allowed
    assert not decide(who("auditor"), "P9999999").allowed


def test_a_notification_naming_a_since_merged_id_still_counts():
    child = pid("police", "DA-1", "c")
    other = pid("health_visiting", "HV-9", "s")
    notify("police", "DA-1", to="health_visiting", level="health", subjects=[("c", other)])
    Person.objects.filter(person_id=other).update(merged_into=Person.objects.get(person_id=child))
    assert resolve_person(other) == child
    assert decide(who("health-visitor"), child).level == Level.HEALTH


def test_a_disabled_user_sees_nothing():
    child = pid("police", "DA-1", "c")
    notify("police", "DA-1", to="health_visiting", level="full", subjects=[("c", child)])
    User.objects.filter(username="health-visitor").update(is_active=False)
    assert not decide(who("health-visitor"), child).allowed


# --- deciding several people at once gives each the decision they get alone ---------------------------------

USERNAMES = ("health-visitor", "school-nurse", "police", "triage", "social-worker", "manager", "marac", "auditor")
REFS = (("police", "DA-1", "v"), ("police", "DA-1", "p"), ("police", "DA-1", "c"), ("health_visiting", "HV-9", "s"))


def _world(draw):
    """Relationship facts drawn at random over the fixture's four people: notifications (any agency, team,
    level, subjects, withdrawn or not), alerts, break-glass grants, open match reviews and merges."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    from openmash.governance.models import BreakGlassGrant
    from openmash.identity.models import MatchReview
    from openmash.intake.models import Mention
    from openmash.protocol.models import Alert

    people = [pid(*ref) for ref in REFS]
    agencies = st.sampled_from(["health_visiting", "csc", "marac", "police", "school"])
    teams = st.sampled_from([None, "", "north", "manager", "front_door"])
    for _ in range(draw(st.integers(0, 4))):
        subjects = draw(st.lists(st.sampled_from([ref[2] for ref in REFS[:3]]), max_size=3, unique=True))
        notify("police", "DA-1", to=draw(agencies), team=draw(teams),
               level=draw(st.sampled_from(["minimal", "health", "full"])), withdrawn=draw(st.booleans()),
               subjects=[(ref, pid("police", "DA-1", ref)) for ref in subjects])
    now = timezone.now()
    version = Mention.objects.filter(record__record_id="DA-1").first().version
    for _ in range(draw(st.integers(0, 2))):
        Alert.objects.create(alert_id=str(uuid.uuid4()), created_at=now, kind="TEST",
                             person_id_then=draw(st.sampled_from(people)), recipient_agency=draw(agencies),
                             recipient_team=draw(teams), source_version=version)
    for _ in range(draw(st.integers(0, 2))):
        user = User.objects.get(username=draw(st.sampled_from(USERNAMES)))
        BreakGlassGrant.objects.create(user=user, username=user.username, agency="x", person_id=draw(st.sampled_from(
            people)), reason_code="other", reason_text="t" * 20, granted_at=now - dt.timedelta(hours=1),
            expires_at=now + dt.timedelta(hours=draw(st.sampled_from([-1, 1]))))
    if draw(st.booleans()):
        MatchReview.objects.create(mention=Mention.objects.filter(record__record_id="HV-9").first(),
                                   person=Person.objects.get(person_id=people[3]),
                                   candidate=Person.objects.get(person_id=draw(st.sampled_from(people[:3]))),
                                   probability=0.5)
    if draw(st.booleans()):  # the health visitor's subject turns out to be the child, or the perpetrator
        into = draw(st.sampled_from(people[1:3]))
        Person.objects.filter(person_id=people[3]).update(merged_into=Person.objects.get(person_id=into))
    return people


@examples(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_people_decided_together_get_exactly_the_decision_each_gets_alone(data):
    from django.db import transaction

    from openmash.intake.models import Mention
    from openmash.platform import access

    with transaction.atomic():  # each example's world is undone after it
        people = _world(data.draw)
        unlinked = f"U{Mention.objects.filter(record__record_id='HV-9').first().pk}"
        asked = data.draw(st.lists(st.sampled_from([*people, "P9999999", unlinked, "U1"]), min_size=1, max_size=6))
        viewer = who(data.draw(st.sampled_from(USERNAMES)))
        together = access._decide_many(viewer, asked)
        alone = {person_id: access._decide_many(viewer, [person_id])[person_id] for person_id in asked}
        transaction.set_rollback(True)
    assert together == alone


def test_a_household_is_decided_in_as_many_statements_as_one_person():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openmash.platform import access

    people = [pid(*ref) for ref in REFS]
    viewer = who("triage")
    with CaptureQueriesContext(connection) as one:
        access._decide_many(viewer, people[:1])
    with CaptureQueriesContext(connection) as four:
        decided = access._decide_many(viewer, people)
    assert len(four.captured_queries) == len(one.captured_queries)
    assert decided == {p: access._decide_many(viewer, [p])[p] for p in people}


# --- the compiled statements decide exactly as the querysets built afresh ----------------------------------


@examples(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_compiled_decisions_are_those_of_the_querysets_built_afresh(data, monkeypatch):
    from django.db import transaction

    from openmash.governance import relationships
    from openmash.governance.breakglass import live_grants
    from openmash.identity import queries
    from openmash.intake.models import Mention
    from openmash.platform import access, compiled

    with transaction.atomic():
        people = _world(data.draw)
        unlinked = f"U{Mention.objects.filter(record__record_id='HV-9').first().pk}"
        asked = data.draw(st.lists(st.sampled_from([*people, "P9999999", unlinked, "U1"]), min_size=1, max_size=6))
        viewer = who(data.draw(st.sampled_from(USERNAMES)))
        compiled_decisions = access._decide_many(viewer, asked)
        facts = relationships.relationships_many(viewer, asked)
        merges = (queries.standing_person_ids_compiled(asked), queries.merged_aliases_compiled(asked))
        built_merges = (queries.standing_person_ids(asked), queries.merged_aliases(asked))
        with monkeypatch.context() as off:
            off.setattr(compiled, "ENABLED", False)
            built_decisions = access._decide_many(viewer, asked)
            built_facts = relationships.relationships_many(viewer, asked)
        # Break-glass: the governance rule itself, as it was read before (time compared in the statement).
        ids = relationships.aliases_many(asked)
        live = set(relationships._holding(ids, live_grants(viewer.username, relationships._everyone(ids))))
        transaction.set_rollback(True)
    assert compiled_decisions == built_decisions
    assert facts == built_facts
    assert {p for p, found in facts.items() if any(f.kind == "break_glass" for f in found)} == live
    assert merges == built_merges


def test_a_decision_builds_no_statement_the_second_time(monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    from openmash.platform import access

    people = [pid(*ref) for ref in REFS]
    viewer = who("social-worker")
    access._decide_many(viewer, people[:2])
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self) or as_sql(self, *a, **k))
    access._decide_many(viewer, people[2:])  # other people, as many
    assert compiled == []
