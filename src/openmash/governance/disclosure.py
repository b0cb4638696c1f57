"""The one access-aware content filter: every page, API answer, search result and export passes through here.

``present_person`` / ``present_record`` keep what the viewer's decision carries (``protocol-default.md`` §3,
per record agency: an agency's own records at their own level), then ``withhold_confidential`` applies §4:
for a viewer of a barred agency, every confidential address (flagged in the data, or in the same building
as an address any record marks confidential) becomes ``{"withheld": true, "reason": "confidential
address"}``, its parts are replaced by "[address withheld]" in all free text, and location hints of
people living at a confidential address are removed. The withholding itself is the protocol engine's
``redact`` — one implementation for notifications and for everything else.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openmash.governance.domain.disclosure_rules import filter_person, filter_record
from openmash.intake.domain.address import normalise_address
from openmash.intake.domain.record import Address
from openmash.platform.domain.access_rules import Decision, Level

WITHHELD = {"withheld": True, "reason": "confidential address"}
WITHHELD_TEXT = "[address withheld]"


@dataclass(frozen=True)
class Context:
    """What is known to be confidential around some data (looked up once, reused for many items)."""

    addresses: tuple[Address, ...] = ()
    #: person_id → when first recorded at their (confidential) latest known address (§4.4).
    hidden: Mapping[str, dt.datetime | None] = field(default_factory=dict)
    #: ref in the record → person_id.
    ref_person: Mapping[str, str] = field(default_factory=dict)


def _address_objects(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in {"address", "incident_address"} and isinstance(item, Mapping) and "withheld" not in item:
                yield item
            else:
                yield from _address_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _address_objects(item)


def confidential_addresses_near(data: Any) -> tuple[Address, ...]:
    """Confidential addresses in the same building as any address in ``data`` (the protocol's index),
    and those flagged in the data itself."""
    from openmash.protocol.queries import DatabaseHistory

    history = DatabaseHistory()
    found: list[Address] = []
    for obj in _address_objects(data):
        address = Address.from_json({k: obj.get(k) for k in ("lines", "town", "postcode", "uprn", "confidential")
                                     if obj.get(k) is not None})
        if address is None:
            continue
        candidates = [address] if address.confidential else []
        candidates += list(history.confidential_in_building(normalise_address(address)))
        found += [c for c in candidates if c not in found]
    return tuple(found)


def confidential_addresses_of(person_ids: Collection[str]) -> tuple[Address, ...]:
    """Every address any record gives these people that is confidential (flagged, or found so by identity),
    so that free text naming a refuge is withheld even where the record's own address is another one."""
    from openmash.intake.models import Mention

    if not person_ids:
        return ()
    rows = Mention.objects.filter(link__person__person_id__in=list(person_ids), residence__confidential=True)
    found: list[Address] = []
    for data in rows.values_list("data", flat=True)[:500]:
        obj = data.get("address") if isinstance(data, Mapping) else None
        if isinstance(obj, Mapping):
            address = Address.from_json({k: obj.get(k) for k in ("lines", "town", "postcode", "uprn")
                                         if obj.get(k) is not None})
            if address is not None and address not in found:
                found.append(address)
    return tuple(found)


def hidden_people(person_ids: Collection[str]) -> dict[str, dt.datetime | None]:
    """People whose latest known address is confidential (identity's residences), with when they got there."""
    from openmash.identity.queries import addresses_of

    out: dict[str, dt.datetime | None] = {}
    for person_id in person_ids:
        stays = addresses_of(person_id)
        if stays and stays[-1].confidential:
            first = stays[-1].since
            out[person_id] = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    return out


def context_for(data: Any, *, ref_person: Mapping[str, str] | None = None,
                person_ids: Collection[str] = ()) -> Context:
    ids = sorted(set(person_ids) | set((ref_person or {}).values()))
    addresses = list(confidential_addresses_near(data))
    addresses += [a for a in confidential_addresses_of(ids) if a not in addresses]
    return Context(tuple(addresses), hidden_people(ids), dict(ref_person or {}))


def withhold_confidential(decision: Decision, data: Mapping[str, Any], *, source_agency: str | None,
                          context: Context | None = None) -> dict[str, Any]:
    """``data`` with §4 applied when this viewer is barred from confidential addresses in it (always a copy)."""
    if not decision.withholds_confidential_from(source_agency):
        return copy.deepcopy(dict(data))
    return _withheld(decision, dict(data), source_agency=source_agency, context=context)


def _withheld(decision: Decision, data: dict[str, Any], *, source_agency: str | None,
              context: Context | None) -> dict[str, Any]:
    """§4 on data the caller already owns (``filter_person``/``filter_record`` copied it): not copied again."""
    if not decision.withholds_confidential_from(source_agency):
        return data
    from openmash.protocol.domain.redaction import Audience, redact

    ctx = context if context is not None else context_for(data)
    audience = Audience(
        agency=decision.viewer_agency, content_level="full", barred=True, perpetrator_facing=False,
        ref_person=ctx.ref_person, hidden=ctx.hidden, confidential=ctx.addresses,
    )
    out, _ = redact(data, audience)
    if ctx.hidden:
        _drop_hints(out, ctx)
    return out


def _drop_hints(out: dict[str, Any], ctx: Context) -> None:
    """§4.4 for a person object on its own (redact handles people lists)."""
    from openmash.protocol.domain.redaction import LOCATION_HINT_KEYS

    pid = out.get("person_id") or ctx.ref_person.get(str(out.get("ref")))
    if pid in ctx.hidden:
        for key in [k for k in out if k in LOCATION_HINT_KEYS]:
            del out[key]


def present_person(decision: Decision, data: Mapping[str, Any], *, source_agency: str | None = None,
                   context: Context | None = None) -> dict[str, Any]:
    """A person object (as named in a record of ``source_agency``) as this viewer may see it."""
    if not decision.allowed:
        return {}
    level = decision.level_for(source_agency)
    shown = filter_person(data, level, identity_level=decision.identity_level)
    if context is None and decision.withholds_confidential_from(source_agency):
        pid = data.get("person_id")
        context = context_for(data, person_ids=[pid] if isinstance(pid, str) else ())
    return _withheld(decision, shown, source_agency=source_agency, context=context)


def present_record(decision: Decision, data: Mapping[str, Any], *, about_refs: Collection[str] = (),
                   context: Context | None = None) -> dict[str, Any]:
    """A record (``RecordVersion.data``) as this viewer may see it: by the level for its agency, then §4."""
    if not decision.allowed:
        return {}
    source = data.get("source")
    agency = source.get("agency") if isinstance(source, Mapping) else None
    level = decision.level_for(agency)
    if level == Level.NONE:
        return {}
    shown = filter_record(data, level, about_refs=about_refs)
    if context is None and decision.withholds_confidential_from(agency):
        record_id = data.get("record_id")
        ref_person: dict[str, str] = {}
        if isinstance(agency, str) and isinstance(record_id, str):
            from openmash.identity.queries import person_ids_of_record

            ref_person = person_ids_of_record(agency, record_id)
        context = context_for(data, ref_person=ref_person)
    return _withheld(decision, shown, source_agency=agency, context=context)


def present_text(decision: Decision, text: str, *, source_agency: str | None, context: Context) -> str:
    """Free text (a narrative, a rationale) with confidential addresses replaced, for this viewer.

    ``context`` is required: text alone does not say which addresses are confidential; build it with
    ``context_for(record_data, ref_person=..., person_ids=...)`` for the record the text belongs to.
    """
    out = withhold_confidential(decision, {"text": text}, source_agency=source_agency, context=context)
    return str(out.get("text", ""))


__all__ = [
    "WITHHELD", "WITHHELD_TEXT", "Context", "context_for", "present_person", "present_record", "present_text",
    "withhold_confidential",
]
