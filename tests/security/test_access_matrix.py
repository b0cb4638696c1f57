"""Every URL pattern × every role × {foreign objects, non-existent}: no foreign object is ever served, and a
foreign object cannot be told from a non-existent one (same status, same body once ids are masked).

The URL map is walked from the resolver, so a new page is covered the day it lands; a page with a URL
parameter this test cannot fill fails the test until the parameter is given object classes here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from openmash.accounts.models import User
from tests.security.world import NOT_THERE, build, foreign_people

pytestmark = pytest.mark.django_db(transaction=False)

USERS = ["triage", "manager", "social-worker", "health-visitor", "school-nurse", "police", "marac", "probation",
         "analyst", "auditor", "admin"]
SKIP_NAMESPACES = {"admin"}
#: Patterns without personal data or without an object: checked for "no 5xx" only.
SKIP_NAMES = {"set_language", "api-schema"}


@dataclass(frozen=True)
class Route:
    name: str  # namespaced
    params: tuple[str, ...]


def routes() -> list[Route]:
    out: list[Route] = []

    def walk(patterns: list, namespace: str, inherited: tuple[str, ...]) -> Iterator[None]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                if (p.namespace or "") in SKIP_NAMESPACES:
                    continue
                yield from walk(p.url_patterns, ns, inherited + tuple(p.pattern.converters))
            elif isinstance(p, URLPattern) and p.name and p.name not in SKIP_NAMES:
                name = f"{namespace}:{p.name}" if namespace else p.name
                out.append(Route(name, inherited + tuple(p.pattern.converters)))
        return
        yield

    list(walk(get_resolver().url_patterns, "", ()))
    return sorted(set(out), key=lambda r: r.name)


def _mask(body: str, values: list[str]) -> str:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    body = re.sub(r'nonce="[^"]*"', "", body)
    for value in sorted(values, key=len, reverse=True):
        body = body.replace(value, "<ID>")
    return body


def cases(route: Route, world, username: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(foreign kwargs, non-existent kwargs) for one route and user."""
    p = set(route.params)
    people = world.people
    records = {"Q": ("housing", "TEN-Q"), "M": ("housing", "TEN-M"), "R": ("housing", "TEN-R"),
               "S": ("housing", "TEN-S")}
    foreign_keys = foreign_people(username)
    if p == {"person_id"}:
        return [{"person_id": people[k]} for k in foreign_keys], {"person_id": NOT_THERE}
    if p == {"agency", "record_id"}:
        return ([{"agency": records[k][0], "record_id": records[k][1]} for k in foreign_keys if k in records],
                {"agency": "housing", "record_id": "TEN-NONE"})
    if p == {"notification_id"}:
        foreign = [{"notification_id": world.notifications[k]} for k in ("R", "S") if k in foreign_keys]
        return foreign, {"notification_id": world.notifications["none"]}
    if p == {"challenge_id"}:  # a challenge of a decision on a record naming someone foreign to the user
        foreign = [{"challenge_id": str(_challenge_on("housing", records[k][1]))} for k in foreign_keys if k in records]
        return foreign, {"challenge_id": "999999"}
    if p == {"token"}:
        return [], {"token": "not-a-token"}
    if p <= {"pk", "review_id", "event_id", "task_id"}:
        key = next(iter(p))
        foreign = []
        if route.name == "governance:break-glass-granted" and username != "triage":
            foreign = [{key: str(world.grants["Q"])}]
        if route.name == "web:data-quality-task" and username not in {"triage", "manager"}:
            foreign = [{key: str(_data_quality_task())}]  # a quarantined police line: the front door's only
        return foreign, {key: "999999"}
    raise AssertionError(f"{route.name}: give the URL parameters {sorted(p)} object classes in this test")


def _data_quality_task() -> int:
    import datetime as dt

    from openmash.intake.models import DataQualityTask, Quarantine

    at = dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC)
    line, _ = Quarantine.objects.get_or_create(
        source_file="police.jsonl", line=1, raw_sha256="0" * 64,
        defaults={"agency": "police", "record_id": "DA-BAD", "kind": "da_incident", "problems": ["bad date"],
                  "raw": b'{"record_id": "DA-BAD"}', "received_at": at, "live": True})
    task, _ = DataQualityTask.objects.get_or_create(quarantine=line, defaults={
        "kind": DataQualityTask.Kind.QUARANTINED_SAFEGUARDING_RECORD, "agency": "police", "created_at": at,
        "due_at": at + dt.timedelta(hours=1)})
    return task.pk


def _challenge_on(agency: str, record_id: str) -> int:
    """A challenged front-door decision on this record (the rows only: what the resolve page reads)."""
    import datetime as dt

    from openmash.casework.models import Challenge, ThresholdDecision
    from openmash.intake.models import Record

    at = dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC)
    decision, _ = ThresholdDecision.objects.get_or_create(
        record=Record.objects.get(agency=agency, record_id=record_id),
        defaults={"outcome": "nfa", "rationale": "No further action is needed.", "decided_at": at,
                  "decided_by": "triage", "decided_in": "csc/"})
    challenge, _ = Challenge.objects.get_or_create(decision=decision, defaults={
        "reason": "We disagree with this decision.", "raised_at": at, "raised_by": "housing",
        "raised_by_agency": agency})
    return challenge.pk


@pytest.fixture
def world(settings, directory, no_mfa):
    return build(settings)


def test_every_pattern_is_walked():
    names = {r.name for r in routes()}
    assert {"web:person", "web:incident", "governance:search", "governance:sar"} <= names


@pytest.mark.parametrize("username", USERS)
def test_foreign_objects_are_never_served_and_look_absent(client, world, username):
    client.force_login(User.objects.get(username=username))
    problems = []
    for route in routes():
        if not route.params:
            for method in ("get",):
                status = getattr(client, method)(reverse(route.name)).status_code
                if status >= 500:
                    problems.append(f"{route.name}: {status}")
            continue
        foreign, absent = cases(route, world, username)
        for method in ("get", "post"):
            miss = getattr(client, method)(reverse(route.name, kwargs=absent))
            if miss.status_code >= 500:
                problems.append(f"{method} {route.name} absent: {miss.status_code}")
            for kwargs in foreign:
                hit = getattr(client, method)(reverse(route.name, kwargs=kwargs))
                values = list(kwargs.values()) + list(absent.values())
                if 200 <= hit.status_code < 300:
                    problems.append(f"{method} {route.name} {kwargs}: served {hit.status_code}")
                if hit.status_code != miss.status_code:
                    problems.append(f"{method} {route.name} {kwargs}: {hit.status_code} vs absent {miss.status_code}")
                elif _mask(hit.content.decode(), values) != _mask(miss.content.decode(), values):
                    problems.append(f"{method} {route.name} {kwargs}: body differs from absent")
    assert problems == []


@pytest.mark.parametrize("username", USERS)
def test_the_admin_site_and_the_agency_api_refuse_people_signed_in_to_pages(client, world, username):
    client.force_login(User.objects.get(username=username))
    for url in ("/admin/", "/admin/intake/record/", "/admin/intake/quarantine/"):
        assert not 200 <= client.get(url).status_code < 300, url
    assert client.post("/api/v1/records", data=[], content_type="application/json").status_code in {401, 403}
    assert client.get("/api/v1/records").status_code in {401, 403, 405}
