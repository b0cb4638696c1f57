"""Small reads and shapes shared by the casework pages."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openmash.governance.disclosure import WITHHELD_TEXT, Context, present_record
from openmash.intake.domain.localtime import local_date
from openmash.platform.domain.access_rules import Decision, Level
from openmash.protocol.domain.ages import age_on
from openmash.protocol.domain.redaction import Audience, redact

LEVEL_NAMES = {Level.MINIMAL: "minimal", Level.HEALTH: "health", Level.FULL: "full"}


def address_text(value: Any) -> str | None:
    """One line for an address object; None when absent. A withheld address is never described."""
    if not isinstance(value, Mapping):
        return None
    if value.get("withheld"):
        return None
    parts = [str(x) for x in value.get("lines") or () if x]
    parts += [str(value[k]) for k in ("town", "postcode") if value.get(k)]
    return ", ".join(parts) or None


def is_withheld(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value.get("withheld"))


def full_name(person: Mapping[str, Any]) -> str:
    return " ".join(str(person[k]) for k in ("given_names", "family_name") if person.get(k)).strip()


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def age_from(person: Mapping[str, Any], occurred_at: dt.datetime) -> int | None:
    """The age on a record from the date of birth it gives (else its estimated age); None when unknown."""
    born = parse_date(person.get("date_of_birth"))
    day = local_date(occurred_at)
    if born is not None and born <= day:
        return age_on(born, day)
    estimate = person.get("estimated_age")
    return estimate if isinstance(estimate, int) else None


def usual(values: Iterable[Any]) -> Any:
    """The value given most often (the latest given on a tie); None when there is none."""
    seen = [v for v in values if v not in (None, "", [])]
    if not seen:
        return None
    counts = Counter(seen)
    best = max(counts.values())
    return next(v for v in reversed(seen) if counts[v] == best)


@dataclass(frozen=True)
class Shown:
    """A record's data as one viewer may see it."""

    data: dict[str, Any]
    withheld: bool
    do_not_disclose: bool


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _has_withheld(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value.get("withheld")) or any(_has_withheld(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_withheld(v) for v in value)
    return isinstance(value, str) and WITHHELD_TEXT in value


def shown_record(decision: Decision, data: Mapping[str, Any], *, about_refs: Collection[str] = (),
                 perpetrator_facing: bool = False, context: Context | None = None) -> Shown:
    """The record as this viewer may see it: governance's one content filter (level per agency, then §4),
    then, for a perpetrator-facing viewer, the protocol's §3 rules (no victim or child contact details,
    children's words as "spoken to"). ``context``: what is confidential around the record, when the caller
    read it for many records at once (else the filter reads it for this one)."""
    out = present_record(decision, data, about_refs=about_refs, context=context)
    source = data.get("source")
    may_withhold = decision.withholds_confidential_from(source.get("agency") if isinstance(source, Mapping) else None)
    if perpetrator_facing and out:
        audience = Audience(agency=decision.viewer_agency, content_level=LEVEL_NAMES.get(decision.level, "minimal"),
                            barred=False, perpetrator_facing=True)
        redacted, _ = redact({"record": out}, audience)
        out = as_dict(redacted.get("record"))
        return Shown(out, may_withhold and _has_withheld(out), True)
    return Shown(out, may_withhold and _has_withheld(out), False)
