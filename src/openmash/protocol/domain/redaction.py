"""The one place every notification's content passes through before it is stored or shown (§3, §4).

``redact`` applies, for the audience of one notification:

* the perpetrator-facing rules of §3 (``do_not_disclose_to_subject``; no telephone
  number or e-mail address of a victim or a child; children's words become
  "spoken to: yes/no");
* for a barred recipient, the confidential-address rule of §4.1-§4.4: every
  confidential address object replaced by the withheld object, its postcode, UPRN,
  number and street, street name, flat and building names replaced in all free
  text, location hints of people living at a confidential address removed, and at
  ``health`` every address but the recipient's own client's left out.

It is idempotent and monotone, so stored content can be re-rendered when an
address becomes confidential later (§4.6).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openmash.intake.domain.address import (
    STREET_ABBREVIATIONS,
    NormalisedAddress,
    clean_text,
    normalise_address,
    parse_building_line,
    same_building,
)
from openmash.intake.domain.record import Address

#: Street types besides those of the contract's abbreviation list, so "Lime Rise" withholds "Lime".
EXTRA_STREET_TYPES = frozenset({
    "RISE", "WAY", "ROW", "HILL", "SQUARE", "MEWS", "PARK", "PARADE", "YARD", "WHARF", "GATE", "LANE", "END",
    "BANK", "CAUSEWAY", "CHASE", "CROFT", "FIELDS", "MEADOW", "MEADOWS", "VALE", "WALK", "CLOSE",
})
_TYPE_ABBREVIATIONS: dict[str, set[str]] = {}
for _abbr, _full in STREET_ABBREVIATIONS.items():
    _TYPE_ABBREVIATIONS.setdefault(_full, {_full}).add(_abbr)
#: Structured values that never hold free text (and would be damaged by withholding inside them).
STRUCTURAL_KEYS = frozenset({
    "person_id", "person_ids", "mother_person_id", "record_id", "agency", "kind", "role", "level", "level_criteria",
    "involvement", "occurred_at", "recorded_at", "ended_at", "incident_at", "date_of_birth", "due_date", "schema",
    "sex", "language", "ref", "person_ref", "version", "officer_risk", "outcome", "police_contact", "powers_used",
    "dash_yes", "incident_urn", "enrolment_urn", "withheld", "reason", "found_from_history",
})
#: Keys of people's records that tie them to a place (§4.4), removed for people at a confidential address.
LOCATION_HINT_KEYS = frozenset({"school_urn", "school_name", "gp_ods_code", "gp_practice", "gp_name", "booking_team"})
_CONTACT_KEY = re.compile(r"phone|mobile|tel(?:ephone)?$|e[-_]?mail|contact_number", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])(?:\+44[\s-]?|\(?0)(?:\d[\s()-]?){8,11}\d(?![\w])")
ADDRESS_KEYS = frozenset({"address", "incident_address"})
SPOKEN_TO_YES, SPOKEN_TO_NO = "spoken to: yes", "spoken to: no"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who will see one notification's content, and what the rules say about the people in it."""

    agency: str
    content_level: str
    barred: bool
    perpetrator_facing: bool
    withheld_text: str = "[address withheld]"
    withheld_reason: str = "confidential address"
    #: People whose address a barred recipient at ``health`` may see (its own clients).
    clients: frozenset[str] = frozenset()
    #: ref on the incident record → person_id.
    ref_person: Mapping[str, str] = field(default_factory=dict)
    #: Victims and children: their contact details never reach a perpetrator-facing recipient.
    protected: frozenset[str] = frozenset()
    #: People whose latest known address is confidential → when first recorded there (§4.4).
    hidden: Mapping[str, dt.datetime | None] = field(default_factory=dict)
    #: Confidential addresses known to concern this content; any address in the same building is withheld.
    confidential: tuple[Address, ...] = ()


@dataclass
class Report:
    """What redaction changed, so that a change of what is withheld can be detected (§2.6)."""

    withheld_addresses: list[str] = field(default_factory=list)
    text_replacements: int = 0
    history_withheld: int = 0
    removed_keys: list[str] = field(default_factory=list)

    def signature(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.withheld_addresses)), self.history_withheld, tuple(sorted(self.removed_keys)))


def _word(word: str) -> str:
    return r"['’.]?".join(re.escape(ch) for ch in word)


def _words(text: str) -> str:
    return r"[\s\-]+".join(_word(w) for w in text.split())


def _street_parts(street: str) -> tuple[str, list[str]]:
    """The street name on its own, and every way its type may be written."""
    words = street.split()
    last = words[-1] if words else ""
    if len(words) > 1 and (last in _TYPE_ABBREVIATIONS or last in EXTRA_STREET_TYPES):
        return " ".join(words[:-1]), sorted(_TYPE_ABBREVIATIONS.get(last, {last}), key=len, reverse=True)
    return street, []


def _flat_forms(flat: str) -> list[str]:
    forms = [flat]
    if flat.isdigit() and 1 <= int(flat) <= 26:
        forms.append(chr(ord("A") + int(flat) - 1))
    return forms


def address_patterns(address: Address) -> list[re.Pattern[str]]:
    """Patterns for everything of §4.3 that may name this address in free text."""
    norm = normalise_address(address)
    out: list[str] = []
    building, index = parse_building_line(address.lines)
    if building is not None:
        name, types = _street_parts(building.street)
        type_part = rf"(?:[\s,]+(?:{'|'.join(_word(t) for t in types)})\b\.?)?" if types else ""
        number = r"\s*".join(re.escape(c) for c in building.number)
        flat_prefix = r"(?:\b(?:flat\s*)?[0-9a-z]{1,4}\s*[,/]\s*)?"
        out.append(rf"{flat_prefix}\b{number}\b[\s,]*{_words(name)}\b{type_part}")
        out.append(rf"\b{_words(name)}\b{type_part}")
        if building.flat:
            forms = "|".join(re.escape(f) for f in _flat_forms(building.flat))
            out.append(rf"\b(?:flat|apartment|apt)\.?\s*(?:{forms})\b")
    if norm.postcode:
        out.append(r"\b" + r"\s*".join(re.escape(c) for c in norm.postcode) + r"\b")
    if address.postcode and address.postcode.strip():
        raw = re.sub(r"\s+", "", address.postcode)
        out.append(r"\b" + r"\s*".join(re.escape(c) for c in raw) + r"\b")
    if address.uprn:
        out.append(rf"(?<!\d){re.escape(address.uprn)}(?!\d)")
    for i, line in enumerate(address.lines):
        cleaned = clean_text(line)
        if i == index or not cleaned or re.fullmatch(r"FLAT\s+\w+,?", cleaned):
            continue
        if norm.town and cleaned == norm.town:
            continue  # a town is never withheld on its own: it does not locate a refuge
        if i == len(address.lines) - 1 and address.town is None:
            continue
        out.append(rf"\b{_words(cleaned.replace(',', ' '))}\b")
    return [re.compile(p, re.IGNORECASE) for p in dict.fromkeys(out)]


def _is_address_object(value: Any) -> bool:
    return isinstance(value, Mapping) and bool({"lines", "postcode", "uprn", "town"} & set(value)) \
        and "withheld" not in value


def _as_address(value: Mapping[str, Any]) -> Address:
    address = Address.from_json({k: value.get(k) for k in ("lines", "town", "postcode", "uprn", "confidential")
                                 if value.get(k) is not None})
    assert address is not None  # from_json returns None only for None
    return address


class _Redactor:
    def __init__(self, audience: Audience, report: Report) -> None:
        self.a = audience
        self.report = report
        self.confidential: list[tuple[Address, NormalisedAddress]] = [
            (c, normalise_address(c)) for c in audience.confidential]
        self.patterns: list[re.Pattern[str]] = []
        for address, _ in self.confidential:
            self.patterns.extend(address_patterns(address))

    def is_confidential(self, value: Mapping[str, Any]) -> bool:
        address = _as_address(value)
        if address.confidential:
            return True
        norm = normalise_address(address)
        return any(same_building(norm, c) for _, c in self.confidential)

    def learn(self, value: Any) -> None:
        """An address flagged confidential in the content itself is withheld from text too."""
        for obj in _walk_addresses(value):
            if obj.get("confidential") is True:
                address = _as_address(obj)
                if all(address != c for c, _ in self.confidential):
                    self.confidential.append((address, normalise_address(address)))
                    self.patterns.extend(address_patterns(address))

    def withhold(self, value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                here = f"{path}.{k}"
                if k in ADDRESS_KEYS and _is_address_object(v) and self.is_confidential(v):
                    out[k] = {"withheld": True, "reason": self.a.withheld_reason}
                    self.report.withheld_addresses.append(here)
                elif k in STRUCTURAL_KEYS:
                    out[k] = copy.deepcopy(v)
                else:
                    out[k] = self.withhold(v, here)
            return out
        if isinstance(value, list):
            return [self.withhold(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str):
            return self.scrub(value)
        return value

    def scrub(self, text: str) -> str:
        for pattern in self.patterns:
            text, n = pattern.subn(self.a.withheld_text, text)
            self.report.text_replacements += n
        return text


def _walk_addresses(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in ADDRESS_KEYS and _is_address_object(v):
                yield v
            else:
                yield from _walk_addresses(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_addresses(v)


def _map_strings(value: Any, fn: Callable[[str], str], skip: frozenset[str] = STRUCTURAL_KEYS) -> Any:
    if isinstance(value, Mapping):
        return {k: (v if k in skip else _map_strings(v, fn, skip)) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn, skip) for v in value]
    if isinstance(value, str):
        return fn(value)
    return value


def _spoken_to(items: Any) -> Any:
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if isinstance(item, Mapping):
            item = dict(item)
            said = item.get("said")
            if said not in (SPOKEN_TO_YES, SPOKEN_TO_NO):  # idempotent: content may be redacted again (§4.6)
                item["said"] = SPOKEN_TO_YES if isinstance(said, str) and said.strip() else SPOKEN_TO_NO
        out.append(item)
    return out


def _person_lists(content: dict[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    """Every person object in the content with their person_id when known."""
    found: list[tuple[dict[str, Any], str | None]] = []
    for person in content.get("people") or ():
        found.append((person, person.get("person_id")))
    record = content.get("record")
    if isinstance(record, dict):
        for person in record.get("people") or ():
            if isinstance(person, dict):
                found.append((person, None))
    return found


def redact(content: Mapping[str, Any], audience: Audience) -> tuple[dict[str, Any], Report]:
    """The content as this audience may see it, and what was withheld."""
    report = Report()
    if not audience.perpetrator_facing and not audience.barred:
        # Nothing to withhold: the copy without private keys is the whole work.
        return _strip_private(dict(content)), report
    out: dict[str, Any] = _tree_copy(dict(content))
    record = out.get("record") if isinstance(out.get("record"), dict) else None

    def person_id_of(person: dict[str, Any], known: str | None) -> str | None:
        return known if known is not None else audience.ref_person.get(str(person.get("ref")))

    if audience.perpetrator_facing:
        out["do_not_disclose_to_subject"] = True
        if "children_seen" in out:
            out["children_seen"] = _spoken_to(out["children_seen"])
        if record is not None and isinstance(record.get("details"), dict):
            details = record["details"]
            if "children_seen" in details:
                details["children_seen"] = _spoken_to(details["children_seen"])
            for key in [k for k in details if _CONTACT_KEY.search(k)]:
                del details[key]
                report.removed_keys.append(f"record.details.{key}")
        for person, known in _person_lists(out):
            pid = person_id_of(person, known)
            # Only a perpetrator's own contact details may stay; anyone unidentified is treated as protected.
            if pid is None or pid in audience.protected or person.get("role") != "perpetrator":
                for key in [k for k in person if _CONTACT_KEY.search(k)]:
                    del person[key]
                    report.removed_keys.append(f"person.{pid}.{key}")
        out = _map_strings(out, lambda s: _PHONE.sub("[contact withheld]", _EMAIL.sub("[contact withheld]", s)),
                           STRUCTURAL_KEYS | {"police_contact"})

    if audience.barred:
        if audience.content_level == "health":
            # §3: at health a barred recipient sees only its own client's address.
            out.pop("incident_address", None)
            for person in out.get("people") or ():
                if person.get("person_id") not in audience.clients and "address" in person:
                    del person["address"]
                    report.removed_keys.append(f"person.{person.get('person_id')}.address")
        for person, known in _person_lists(out):
            pid = person_id_of(person, known)
            if pid is not None and pid in audience.hidden:
                for key in [k for k in person if k in LOCATION_HINT_KEYS]:
                    del person[key]
                    report.removed_keys.append(f"person.{pid}.{key}")
        if isinstance(out.get("history"), list):
            kept, withheld = [], 0
            for entry in out["history"]:
                if _hidden_entry(entry, audience.hidden):
                    withheld += 1
                else:
                    kept.append(entry)
            out["history"] = kept
            out["history_withheld"] = int(out.get("history_withheld") or 0) + withheld
            report.history_withheld = out["history_withheld"]
        redactor = _Redactor(audience, report)
        redactor.learn(out)
        out = redactor.withhold(out, "content")
    return _strip_private(out), report


def _hidden_entry(entry: Mapping[str, Any], hidden: Mapping[str, dt.datetime | None]) -> bool:
    made = entry.get("_recorded_at")
    for pid in entry.get("person_ids") or ():
        if pid in hidden:
            since = hidden[pid]
            if since is None or not isinstance(made, dt.datetime) or made >= since:
                return True
    return False


_IMMUTABLE = (str, int, float, bool, type(None), dt.datetime, dt.date)


def _tree_copy(value: Any) -> Any:
    """``copy.deepcopy`` for content (dicts, lists and tuples of plain values), at a fraction of its cost."""
    if isinstance(value, dict):
        return {k: _tree_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tree_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_tree_copy(v) for v in value)
    return value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)


def _strip_private(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_private(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list):
        return [_strip_private(v) for v in value]
    return value


def rerender(stored: Mapping[str, Any], audience: Audience, newly_confidential: Sequence[Address]) -> tuple[
        dict[str, Any], Report]:
    """§4.6: stored content redacted again once further addresses are known to be confidential."""
    widened = Audience(**{**{f: getattr(audience, f) for f in audience.__dataclass_fields__},
                          "confidential": tuple(audience.confidential) + tuple(newly_confidential)})
    return redact(stored, widened)
