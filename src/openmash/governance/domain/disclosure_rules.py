"""What each content level carries of a person and of a record (``protocol-default.md`` §3), as pure filters.

Deny by default: a key not listed for a level is carried only at ``full``. A key a level does not
carry is absent (no key, not null). Confidential addresses are a separate, later step
(``governance.disclosure.withhold_confidential``), which overrides every level.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any

from openmash.platform.domain.access_rules import Level

#: A person's own identifying details: what ``minimal`` carries (name, date of birth, involvement).
PERSON_MINIMAL: frozenset[str] = frozenset({
    "person_id", "ref", "role", "given_names", "family_name", "date_of_birth", "estimated_age", "involvement",
    "found_from_history",
})
#: ``health`` adds the names people go by and where they live (addresses subject to §4).
PERSON_HEALTH: frozenset[str] = PERSON_MINIMAL | {"other_names", "address"}

#: The envelope of a record: what it is and when (the police reference is its record id).
RECORD_MINIMAL: frozenset[str] = frozenset({
    "schema", "source", "agency", "record_id", "version", "kind", "occurred_at", "recorded_at", "ended_at",
    "withdrawn",
})
RECORD_HEALTH: frozenset[str] = RECORD_MINIMAL | {"address", "people", "details"}
#: ``details`` keys carried at ``health``: facts, never narrative, rationale, DASH answers or free-text concerns.
DETAILS_HEALTH: frozenset[str] = frozenset({
    "children_seen", "offences", "powers_used", "officer_risk", "category", "outcome", "from_agency", "order_type",
    "due_date", "booking_team", "ods_code", "school_urn", "contact_type", "reason", "criteria", "referring_agency",
    "agencies_present", "discharge_date", "stop_abuse_concern",
})


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists and scalars, as records are stored): ``copy.deepcopy``
    for anything else. Several times faster than ``copy.deepcopy`` alone, which a 300-record chronology
    calls for every record."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    if kind in _SCALARS or value is None:
        return value
    return copy.deepcopy(value)


_SCALARS = frozenset({str, int, float, bool})


def person_fields(level: Level) -> frozenset[str] | None:
    """The person keys a level carries; None means every key (``full``)."""
    if level >= Level.FULL:
        return None
    if level >= Level.HEALTH:
        return PERSON_HEALTH
    if level >= Level.MINIMAL:
        return PERSON_MINIMAL
    return frozenset()


def filter_person(data: Mapping[str, Any], level: Level, *, identity_level: Level | None = None) -> dict[str, Any]:
    """The person as ``level`` carries them; their own identifying details at ``identity_level`` when higher."""
    allowed = person_fields(level)
    identity = person_fields(identity_level) if identity_level is not None else frozenset()

    def carried(key: str) -> bool:
        if allowed is None or key in allowed:
            return True
        return key in PERSON_MINIMAL and (identity is None or key in identity)

    return {key: _copy(value) for key, value in data.items() if carried(key)}


def filter_record(data: Mapping[str, Any], level: Level, *, about_refs: Collection[str] = ()) -> dict[str, Any]:
    """A record as ``level`` carries it.

    ``minimal`` keeps the envelope and, of the people, only those the viewer's relationship is about
    (``about_refs``), by name and date of birth; ``health`` adds everyone's names, roles, dates of birth and
    addresses, the incident address and the factual details; ``full`` is the record as made.
    """
    if level >= Level.FULL:
        return {key: _copy(value) for key, value in data.items()}
    if level <= Level.NONE:
        return {}
    keys = RECORD_HEALTH if level >= Level.HEALTH else RECORD_MINIMAL
    out = {k: _copy(v) for k, v in data.items() if k in keys}
    people = data.get("people")
    if isinstance(people, list):
        kept = []
        for person in people:
            if not isinstance(person, Mapping) or person.get("role") == "professional":
                continue
            if level >= Level.HEALTH or person.get("ref") in about_refs:
                kept.append(filter_person(person, level))
        out["people"] = kept
    details = data.get("details")
    if level >= Level.HEALTH and isinstance(details, Mapping):
        out["details"] = {k: _copy(v) for k, v in details.items() if k in DETAILS_HEALTH}
    return out
