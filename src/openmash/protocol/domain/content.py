"""The content of a notification, built for its content level (§3; ``interchange-v1.md`` §7).

A level carries its own keys and those of the levels before it; a key a level
does not carry is absent (no key, not null). This module builds what the level
allows; :mod:`openmash.protocol.domain.redaction` then applies the confidential
address and perpetrator-facing rules. Nothing leaves the engine without passing
through ``redact``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from openmash.intake.domain.localtime import LONDON, local_date
from openmash.intake.domain.record import PersonMention
from openmash.protocol.domain.history import LinkedVersion
from openmash.protocol.domain.incident import IncidentAssessment
from openmash.protocol.domain.policy import Policy
from openmash.protocol.domain.routing import PlannedNotification
from openmash.protocol.domain.windows import is_open_at

#: Keys that may appear beside the level's keys (contract §7).
EXTRA_KEYS = frozenset({"do_not_disclose_to_subject", "school_urn_differs", "unborn_children"})
#: Private hints for redaction, removed by it before anything is stored or shown.
PRIVATE_PREFIX = "_"


def iso(instant: dt.datetime | None) -> str | None:
    """RFC 3339 with the Europe/London offset."""
    return instant.astimezone(LONDON).isoformat() if instant is not None else None


def _child_entry(mention: PersonMention, involvement: str) -> dict[str, Any]:
    return {
        "given_names": mention.given_names,
        "family_name": mention.family_name,
        "date_of_birth": mention.date_of_birth.isoformat() if mention.date_of_birth else None,
        "involvement": involvement,
    }


def _raw_person(version: LinkedVersion, ref: str) -> Mapping[str, Any]:
    for person in version.raw.get("people") or ():
        if isinstance(person, Mapping) and person.get("ref") == ref:
            return person
    return {}


def _people(a: IncidentAssessment, plan: PlannedNotification) -> list[dict[str, Any]]:
    ev = a.evaluation
    out: list[dict[str, Any]] = []
    facing_children = {c.person_id for c in a.children if c.perpetrator} if plan.perpetrator_facing else set()
    for pid in a.involved:
        history = ev.history(pid)
        if pid in ev.named:
            mention = ev.primary_mention(pid)
            raw = _raw_person(a.subject, mention.ref)
            entry: dict[str, Any] = {"person_id": pid, "role": mention.role}
            if pid in facing_children and plan.agency == "school_nursing":
                entry["role"] = "alleged_to_have_caused_harm"
            address = raw.get("address")
        else:
            child = a.child(pid)
            assert child is not None
            mention = child.mention
            raw = _raw_person(child_version(a, pid), mention.ref)
            entry = {"person_id": pid, "found_from_history": True}
            address = raw.get("address")
            latest = ev.latest_known_address(pid)
            if latest is not None and latest.version.record.kind == "tenancy":
                address = latest.version.raw.get("address") or address
        entry["given_names"] = mention.given_names
        entry["family_name"] = mention.family_name
        entry["date_of_birth"] = mention.date_of_birth.isoformat() if mention.date_of_birth else None
        if address is not None:
            entry["address"] = copy.deepcopy(address)
        if not history.has_linked_history:
            entry["no_linked_history_found"] = True
        out.append(entry)
    return out


def child_version(a: IncidentAssessment, person_id: str) -> LinkedVersion:
    latest = a.evaluation.latest_known_address(person_id)
    assert latest is not None
    return latest.version


def _linked_history(a: IncidentAssessment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The records linked to the people involved, and the summary the health level shows (once per incident)."""
    if "linked_history" not in a.shared:
        a.shared["linked_history"] = _work_out_linked_history(a)
    history, summary = a.shared["linked_history"]
    return copy.deepcopy(history), copy.deepcopy(summary)


def _work_out_linked_history(a: IncidentAssessment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ev = a.evaluation
    involved = a.involved
    ev.prefetch(involved)
    records: dict[tuple[str, str], tuple[LinkedVersion, set[str]]] = {}
    for pid in involved:
        for entry in ev.history(pid).entries:
            held = records.setdefault(entry.key, (entry, set()))
            held[1].add(pid)
    by_year: Counter[str] = Counter()
    open_plans: Counter[str] = Counter()
    at = a.subject.record.occurred_at
    plan_kinds = set(ev.policy.content.plan_kinds)
    history: list[dict[str, Any]] = []
    for key, (entry, pids) in sorted(records.items(), key=lambda kv: (kv[1][0].record.occurred_at, kv[0])):
        record = entry.record
        if record.kind == "da_incident":
            by_year[str(local_date(record.occurred_at).year)] += 1
        if record.kind in plan_kinds and is_open_at(record.occurred_at, record.ended_at, at):
            open_plans[record.kind] += 1
        if key == a.subject.key:
            continue
        history.append({
            "agency": record.agency, "kind": record.kind, "record_id": record.record_id,
            "occurred_at": iso(record.occurred_at), "ended_at": iso(record.ended_at),
            "person_ids": sorted(pids),
            "_recorded_at": record.recorded_at,
        })
    summary = {"da_incidents_by_year": dict(sorted(by_year.items())), "open_plans": dict(sorted(open_plans.items()))}
    return history, summary


def build_content(a: IncidentAssessment, plan: PlannedNotification, policy: Policy) -> dict[str, Any]:
    """Everything the plan's content level carries, before redaction."""
    record = a.subject.record
    details = record.details
    keys = policy.content.keys_for(plan.content_level)
    content: dict[str, Any] = {
        "incident_at": iso(record.occurred_at),
        "police_reference": {"agency": record.agency, "record_id": record.record_id},
        "police_contact": policy.police_contact_point.as_json(),
    }
    children = [c for c in a.children if c.person_id in plan.children]
    content["children"] = [_child_entry(c.mention, c.involvement) for c in children]
    if plan.notes_unborn:
        content["unborn_children"] = [{"mother_person_id": p.person_id} for p in a.pregnant]
    if "people" in keys:
        content["people"] = _people(a, plan)
    if "incident_address" in keys and a.subject.raw.get("address") is not None:
        content["incident_address"] = copy.deepcopy(a.subject.raw["address"])
    content["level"] = a.level
    content["level_criteria"] = list(a.risk.criteria)
    content["dash_yes"] = a.risk.dash_yes
    if isinstance(details.get("children_seen"), list):
        seen = []
        for item in details["children_seen"]:
            if isinstance(item, Mapping):
                entry = copy.deepcopy(dict(item))
                pid = a.subject.person_ids.get(str(item.get("ref")))
                if pid is not None:
                    entry["person_id"] = pid
                seen.append(entry)
        content["children_seen"] = seen
    for key in ("offences", "powers_used"):
        if key in details:
            content[key] = copy.deepcopy(details[key])
    if "history" in keys or "history_summary" in keys:
        history, summary = _linked_history(a)
        content["history_summary"] = summary
        content["history"] = history
        content["history_withheld"] = 0
    if "record" in keys:
        content["record"] = copy.deepcopy(dict(a.subject.raw))
    if plan.agency == "csc":
        differs = [
            {"person_id": c.person_id, "incident_urn": c.school.incident_code, "enrolment_urn": c.school.code}
            for c in a.children if c.school is not None and c.school.differs
        ]
        if differs:
            content["school_urn_differs"] = differs
    return {k: v for k, v in content.items() if k in keys or k in EXTRA_KEYS}


def withdrawn_content(record_agency: str, record_id: str) -> dict[str, Any]:
    """§2.6: what a withdrawn notification says instead of its former content."""
    return {
        "police_reference": {"agency": record_agency, "record_id": record_id},
        "statement": "The incident record was corrected and this notification no longer applies.",
    }
