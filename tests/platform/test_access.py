"""The access layer: foreign and absent people look the same, and every granted read is audited."""

from __future__ import annotations

import pytest
from django.db import transaction

from openmash.accounts.models import User
from openmash.platform import access
from openmash.platform.domain.access_rules import Level, Relationship, Viewer
from openmash.platform.models import AuditEvent


@pytest.fixture
def provider(db):
    def notified(viewer, person_id):
        if viewer.agency == "health_visiting" and person_id == "P1":
            yield Relationship("notification", Level.HEALTH)

    access.register_relationship_provider(notified)
    from openmash.identity.models import Person

    Person.objects.create(person_id="P1")
    yield
    access._providers.remove(notified)


@pytest.mark.django_db
def test_a_foreign_person_and_a_missing_person_raise_the_same_not_found(directory, provider):
    nurse = User.objects.get(username="school-nurse")
    with pytest.raises(access.NotFound) as foreign, transaction.atomic():
        access.access_person(nurse, "P1", purpose="test")
    with pytest.raises(access.NotFound) as missing, transaction.atomic():
        access.access_person(nurse, "P-does-not-exist", purpose="test")
    assert str(foreign.value) == str(missing.value)


@pytest.mark.django_db
def test_a_granted_read_writes_an_audit_row(directory, provider):
    visitor = User.objects.get(username="health-visitor")
    with transaction.atomic():
        decision = access.access_person(visitor, "P1", purpose="notification")
    assert decision.level == Level.HEALTH
    event = AuditEvent.objects.get(action="person.read")
    assert (event.actor, event.object_id, event.team) == ("health-visitor", "P1", "health_visiting/")


@pytest.mark.django_db
def test_anonymous_users_are_refused():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(access.NotFound), transaction.atomic():
        access.access_person(AnonymousUser(), "P1", purpose="x")


@pytest.fixture
def three_people(db):
    """P1 and P2 are the health visitor's (a notification each); P3 is nobody's."""

    def notified(viewer, person_id):
        if viewer.agency == "health_visiting" and person_id in {"P1", "P2"}:
            yield Relationship("notification", Level.HEALTH)

    access.register_relationship_provider(notified)
    from openmash.identity.models import Person

    for person_id in ("P1", "P2", "P3"):
        Person.objects.create(person_id=person_id)
    yield
    access._providers.remove(notified)


@pytest.mark.django_db
def test_a_page_reading_several_people_audits_each_granted_one_when_it_is_done(directory, three_people):
    visitor = User.objects.get(username="health-visitor")
    with transaction.atomic(), access.reading(visitor, purpose="chronology") as reads:
        reads.person("P1")
        shown = reads.people(["P2", "P3", "P2"], purpose="household composition")
        assert not AuditEvent.objects.filter(action="person.read").exists()  # written as the page ends
    assert set(shown) == {"P2"}
    rows = list(AuditEvent.objects.filter(action="person.read").order_by("seq"))
    assert [(r.object_id, r.purpose) for r in rows] == [("P1", "chronology"), ("P2", "household composition")]
    assert rows[0].at == rows[1].at and rows[1].seq == rows[0].seq + 1


@pytest.mark.django_db
def test_a_refused_person_in_a_page_reading_is_not_found_and_nothing_is_written(directory, three_people):
    visitor = User.objects.get(username="health-visitor")
    with pytest.raises(access.NotFound), transaction.atomic(), access.reading(visitor, purpose="look") as reads:
        reads.person("P1")
        reads.person("P3")
    assert not AuditEvent.objects.filter(action="person.read").exists()


def test_batch_forms_decide_a_pages_people_in_one_call_each_with_the_same_answers(monkeypatch):
    calls = []

    def notified(viewer, person_id):
        calls.append(("one", person_id))
        return [Relationship("notification", Level.HEALTH)] if person_id in {"P1", "P2"} else []

    def notified_many(viewer, person_ids):
        calls.append(("many", tuple(person_ids)))
        return {p: notified(viewer, p) for p in person_ids} | {"P9": [Relationship("notification", Level.FULL)]}

    def resolve(person_id):
        return {"P1": "P1", "P2": "P2", "P3": "P3", "OLD": "P1"}.get(person_id)

    def resolve_many(person_ids):
        calls.append(("resolve", tuple(person_ids)))
        return {p: resolve(p) for p in person_ids}

    monkeypatch.setattr(access, "_providers", [notified])
    monkeypatch.setattr(access, "_resolvers", [resolve])
    monkeypatch.setattr(access, "_many_providers", {notified: notified_many})
    monkeypatch.setattr(access, "_many_resolvers", {resolve: resolve_many})
    viewer = Viewer(username="hv", agency="health_visiting", team="", roles=frozenset({access.Role.PRACTITIONER}))
    ids = ["P1", "P2", "P3", "OLD", "nobody"]
    together = access._decide_many(viewer, ids)
    assert [c[0] for c in calls] == ["resolve", "many", "one", "one", "one"]  # one batch call for the page
    assert calls[1] == ("many", ("P1", "P2", "P3"))  # each person once, under the id they stand under now
    assert {i: d.allowed for i, (_c, d) in together.items()} == {
        "P1": True, "P2": True, "P3": False, "OLD": True, "nobody": False}
    monkeypatch.setattr(access, "_many_providers", {})
    monkeypatch.setattr(access, "_many_resolvers", {})
    assert {i: access._decide(viewer, i) for i in ids} == together
