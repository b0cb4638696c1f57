"""A person's multi-agency chronology, as plain data: entries, significance, the pattern at a
glance, who lived with them over time, and the child's own words in one place.

Inputs are parsed record data (the contract's JSON) and facts the caller has already
looked up; nothing here reads the database or decides who may see what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from openmash.intake.domain.localtime import LONDON, local_date
from openmash.protocol.domain.windows import within_months


class Significance(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


#: Kinds that always matter to a child's safety, whatever their details.
_HIGH_KINDS = frozenset({"cp_plan", "strategy_discussion", "marac_referral"})
_MEDIUM_KINDS = frozenset({
    "da_incident", "police_incident", "csc_contact", "csc_referral", "cin_plan", "ed_attendance",
    "probation_supervision", "yos_order", "drug_alcohol_episode", "mental_health_episode",
})


def significance(kind: str, details: Mapping[str, Any], *, level: str | None = None,
                 roles: Iterable[str] = ()) -> Significance:
    """How much an entry matters on a child's timeline (for emphasis and the "significant only" filter)."""
    if kind in _HIGH_KINDS:
        return Significance.HIGH
    if kind == "da_incident" and (level == "high" or "victim" in roles):
        return Significance.HIGH
    if kind == "csc_referral" and str(details.get("outcome", "")).lower() == "s47":
        return Significance.HIGH
    if kind in _MEDIUM_KINDS:
        return Significance.MEDIUM
    return Significance.LOW


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


#: Per kind, the details that summarise it: (fact code, path in details). Nothing free-text beyond a short code.
SUMMARY_FIELDS: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "da_incident": (("officer_risk", ("officer_risk",)), ("offences", ("offences",)), ("powers_used", ("powers_used",))),
    "police_incident": (("category", ("category",)),),
    "csc_contact": (("from_agency", ("from_agency",)), ("outcome", ("outcome",))),
    "csc_referral": (("from_agency", ("from_agency",)), ("outcome", ("outcome",))),
    "strategy_discussion": (("agencies_present", ("agencies_present",)), ("outcome", ("outcome",))),
    "cp_plan": (("category", ("category",)),),
    "maternity_booking": (("due_date", ("due_date",)), ("booking_team", ("booking_team",))),
    "birth": (("discharge_date", ("discharge_date",)),),
    "ed_attendance": (("reason", ("reason",)),),
    "hv_contact": (("contact_type", ("contact_type",)),),
    "school_nurse_contact": (("contact_type", ("contact_type",)),),
    "gp_registration": (("ods_code", ("ods_code",)),),
    "school_enrolment": (("school_urn", ("school_urn",)),),
    "probation_supervision": (("order_type", ("order_type",)), ("team", ("offender_manager", "team"))),
    "marac_referral": (("referring_agency", ("referring_agency",)), ("criteria", ("criteria",))),
}


def summary_facts(kind: str, details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The short facts that summarise a record: ``[(fact code, value)]`` in a fixed order."""
    out: list[tuple[str, str]] = []
    for code, path in SUMMARY_FIELDS.get(kind, ()):
        value: Any = details
        for step in path:
            value = value.get(step) if isinstance(value, Mapping) else None
        text = _text(value)
        if text:
            out.append((code, text))
    return out


def dash_yes(details: Mapping[str, Any]) -> int:
    """§1.1: answers equal to "yes" (any case) under "1" to "27", whatever ``completed`` says."""
    dash = details.get("dash")
    answers = dash.get("answers") if isinstance(dash, Mapping) else None
    if not isinstance(answers, Mapping):
        return 0
    return sum(1 for k, v in answers.items()
               if k in {str(n) for n in range(1, 28)} and isinstance(v, str) and v.strip().lower() == "yes")


@dataclass(frozen=True, slots=True)
class Glance:
    """"3 incidents in 12 months, 11 since 2012"."""

    in_window: int
    months: int
    total: int
    since_year: int | None
    by_year: tuple[tuple[int, int], ...] = ()


def at_a_glance(occurred: Iterable[dt.datetime], up_to: dt.datetime, *, months: int = 12) -> Glance:
    """Count incidents within the ``months`` months up to ``up_to`` (protocol window rule), and all of them."""
    moments = sorted(o for o in occurred if o <= up_to)
    in_window = sum(1 for o in moments if within_months(o, up_to, months))
    years: dict[int, int] = {}
    for o in moments:
        year = o.astimezone(LONDON).year
        years[year] = years.get(year, 0) + 1
    since = moments[0].astimezone(LONDON).year if moments else None
    return Glance(in_window, months, len(moments), since, tuple(sorted(years.items())))


# --- household composition over time -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stay:
    """One record's statement that a person lived at a household address from ``since`` (to ``until``)."""

    household_key: str
    postcode: str
    confidential: bool
    since: dt.date
    until: dt.date | None
    source: tuple[str, str]  # (agency, record_id)


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch during which a person's latest known address was one household address."""

    household_key: str
    postcode: str
    confidential: bool
    start: dt.date
    end: dt.date | None  # exclusive; None = still there as far as anyone knows
    sources: tuple[tuple[str, str], ...]

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        return (end is None or self.start < end) and (self.end is None or start < self.end)


def residence_intervals(stays: Sequence[Stay]) -> list[Interval]:
    """Where a person was over time: each new address starts a stretch that ends when the next one begins,
    or when the record that gave it says it ended (a finished tenancy, for example)."""
    ordered = sorted(stays, key=lambda s: (s.since, s.until or dt.date.max))
    out: list[Interval] = []
    for stay in ordered:
        last = out[-1] if out else None
        if last is not None and last.household_key == stay.household_key and (last.end is None or last.end >= stay.since):
            end = None if last.end is None or stay.until is None else max(last.end, stay.until)
            sources = last.sources + ((stay.source,) if stay.source not in last.sources else ())
            out[-1] = Interval(last.household_key, last.postcode, last.confidential or stay.confidential,
                               last.start, end, sources)
            continue
        if last is not None and (last.end is None or last.end > stay.since):
            out[-1] = Interval(last.household_key, last.postcode, last.confidential, last.start, stay.since,
                               last.sources)
            if out[-1].start >= out[-1].end:  # type: ignore[operator]
                out.pop()
        out.append(Interval(stay.household_key, stay.postcode, stay.confidential, stay.since, stay.until,
                            (stay.source,)))
    return out


@dataclass(frozen=True, slots=True)
class Member:
    person_id: str
    start: dt.date
    end: dt.date | None
    sources: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Home:
    """One address the person lived at, and who else lived there while they did."""

    interval: Interval
    members: tuple[Member, ...] = field(default=())


def household_over_time(person: Sequence[Stay], others: Mapping[str, Sequence[Stay]]) -> list[Home]:
    """For each stretch at one address, the other people whose own stretch there overlapped it."""
    homes: list[Home] = []
    other_intervals = {pid: residence_intervals(s) for pid, s in others.items()}
    for interval in residence_intervals(person):
        members: list[Member] = []
        for pid, intervals in sorted(other_intervals.items()):
            for other in intervals:
                if other.household_key == interval.household_key and other.overlaps(interval.start, interval.end):
                    start = max(other.start, interval.start)
                    ends = [e for e in (other.end, interval.end) if e is not None]
                    members.append(Member(pid, start, min(ends) if ends else None, other.sources))
        homes.append(Home(interval, tuple(sorted(members, key=lambda m: (m.start, m.person_id)))))
    return homes


# --- the child's voice -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Voice:
    """What a child was seen, heard and observed to be, on one record."""

    occurred_at: dt.datetime
    agency: str
    record_id: str
    seen: bool | None
    said: str | None
    demeanour: str | None
    behaviour: str | None


def voices_in(data: Mapping[str, Any], refs: Iterable[str], *, occurred_at: dt.datetime, agency: str,
              record_id: str) -> list[Voice]:
    """The ``children_seen`` entries of one record about the given person refs."""
    wanted = set(refs)
    details = data.get("details")
    seen_list = details.get("children_seen") if isinstance(details, Mapping) else None
    out: list[Voice] = []
    for entry in seen_list if isinstance(seen_list, list) else []:
        if not isinstance(entry, Mapping) or entry.get("ref") not in wanted:
            continue
        seen = entry.get("seen")
        out.append(Voice(occurred_at, agency, record_id, seen if isinstance(seen, bool) else None,
                         _text(entry.get("said")), _text(entry.get("demeanour")), _text(entry.get("behaviour"))))
    return out


def local_day(instant: dt.datetime) -> dt.date:
    return local_date(instant)
