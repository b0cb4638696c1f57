"""Subject access: one record as its data subject may receive it (pure).

Third parties (everyone else named, professionals included) are reduced to their role; their names,
wherever they appear in free text, become "[third party]"; their contact details and the words of other
children are removed; DASH answers go only to the victim they were asked of. Confidential addresses are
withheld afterwards by the protocol's ``redact`` (``governance.sar``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

THIRD_PARTY = "[third party]"
CONTACT_WITHHELD = "[contact withheld]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])(?:\+44[\s-]?|\(?0)(?:\d[\s()-]?){8,11}\d(?![\w])")
_CONTACT_KEY = re.compile(r"phone|mobile|tel(?:ephone)?$|e[-_]?mail|contact_number", re.IGNORECASE)
_SUBJECT_KEYS = ("ref", "role", "given_names", "family_name", "other_names", "date_of_birth", "estimated_age", "sex",
                 "nhs_number", "agency_person_id", "address", "language", "interpreter_needed", "pregnant",
                 "due_date", "school_urn", "gp_ods_code")
#: Structured values copied as they are (never free text).
_STRUCTURAL = frozenset({"ref", "role", "kind", "agency", "record_id", "occurred_at", "recorded_at", "ended_at",
                         "date_of_birth", "outcome", "category", "officer_risk", "powers_used", "criteria"})


def _names_of(person: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for key in ("given_names", "family_name"):
        value = person.get(key)
        if isinstance(value, str):
            names += [w for w in re.split(r"[\s\-]+", value) if len(w) >= 2]
    for value in person.get("other_names") or ():
        if isinstance(value, str):
            names += [w for w in re.split(r"[\s\-]+", value) if len(w) >= 2]
    return names


def third_party_pattern(record: Mapping[str, Any], subject_ref: str) -> re.Pattern[str] | None:
    """Every name of everyone but the subject (names the subject also bears are kept: a shared surname)."""
    subject = next((p for p in record.get("people") or () if isinstance(p, Mapping) and p.get("ref") == subject_ref),
                   {})
    own = {n.casefold() for n in _names_of(subject)}
    others = {n for p in record.get("people") or () if isinstance(p, Mapping) and p.get("ref") != subject_ref
              for n in _names_of(p) if n.casefold() not in own}
    if not others:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(others, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern[str] | None, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {k: _scrub(v, pattern, k) for k, v in value.items() if not _CONTACT_KEY.search(str(k))}
    if isinstance(value, list):
        return [_scrub(v, pattern, key) for v in value]
    if isinstance(value, str) and key not in _STRUCTURAL:
        text = _PHONE.sub(CONTACT_WITHHELD, _EMAIL.sub(CONTACT_WITHHELD, value))
        return pattern.sub(THIRD_PARTY, text) if pattern is not None else text
    return copy.deepcopy(value)


def subject_view(record: Mapping[str, Any], subject_ref: str) -> dict[str, Any]:
    """The record as its data subject ``subject_ref`` may receive it, before confidential addresses are withheld."""
    pattern = third_party_pattern(record, subject_ref)
    people = [p for p in record.get("people") or () if isinstance(p, Mapping)]
    subject = next((p for p in people if p.get("ref") == subject_ref), {})
    details = dict(record.get("details") or {}) if isinstance(record.get("details"), Mapping) else {}
    if subject.get("role") != "victim":
        details.pop("dash", None)
    if isinstance(details.get("children_seen"), list):
        details["children_seen"] = [
            dict(c) if isinstance(c, Mapping) and c.get("ref") == subject_ref
            else {"ref": c.get("ref"), "seen": c.get("seen")} if isinstance(c, Mapping) else c
            for c in details["children_seen"]
        ]
    details.pop("offender_manager", None)  # a professional's name and team: third-party data
    source = record.get("source")
    return {
        "agency": source.get("agency") if isinstance(source, Mapping) else None,
        "record_id": record.get("record_id"),
        "kind": record.get("kind"),
        "occurred_at": record.get("occurred_at"),
        "recorded_at": record.get("recorded_at"),
        "ended_at": record.get("ended_at"),
        "you": {k: copy.deepcopy(subject[k]) for k in _SUBJECT_KEYS if k in subject},
        "others": [{"role": p.get("role"), "third_party": True} for p in people if p.get("ref") != subject_ref],
        "address": copy.deepcopy(record.get("address")),
        "details": _scrub(details, pattern),
        "narrative": _scrub(record.get("narrative"), pattern, "narrative") if record.get("narrative") else None,
    }
