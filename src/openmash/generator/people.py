"""People and households of the synthetic county, and how each agency writes a person."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import names
from .places import Address

DAY = 86_400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
HEALTH = frozenset(
    {"midwifery", "health_visiting", "school_nursing", "gp", "ed", "adult_mental_health"}
)
CHILD_ROLES = frozenset({"child_present", "child_in_household"})

# Share of mentions carrying an NHS number, by agency (police rarely, health nearly always).
NHS_RATE = {
    "midwifery": 0.97, "gp": 0.97, "health_visiting": 0.95, "school_nursing": 0.9, "ed": 0.9,
    "adult_mental_health": 0.93, "drug_alcohol": 0.5, "csc": 0.35, "police": 0.05,
    "school": 0.15, "housing": 0.04, "probation": 0.1, "yos": 0.25, "marac": 0.3, "idva": 0.25,
    "early_help": 0.3,
}
KEEP_DIACRITICS = {"police": 0.12, "probation": 0.3, "housing": 0.4, "school": 0.5}
APID_FORMAT = {
    "police": "PN{:07d}", "csc": "{:06d}", "early_help": "EH{:06d}", "midwifery": "RM1{:07d}",
    "health_visiting": "{:010d}", "school_nursing": "{:010d}", "gp": "{:06d}",
    "ed": "RM1{:07d}", "adult_mental_health": "{:07d}", "drug_alcohol": "{:06d}",
    "probation": "X{:06d}", "yos": "{:06d}", "school": "{:06d}", "housing": "{:06d}",
    "idva": "ID{:05d}", "marac": "M{:05d}",
}


def to_date(ts: int) -> date:
    return date.fromordinal(ts // DAY + EPOCH_ORDINAL)


def to_ts(d: date, seconds: int = 0) -> int:
    return (d.toordinal() - EPOCH_ORDINAL) * DAY + seconds


def age_on(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def nhs_check_digit(nine: str) -> int | None:
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_valid(number: str) -> bool:
    digits = number.replace(" ", "").replace("-", "")
    return len(digits) == 10 and digits.isdigit() and nhs_check_digit(digits[:9]) == int(digits[9])


@dataclass(slots=True, eq=False)
class Household:
    idx: int
    culture: str
    social: bool
    addrs: list[tuple[int, Address]]
    members: list[Person] = field(default_factory=list)
    kind: str = ""
    stable: bool = False
    # Times when the household's make-up changed in a way housing records (a partner moving in).
    tenancy_changes: list[int] = field(default_factory=list)

    def addr_at(self, ts: int) -> Address:
        current = self.addrs[0][1]
        for since, addr in self.addrs:
            if since > ts:
                break
            current = addr
        return current

    def residents(self, ts: int) -> list[Person]:
        return [p for p in self.members if p.born_ts <= ts and p.hh_at(ts) == self.idx]


@dataclass(slots=True)
class Profile:
    given: str
    family: str
    other_names: tuple[str, ...]
    dob: date | None
    est_err: int | None
    sex: str | None
    nhs: str | None
    apid: str
    language: bool


@dataclass(slots=True, eq=False)
class Person:
    pid: str
    sex: str
    given: str
    middle: str | None
    family: str
    dob: date
    born_ts: int
    nhs: str
    culture: str
    maiden: str | None = None
    lt_forms: tuple[str, str, str] | None = None
    interpreter: bool = False
    stays: list[tuple[int, int]] = field(default_factory=list)
    follow: Person | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    gp_history: list[tuple[int, str]] = field(default_factory=list)
    school_history: list[tuple[int, int, str]] = field(default_factory=list)
    mother: Person | None = None
    plan_until: int = 0
    supervised_until: int = 0

    def hh_at(self, ts: int) -> int:
        if self.follow is not None:
            return self.follow.hh_at(ts)
        current = self.stays[0][1]
        for since, hh in self.stays:
            if since > ts:
                break
            current = hh
        return current

    def gp_at(self, ts: int) -> str | None:
        current = None
        for since, ods in self.gp_history:
            if since > ts:
                break
            current = ods
        return current

    def school_at(self, ts: int) -> str | None:
        for begin, end, urn in self.school_history:
            if begin <= ts < end:
                return urn
        return None

    def age(self, ts: int) -> int:
        return age_on(self.dob, to_date(ts))


class Scribe:
    """Writes a person as one agency would, with that agency's habits and mistakes.

    Each agency keeps a mostly stable picture of a person (a wrong date of birth stays
    wrong), but a different clerk now and then writes them afresh.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._counters: dict[str, int] = {}

    def new_apid(self, agency: str) -> str:
        n = self._counters.get(agency, 0) + 1
        self._counters[agency] = n
        # Plain numbers from a shared base, so the same string names different people in
        # different agencies.
        return APID_FORMAT[agency].format(100_000 + n * 7 + self.rng.randrange(7))

    def profile(self, p: Person, agency: str) -> Profile:
        prof = p.profiles.get(agency)
        if prof is None:
            prof = self._make(p, agency)
            p.profiles[agency] = prof
        elif self.rng.random() < 0.15:
            return self._make(p, agency)
        return prof

    def _make(self, p: Person, agency: str) -> Profile:
        r = self.rng.random
        rng = self.rng
        police = agency == "police"
        health = agency in HEALTH
        given = p.given
        if p.middle:
            x = r()
            if x < (0.5 if health else 0.3):
                given = f"{p.given} {p.middle}"
            elif x < (0.53 if health else 0.33):
                given = f"{p.middle} {p.given}"
        nick = names.NICKNAMES.get(p.given)
        if nick and r() < (0.3 if police else 0.15):
            given = rng.choice(nick)
        family = p.family
        other: tuple[str, ...] = ()
        if p.lt_forms and p.sex == "female" and r() < 0.2:
            family = rng.choice([f for f in p.lt_forms if f != p.family])
        if p.maiden:
            x = r()
            if x < 0.28:
                other = (p.maiden,)
            elif x < 0.33:
                family = p.maiden
                other = (p.family,) if r() < 0.5 else ()
        if p.culture != "en":
            if r() >= KEEP_DIACRITICS.get(agency, 0.9 if health else 0.55):
                given = names.strip_diacritics(given)
                family = names.strip_diacritics(family)
                other = tuple(names.strip_diacritics(o) for o in other)
            elif p.culture == "ro" and r() < 0.25:
                given = names.cedilla_form(given)
                family = names.cedilla_form(family)
        x = r()
        if x < 0.04:
            given = names.typo(rng, given)
        elif x < 0.09:
            family = names.typo(rng, family)
        if r() < (0.12 if police else 0.035):
            family = family.upper()
        dob: date | None = p.dob
        est_err: int | None = None
        x = r()
        if x < (0.03 if police else 0.012):
            dob = None
            adult = p.dob.year < 2006
            est_err = rng.choice((-3, -2, -1, 0, 0, 1, 2, 3)) if adult else rng.choice((-1, 0, 0, 1))
            if r() < 0.15:
                est_err = None
        elif 0.02 <= x < 0.035 and p.dob.day <= 12 and p.dob.day != p.dob.month:
            dob = date(p.dob.year, p.dob.day, p.dob.month)
        elif 0.035 <= x < 0.045 and not (p.dob.month == 2 and p.dob.day == 29):
            dob = p.dob.replace(year=p.dob.year + rng.choice((-1, 1)))
        sex: str | None = p.sex
        if r() < 0.006:
            sex = rng.choice(("unknown", None))
        nhs = None
        if r() < NHS_RATE.get(agency, 0.2):
            digits = p.nhs
            if r() < 0.025:
                digits = _mistype_nhs(rng, digits)
            form = r()
            if form < 0.25:
                nhs = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
            elif form < 0.35:
                nhs = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
            else:
                nhs = digits
        apid = p.ids.get(agency)
        if apid is None:
            apid = p.ids[agency] = self.new_apid(agency)
        elif r() < 0.03:
            apid = self.new_apid(agency)
        return Profile(given, family, other, dob, est_err, sex, nhs, apid,
                       r() < (0.6 if police else 0.8))


def _mistype_nhs(rng: random.Random, digits: str) -> str:
    for _ in range(20):
        i = rng.randrange(3, 10)
        if rng.random() < 0.5 and i < 9 and digits[i] != digits[i + 1]:
            bad = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        else:
            bad = digits[:i] + str((int(digits[i]) + rng.randint(1, 9)) % 10) + digits[i + 1 :]
        if not nhs_valid(bad):
            return bad
    return digits[:9] + str((int(digits[9]) + 1) % 10)


def person_mention(
    scribe: Scribe,
    p: Person,
    agency: str,
    role: str,
    ref: str,
    ts: int,
    address: dict[str, Any] | None,
) -> dict[str, Any]:
    prof = scribe.profile(p, agency)
    on = to_date(ts)
    m: dict[str, Any] = {"ref": ref, "role": role, "given_names": prof.given, "family_name": prof.family}
    if prof.other_names:
        m["other_names"] = list(prof.other_names)
    dob = prof.dob
    if dob is None:
        m["date_of_birth"] = None
        if prof.est_err is not None:
            m["estimated_age"] = min(120, max(0, age_on(p.dob, on) + prof.est_err))
    else:
        # A slip that would make the record doubtful (a future birth, an adult "child")
        # is one the source system would have caught, so fall back to the truth.
        if dob > on or (role in CHILD_ROLES and age_on(dob, on) >= 18 > age_on(p.dob, on)):
            dob = p.dob
        m["date_of_birth"] = dob.isoformat()
    m["sex"] = prof.sex
    if prof.nhs:
        m["nhs_number"] = prof.nhs
    m["agency_person_id"] = prof.apid
    m["address"] = address
    if p.culture != "en" and prof.language:
        m["language"] = p.culture
        if p.interpreter:
            m["interpreter_needed"] = True
    return m
