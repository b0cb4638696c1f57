"""The interchange contract's record, as typed values (``interchange-v1.md`` §2-§3).

These dataclasses are what every later stage (identity, protocol, pages) reads.
They are built only from a line that has already passed the contract's schema
(``intake.domain.contract``), so construction here never fails on shape.
No Django imports: this module is pure domain.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nhs_number as _nhs

AGENCIES: tuple[str, ...] = (
    "police", "csc", "early_help", "midwifery", "health_visiting", "school_nursing", "gp", "ed",
    "adult_mental_health", "drug_alcohol", "probation", "yos", "school", "housing", "idva", "marac",
)
KINDS: tuple[str, ...] = (
    "da_incident", "police_incident", "csc_contact", "csc_referral", "strategy_discussion", "cp_plan",
    "cin_plan", "maternity_booking", "birth", "ed_attendance", "hv_contact", "school_nurse_contact",
    "gp_registration", "school_enrolment", "probation_supervision", "yos_order", "drug_alcohol_episode",
    "mental_health_episode", "tenancy", "marac_referral",
)
ROLES: tuple[str, ...] = (
    "victim", "perpetrator", "child_present", "child_in_household", "other_adult", "subject", "parent",
    "carer", "household_member", "professional", "referrer",
)
#: Kinds that describe a span (a plan, supervision, episode, enrolment...): "open at X" applies.
SPAN_KINDS: frozenset[str] = frozenset({
    "cp_plan", "cin_plan", "gp_registration", "school_enrolment", "probation_supervision", "yos_order",
    "drug_alcohol_episode", "mental_health_episode", "tenancy",
})

_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def normalise_postcode(value: str | None) -> str | None:
    """Upper-cased postcode without spaces, or None when it is not a UK postcode (§1, §3.2)."""
    if not value:
        return None
    compact = re.sub(r"\s+", "", value).upper()
    return compact if _UK_POSTCODE.match(compact) else None


def normalise_nhs_number(value: str | None) -> str | None:
    """The 10 digits of a *valid* NHS number, else None (an invalid one is never trusted, §3)."""
    if not value:
        return None
    digits = re.sub(r"[\s-]", "", value)
    if len(digits) != 10 or not digits.isdigit():
        return None
    return digits if _nhs.is_valid(digits) else None  # type: ignore[attr-defined]


def parse_datetime(value: str) -> dt.datetime:
    """RFC 3339 date-time with offset (already validated) as an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...] = ()
    town: str | None = None
    postcode: str | None = None
    uprn: str | None = None
    confidential: bool = False

    @property
    def postcode_normalised(self) -> str | None:
        return normalise_postcode(self.postcode)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> Address | None:
        if obj is None:
            return None
        uprn = obj.get("uprn")
        return cls(
            lines=tuple(obj.get("lines") or ()),
            town=obj.get("town"),
            postcode=obj.get("postcode"),
            uprn=uprn.strip() if isinstance(uprn, str) and uprn.strip() else None,
            confidential=bool(obj.get("confidential", False)),
        )


@dataclass(frozen=True, slots=True)
class PersonMention:
    """One person as named in one record (§3): the unit that identity links."""

    ref: str
    role: str
    given_names: str | None = None
    family_name: str | None = None
    other_names: tuple[str, ...] = ()
    date_of_birth: dt.date | None = None
    estimated_age: int | None = None
    sex: str | None = None
    nhs_number: str | None = None
    agency_person_id: str | None = None
    address: Address | None = None
    language: str | None = None
    interpreter_needed: bool = False
    pregnant: bool | None = None
    due_date: dt.date | None = None
    school_urn: str | None = None
    gp_ods_code: str | None = None
    #: False when the date of birth is doubtful (§1): it is then used neither for linking nor for ages.
    dob_trusted: bool = True

    @property
    def nhs_number_valid(self) -> str | None:
        """The normalised NHS number when it passes modulus 11, else None."""
        return normalise_nhs_number(self.nhs_number)

    @property
    def trusted_date_of_birth(self) -> dt.date | None:
        return self.date_of_birth if self.dob_trusted else None

    @property
    def is_linkable(self) -> bool:
        """Every role except ``professional`` is linked as a person (§3.1)."""
        return self.role != "professional"


@dataclass(frozen=True, slots=True)
class Record:
    """One version of one record, as the contract describes it."""

    agency: str
    record_id: str
    version: int
    kind: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    people: tuple[PersonMention, ...]
    ended_at: dt.datetime | None = None
    address: Address | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    narrative: str | None = None
    withdrawn: bool = False
    system: str | None = None
    area: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The record's identity ``(source.agency, record_id)``."""
        return (self.agency, self.record_id)

    def person(self, ref: str) -> PersonMention | None:
        return next((p for p in self.people if p.ref == ref), None)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Record:
        """Build from a JSON object that has passed the contract schema."""
        occurred = parse_datetime(obj["occurred_at"])
        people = tuple(_person_from_json(p, occurred) for p in obj["people"])
        ended = obj.get("ended_at")
        version = obj["version"]
        return cls(
            agency=obj["source"]["agency"],
            system=obj["source"].get("system"),
            area=obj["source"].get("area"),
            record_id=obj["record_id"],
            version=int(version),
            kind=obj["kind"],
            occurred_at=occurred,
            recorded_at=parse_datetime(obj["recorded_at"]),
            ended_at=parse_datetime(ended) if ended else None,
            address=Address.from_json(obj.get("address")),
            people=people,
            details=obj.get("details") or {},
            narrative=obj.get("narrative"),
            withdrawn=bool(obj.get("withdrawn", False)),
        )


def is_doubtful_date_of_birth(dob: dt.date, occurred_at: dt.datetime) -> bool:
    """After the record's local date, or more than 120 years before it (§1)."""
    from openmash.intake.domain.localtime import local_date

    day = local_date(occurred_at)
    if dob > day:
        return True
    try:
        limit = day.replace(year=day.year - 120)
    except ValueError:  # 29 February
        limit = day.replace(year=day.year - 120, day=28)
    return dob < limit


def _person_from_json(obj: Mapping[str, Any], occurred_at: dt.datetime) -> PersonMention:
    dob = dt.date.fromisoformat(obj["date_of_birth"]) if obj.get("date_of_birth") else None
    due = dt.date.fromisoformat(obj["due_date"]) if obj.get("due_date") else None
    return PersonMention(
        ref=obj["ref"],
        role=obj["role"],
        given_names=obj.get("given_names"),
        family_name=obj.get("family_name"),
        other_names=tuple(obj.get("other_names") or ()),
        date_of_birth=dob,
        estimated_age=obj.get("estimated_age"),
        sex=obj.get("sex"),
        nhs_number=obj.get("nhs_number"),
        agency_person_id=obj.get("agency_person_id"),
        address=Address.from_json(obj.get("address")),
        language=obj.get("language"),
        interpreter_needed=bool(obj.get("interpreter_needed", False)),
        pregnant=obj.get("pregnant"),
        due_date=due,
        school_urn=obj.get("school_urn"),
        gp_ods_code=obj.get("gp_ods_code"),
        dob_trusted=dob is None or not is_doubtful_date_of_birth(dob, occurred_at),
    )


def person_from_json(obj: Mapping[str, Any], occurred_at: dt.datetime) -> PersonMention:
    """One person object of a record (already schema-checked), dates of birth judged on ``occurred_at``."""
    return _person_from_json(obj, occurred_at)
