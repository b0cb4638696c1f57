"""Marker crawl: unique markers planted in the narratives and confidential addresses of a generated county;
each demo role crawls every page it can reach (links from home, every person, incident and notification
page); no marker may appear where the rules forbid it.

The oracle is per record: a narrative marker may be shown only to a viewer who sees some person of that
record at ``full`` for the record's agency; a confidential-address marker only to a viewer who sees some
person of it at ``health`` or more and is not barred (§4.1), unless the record is their own agency's.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections import defaultdict, deque

import pytest

from openmash.accounts.models import User
from openmash.generator.county import generate_county
from openmash.identity.services import forget_cached_model
from openmash.intake.models import Mention, Record
from openmash.intake.services import ingest_items
from openmash.platform.access import decide, viewer_for
from openmash.platform.audit import Actor
from openmash.platform.domain.access_rules import BARRED_FROM_CONFIDENTIAL, Level
from openmash.protocol.models import Notification

pytestmark = pytest.mark.django_db
USERS = ["triage", "manager", "social-worker", "health-visitor", "school-nurse", "police", "marac", "probation",
         "analyst", "auditor", "admin"]
MARKER = re.compile(r"(NARR|CONF)(\d{5})X")
PAGE_LIMIT = 400


def plant(records: list[dict]) -> dict[str, tuple[str, str]]:
    """Markers in every record's narrative, and a confidential refuge with a marker in every third record."""
    where: dict[str, tuple[str, str]] = {}
    for i, record in enumerate(records):
        key = (record["source"]["agency"], record["record_id"])
        marker = f"NARR{i:05d}X"
        record["narrative"] = f"{record.get('narrative') or ''} Seen by worker ({marker}).".strip()
        where[marker] = key
        if i % 3 == 0:
            people = [p for p in record["people"] if p.get("role") != "professional"]
            if people:
                refuge = {"lines": [f"Refuge CONF{i:05d}X", f"{i + 1} Saxifrage Road"], "town": "Lincoln",
                          "postcode": "LN1 3ZZ", "confidential": True}
                people[0]["address"] = refuge
                if record["kind"] in {"da_incident", "police_incident"}:
                    record["address"] = copy.deepcopy(refuge)
                where[f"CONF{i:05d}X"] = key
    return where


@pytest.fixture
def county(settings, directory, no_mfa):
    settings.OPENMASH_PIPELINE_STAGES = ["openmash.identity.services.link_record_version",
                                         "openmash.protocol.services.process_version"]
    forget_cached_model()
    generated = generate_county(households=25, seed=11, start=dt.datetime(2022, 1, 1, tzinfo=dt.UTC),
                                cutoff=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                                live_end=dt.datetime(2024, 9, 1, tzinfo=dt.UTC))
    where = plant(generated.history + generated.live)
    for records, live in ((generated.history, False), (generated.live, True)):
        ingest_items(records, source="markers", actor=Actor.system("test"), live=live)
    return where


def allowed(username: str, where: dict[str, tuple[str, str]]) -> set[str]:
    viewer = viewer_for(User.objects.get(username=username))
    people_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for agency, record_id, person_id in Mention.objects.exclude(role="professional").values_list(
            "record__agency", "record__record_id", "link__person__person_id"):
        if person_id:
            people_of[(agency, record_id)].add(person_id)
    decisions = {p: decide(viewer, p) for ps in people_of.values() for p in ps}
    out = set()
    for marker, (agency, record_id) in where.items():
        levels = [decisions[p].level_for(agency) for p in people_of[(agency, record_id)]]
        if marker.startswith("NARR") and any(level >= Level.FULL for level in levels):
            out.add(marker)
        if marker.startswith("CONF") and any(level >= Level.HEALTH for level in levels) and (
                viewer.agency not in BARRED_FROM_CONFIDENTIAL or viewer.agency == agency):
            out.add(marker)
    return out


def crawl(client) -> dict[str, str]:
    """Every page reachable from home by links, and every person, incident and notification page."""
    seeds = ["/"]
    seeds += [f"/people/{p}/" for p in Mention.objects.exclude(link__isnull=True)
              .values_list("link__person__person_id", flat=True).distinct()]
    seeds += [f"/incidents/{a}/{r}/" for a, r in Record.objects.values_list("agency", "record_id")]
    seeds += [f"/inbox/{n}/" for n in Notification.objects.values_list("notification_id", flat=True)]
    seen: dict[str, str] = {}
    queue = deque(seeds)
    while queue and len(seen) < PAGE_LIMIT + len(seeds):
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        seen[url] = body
        for href in re.findall(r'href="(/[^"#]*)"', body):
            href = href.replace("&amp;", "&")
            if not href.startswith(("/static/", "/sign-out", "/i18n/", "/admin/")) and href not in seen:
                queue.append(href)
    return seen


def test_no_marker_is_shown_where_the_rules_forbid_it(client, county):
    problems = []
    kinds_shown: set[str] = set()
    for username in USERS:
        client.force_login(User.objects.get(username=username))
        permitted = allowed(username, county)
        for url, body in crawl(client).items():
            for marker in {m.group(0) for m in MARKER.finditer(body)}:
                kinds_shown.add(marker[:4])
                if marker not in permitted:
                    problems.append(f"{username} {url}: {marker} ({county.get(marker)})")
        client.logout()
    assert problems == []
    assert kinds_shown == {"NARR", "CONF"}  # the crawl really reached marked pages, and markers survive where allowed
