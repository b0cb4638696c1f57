"""Build a synthetic county: households, their lives over the period, and every agency's records."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from faker import Faker

from . import names as nm
from .people import (
    DAY,
    Household,
    Person,
    Scribe,
    age_on,
    nhs_check_digit,
    person_mention,
    to_date,
    to_ts,
)
from .places import Address, Geography, render_address, render_non_residential

GENERATOR = "openmash county generator 1"
SCHEMA = "openmash.record/1"
AREA = "eastshire-synthetic"
LONDON = ZoneInfo("Europe/London")
YEAR = 365 * DAY
FAR_PAST = -(10**10)
SYSTEMS = {
    "police": "niche", "csc": "mosaic", "early_help": "mosaic", "midwifery": "badgernet",
    "health_visiting": "systmone", "school_nursing": "systmone", "gp": "emis", "ed": "symphony",
    "adult_mental_health": "rio", "drug_alcohol": "nebula", "probation": "ndelius",
    "yos": "childview", "school": "sims", "housing": "northgate", "idva": "safelives-insights",
    "marac": "marac-coordinator",
}
RECORD_PREFIX = {
    "police": "NCH{:08d}", "csc": "ECS-{:07d}", "midwifery": "MAT{:07d}",
    "health_visiting": "HV{:07d}", "school_nursing": "SN{:07d}", "gp": "GPR{:08d}",
    "ed": "ED{:08d}", "adult_mental_health": "AMH{:07d}", "drug_alcohol": "DAS{:06d}",
    "probation": "DEL{:07d}", "yos": "YOS{:06d}", "school": "ENR{:07d}", "housing": "TEN{:07d}",
    "idva": "IDV{:06d}", "marac": "MRC{:06d}", "early_help": "EH{:07d}",
}
ALL_KINDS = (
    "da_incident", "police_incident", "csc_contact", "csc_referral", "strategy_discussion",
    "cp_plan", "cin_plan", "maternity_booking", "birth", "ed_attendance", "hv_contact",
    "school_nurse_contact", "gp_registration", "school_enrolment", "probation_supervision",
    "yos_order", "drug_alcohol_episode", "mental_health_episode", "tenancy", "marac_referral",
)

ED_REASONS_ADULT = (
    "Chest pain", "Abdominal pain", "Fall", "Laceration to hand", "Fractured wrist",
    "Overdose", "Alcohol intoxication", "Back pain", "Shortness of breath", "Head injury",
)
ED_REASONS_CHILD = (
    "Fever", "Head injury", "Fractured arm", "Ingestion of household product", "Asthma",
    "Laceration to forehead", "Burn to hand", "Vomiting", "Sprained ankle",
)
ED_REASONS_DA = (
    "Facial injury, states fell", "Bruising to arms", "Head injury, alleged assault",
    "Fractured cheekbone", "Strangulation marks to neck", "Laceration to lip",
)
POLICE_CATEGORIES = (
    "concern_for_welfare", "assault", "burglary", "antisocial_behaviour", "criminal_damage",
    "theft", "public_order", "missing",
)
OFFENCES = (
    "Common assault (s39 CJA 1988)", "Assault occasioning ABH (s47 OAPA 1861)",
    "Criminal damage", "Controlling or coercive behaviour (s76 SCA 2015)",
    "Non-fatal strangulation (s75A SCA 2015)", "Breach of non-molestation order",
    "Harassment", "Threats to kill", "Stalking", "Malicious communications",
)
BEHAVIOUR = (
    "crying", "hiding behind the sofa", "quiet and withdrawn", "clinging to mother",
    "playing in bedroom", "asleep upstairs", "shouting at officers", "rocking",
)
DEMEANOUR = ("tearful", "frightened", "calm", "anxious", "subdued", "distressed", "unsettled")
SAID = (
    "Daddy shouted at mummy", "He hurt mum again", "I want to stay with nanny",
    "I heard banging", "Mummy was crying", "They were arguing about money", "",
)
ACTS = (
    "grabbed her by the throat", "pushed her against a wall", "punched her in the face",
    "smashed her phone", "threatened her with a knife", "kicked the bedroom door in",
    "slapped her", "thrown a mug at her",
)
SUBSTANCES = ("alcohol", "heroin", "crack cocaine", "cannabis", "cocaine", "alcohol and cocaine")
MH_TEAMS = (
    "Crisis Team", "Community Mental Health Team", "Early Intervention in Psychosis",
    "Perinatal Mental Health", "Psychiatric Liaison",
)
ORDER_TYPES = ("Community Order", "Suspended Sentence Order", "Licence", "Post Sentence Supervision")
YOS_ORDERS = ("Youth Rehabilitation Order", "Referral Order", "Youth Conditional Caution")
REFUSED = (
    "Victim declined to answer", "Victim intoxicated", "Perpetrator present throughout",
    "Victim left before questions could be asked",
)


@dataclass(slots=True)
class _Incident:
    ts: int
    victim: Person
    perp: Person
    n: int
    severity: float
    omit_children: bool


@dataclass(slots=True)
class _Pregnancy:
    mother: Person
    father: Person | None
    booking: int
    due: date
    birth: int | None
    baby: Person | None


@dataclass
class GeneratedCounty:
    """The generated feeds and the truth about who is who."""

    history: list[dict[str, Any]]
    live: list[dict[str, Any]]
    truth: list[tuple[str, str, str, str]]
    seed: int
    households: int
    start: datetime
    cutoff: datetime
    live_end: datetime
    persons: int = 0

    def manifest(self) -> dict[str, Any]:
        def counts(records: list[dict[str, Any]]) -> dict[str, int]:
            c = Counter(f"{r['source']['agency']}/{r['kind']}" for r in records)
            return dict(sorted(c.items()))

        return {
            "generator": GENERATOR,
            "seed": self.seed,
            "households": self.households,
            "start": self.start.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "live_end": self.live_end.isoformat(),
            "persons": self.persons,
            "records": len(self.history) + len(self.live),
            "truth_rows": len(self.truth),
            "counts_history": counts(self.history),
            "counts_live": counts(self.live),
        }

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        files: dict[str, Any] = {}
        for name, records in (("history.jsonl", self.history), ("live.jsonl", self.live)):
            digest, size = hashlib.sha256(), 0
            with (directory / name).open("wb") as f:
                # Streamed in chunks so a large county never holds a second copy in memory.
                for i in range(0, len(records), 2000):
                    chunk = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[i : i + 2000]).encode()
                    digest.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
            files[name] = {"lines": len(records), "bytes": size, "sha256": digest.hexdigest()}
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(("agency", "record_id", "person_ref", "true_person_id"))
        writer.writerows(self.truth)
        (directory / "truth_links.csv").write_text(buf.getvalue(), encoding="utf-8", newline="")
        manifest = self.manifest()
        manifest["files"] = files
        (directory / "manifest.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def generate_county(
    *,
    households: int,
    seed: int,
    start: datetime,
    cutoff: datetime,
    live_end: datetime,
    progress: Callable[[str, int, int], None] | None = None,
) -> GeneratedCounty:
    """Generate `households` households living from before `start` to `live_end`.

    Records recorded before `cutoff` are history, the rest up to `live_end` are live.
    The same arguments always give the same output.
    """
    if households < 1:
        raise ValueError("households must be at least 1")
    times = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, cutoff, live_end)]
    if not times[0] < times[1] < times[2]:
        raise ValueError("need start < cutoff < live_end")
    start_ts, cut, end_ts = (int(t.timestamp()) for t in times)
    county = _County(seed, start_ts, cut, end_ts, progress)
    county.populate(households)
    county.plan()
    county.emit()
    county.out.sort(key=lambda item: (item[0], item[1]))
    history = [rec for ts, _, rec in county.out if ts < cut]
    live = [rec for ts, _, rec in county.out if ts >= cut]
    return GeneratedCounty(
        history, live, county.truth, seed, households, times[0], times[1], times[2], persons=len(county.people)
    )


def _fmt(ts: int) -> str:
    return datetime.fromtimestamp(ts - ts % 60, LONDON).isoformat()


class _County:
    def __init__(
        self,
        seed: int,
        start: int,
        cutoff: int,
        live_end: int,
        progress: Callable[[str, int, int], None] | None,
    ) -> None:
        self.rng = random.Random(seed)
        self.start, self.cutoff, self.end = start, cutoff, live_end
        self.progress = progress
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.workers = [f"{fake.first_name()} {fake.last_name()}" for _ in range(80)]
        self._fake_surnames = list(dict.fromkeys(fake.last_name() for _ in range(400)))
        self.surnames = list(dict.fromkeys(nm.ENGLISH_SURNAMES + self._fake_surnames))
        self.geo: Geography | None = None
        self.scribe = Scribe(self.rng)
        self.people: list[Person] = []
        self.hhs: list[Household] = []
        self.out: list[tuple[int, int, dict[str, Any]]] = []
        self.truth: list[tuple[str, str, str, str]] = []
        self.incidents: list[_Incident] = []
        self.pregnancies: list[_Pregnancy] = []
        self.forced_gp: set[tuple[str, int]] = set()
        self.partner_targets: list[Household] = []
        self.moved_in: list[tuple[Person, Household, int]] = []
        self.da_homes: list[tuple[Household, Person, Person]] = []
        self._nhs: set[str] = set()
        self._seq = 0
        self._record_counter: dict[str, int] = {}
        self._refuge_next = 0
        self.teams = {
            t: [f"{t} PDU Team {i}" for i in (1, 2)] for t in ("Norwich", "Great Yarmouth", "King's Lynn")
        }

    # ---- population -------------------------------------------------------------------

    def _nhs_number(self) -> str:
        while True:
            nine = f"999{self.rng.randrange(10**6):06d}"
            check = nhs_check_digit(nine)
            if check is None:
                continue
            number = nine + str(check)
            if number not in self._nhs:
                self._nhs.add(number)
                return number

    def _dob_for_age(self, age: float) -> date:
        d0 = to_date(self.start)
        return date.fromordinal(d0.toordinal() - int(age * 365.25) - self.rng.randrange(365))

    def _given(self, culture: str, sex: str, dob: date, taken: set[str]) -> tuple[str, str | None]:
        rng = self.rng
        if culture == "pl":
            pool = nm.POLISH_MALE if sex == "male" else nm.POLISH_FEMALE
        elif culture == "lt":
            pool = nm.LITHUANIAN_MALE if sex == "male" else nm.LITHUANIAN_FEMALE
        elif culture == "ro":
            pool = nm.ROMANIAN_MALE if sex == "male" else nm.ROMANIAN_FEMALE
        elif dob.year >= 2008 and rng.random() < 0.75:
            pool = nm.CHILD_MALE if sex == "male" else nm.CHILD_FEMALE
        else:
            pool = nm.ENGLISH_MALE if sex == "male" else nm.ENGLISH_FEMALE
        while True:
            given = rng.choice(pool)
            if given not in taken:
                break
        taken.add(given)
        middle = None
        if rng.random() < (0.5 if culture == "en" else 0.2):
            middle = rng.choice(pool)
            if middle == given:
                middle = None
        return given, middle

    def _surname_base(self, culture: str) -> Any:
        rng = self.rng
        if culture == "pl":
            return rng.choice(nm.POLISH_SURNAMES)
        if culture == "lt":
            return rng.choice(nm.LITHUANIAN_SURNAMES)
        if culture == "ro":
            return rng.choice(nm.ROMANIAN_SURNAMES)
        return rng.choice(self.surnames)

    @staticmethod
    def _surname(culture: str, base: Any, sex: str, married: bool) -> str:
        if culture == "pl":
            return str(base[0] if sex == "male" else base[1])
        if culture == "lt":
            return str(base[0] if sex == "male" else base[1] if married else base[2])
        return str(base)

    def _person(
        self, hh: Household, sex: str, dob: date, family: str, taken: set[str], *,
        base: Any = None, maiden: str | None = None, given: str | None = None, born_ts: int | None = None,
    ) -> Person:
        g, middle = self._given(hh.culture, sex, dob, taken)
        if given is not None:
            g = given
        adult = age_on(dob, to_date(self.start)) >= 18
        p = Person(
            pid=f"T{len(self.people) + 1:07d}", sex=sex, given=g, middle=middle, family=family,
            dob=dob, born_ts=FAR_PAST if born_ts is None else born_ts, nhs=self._nhs_number(),
            culture=hh.culture, maiden=maiden,
            lt_forms=tuple(base) if hh.culture == "lt" and base is not None else None,
            interpreter=hh.culture != "en" and adult and self.rng.random() < 0.35,
            stays=[(FAR_PAST, hh.idx)],
        )
        self.people.append(p)
        hh.members.append(p)
        return p

    def populate(self, n: int) -> None:
        rng = self.rng
        self.geo = Geography(rng, n, self._fake_surnames[:60])
        for idx in range(n):
            x = rng.random()
            culture = "pl" if x < 0.045 else "lt" if x < 0.065 else "ro" if x < 0.09 else "en"
            town = self.geo.pick_town()
            hh = Household(idx, culture, rng.random() < 0.3, [(FAR_PAST, self.geo.dwelling(town))])
            self.hhs.append(hh)
            self._compose(hh)
        # Single mothers whom a perpetrator from a DA household will move in with.
        singles = [h for h in self.hhs if h.kind == "single_parent"]
        rng.shuffle(singles)
        self.partner_targets = singles

    def _compose(self, hh: Household) -> None:
        rng = self.rng
        taken: set[str] = set()
        x = rng.random()
        kind = (
            "single" if x < 0.2 else "sharers" if x < 0.25 else "couple" if x < 0.42
            else "family" if x < 0.78 else "single_parent" if x < 0.92 else "elderly"
        )
        hh.kind = kind
        c = hh.culture
        if kind in ("single", "sharers"):
            for _ in range(1 if kind == "single" else 2):
                sex = rng.choice(("male", "female"))
                dob = self._dob_for_age(rng.uniform(19, 80 if kind == "single" else 40))
                base = self._surname_base(c)
                self._person(hh, sex, dob, self._surname(c, base, sex, False), taken, base=base)
            return
        if kind == "elderly":
            base = self._surname_base(c)
            dob = self._dob_for_age(rng.uniform(66, 90))
            self._person(hh, "male", dob, self._surname(c, base, "male", True), taken, base=base)
            wb = self._surname_base(c)
            self._person(hh, "female", self._dob_for_age(rng.uniform(64, 88)),
                         self._surname(c, base, "female", True), taken, base=base,
                         maiden=self._surname(c, wb, "female", False))
            return
        n_kids = 0 if kind == "couple" else rng.choices((1, 2, 3, 4), (35, 38, 18, 9))[0]
        youngest = rng.uniform(0, 12 if n_kids else 0)
        ages: list[float] = []
        age = youngest
        for i in range(n_kids):
            ages.append(age)
            if i + 1 < n_kids:
                age += 0.0 if rng.random() < 0.045 else rng.uniform(1.0, 4.0)
        ages = [a for a in ages if a < 17.9]
        oldest = max(ages) if ages else 0.0
        mother_age = oldest + rng.uniform(19, 34) if ages else rng.uniform(21, 70)
        man_base = self._surname_base(c)
        woman_base = self._surname_base(c)
        man: Person | None = None
        if kind in ("couple", "family"):
            married = rng.random() < 0.55
            man = self._person(hh, "male", self._dob_for_age(mother_age + rng.uniform(-2, 7)),
                               self._surname(c, man_base, "male", True), taken, base=man_base)
            if married:
                woman = self._person(hh, "female", self._dob_for_age(mother_age),
                                     self._surname(c, man_base, "female", True), taken, base=man_base,
                                     maiden=self._surname(c, woman_base, "female", False))
            else:
                woman = self._person(hh, "female", self._dob_for_age(mother_age),
                                     self._surname(c, woman_base, "female", False), taken, base=woman_base)
            kid_base = man_base if rng.random() < (0.8 if married else 0.55) else woman_base
        else:
            if rng.random() < 0.4:
                ex = self._surname_base(c)
                woman = self._person(hh, "female", self._dob_for_age(mother_age),
                                     self._surname(c, ex, "female", True), taken, base=ex,
                                     maiden=self._surname(c, woman_base, "female", False))
                kid_base = ex
            else:
                woman = self._person(hh, "female", self._dob_for_age(mother_age),
                                     self._surname(c, woman_base, "female", False), taken, base=woman_base)
                kid_base = woman_base if rng.random() < 0.6 else self._surname_base(c)
        prev_dob: date | None = None
        prev_age = -1.0
        for a in sorted(ages, reverse=True):
            sex = rng.choice(("male", "female"))
            # Twins share a date of birth, surname and address: hard negatives for linking.
            dob = prev_dob if a == prev_age and prev_dob else self._dob_for_age(a)
            given = man.given if man and sex == "male" and c == "en" and rng.random() < 0.03 else None
            kid = self._person(hh, sex, dob, self._surname(c, kid_base, sex, False), taken,
                               base=kid_base, given=given)
            kid.mother = woman
            prev_dob, prev_age = dob, a
        if kind == "family" and len(hh.members) < 6 and rng.random() < 0.05:
            sex = rng.choice(("male", "female"))
            self._person(hh, sex, self._dob_for_age(rng.uniform(62, 85)),
                         self._surname(c, self._surname_base(c), sex, True), taken)
        if man is not None:
            rate = 0.11 if len(hh.members) > 2 else 0.04
            if rng.random() < rate:
                victim, perp = (woman, man) if rng.random() < 0.92 else (man, woman)
                self.da_homes.append((hh, victim, perp))


    # ---- planning ---------------------------------------------------------------------

    def _days(self, lo: float, hi: float) -> int:
        return int(self.rng.uniform(lo, hi) * DAY)

    def _within(self, a: int, b: int) -> int:
        return a + self.rng.randrange(max(1, b - a))

    def plan(self) -> None:
        rng = self.rng
        # Perpetrators who move on need a target household that stays put, chosen first.
        self.movers: list[tuple[Household, Person, Person, Household | None]] = []
        for hh, victim, perp in self.da_homes:
            target = None
            if self.partner_targets and rng.random() < 0.3:
                target = self.partner_targets.pop()
                target.stable = True
            self.movers.append((hh, victim, perp, target))
        self._plan_births()
        self._plan_moves()
        self._plan_abuse()
        self._settle_babies()

    def _plan_births(self) -> None:
        rng = self.rng
        victims = {id(v) for _, v, _ in self.da_homes}
        d0 = to_date(self.start)
        for hh in self.hhs:
            partnered = hh.kind in ("couple", "family")
            men = [p for p in hh.members if p.sex == "male" and age_on(p.dob, d0) >= 18]
            for w in list(hh.members):
                if w.sex != "female" or w.mother is not None or not 17 <= age_on(w.dob, d0) <= 43:
                    continue
                rate = 0.11 if id(w) in victims else 0.07 if partnered else 0.015
                kids = [k for k in hh.members if k.mother is w]
                last = max((to_ts(k.dob) for k in kids), default=FAR_PAST)
                t = self.start - 200 * DAY
                while True:
                    t += int(rng.expovariate(rate) * YEAR)
                    if t >= self.end - 40 * DAY or age_on(w.dob, to_date(t)) > 44:
                        break
                    if t < last + 300 * DAY:
                        continue
                    if len(hh.members) >= 6:
                        break
                    self._pregnancy(hh, w, men[0] if partnered and men else None, t, kids)
                    last = t + 280 * DAY
                    t = last

    def _pregnancy(self, hh: Household, mother: Person, partner: Person | None, lmp: int,
                   siblings: list[Person]) -> None:
        rng = self.rng
        booking = lmp + self._days(56, 90)
        booking = booking - booking % DAY + 9 * 3600 + rng.randrange(7 * 3600)
        due = to_date(lmp + 280 * DAY)
        birth: int | None = lmp + self._days(259, 292) + rng.randrange(DAY)
        baby = None
        if rng.random() < 0.06:
            birth = None
        elif birth is not None and birth < self.end:
            sex = rng.choice(("male", "female"))
            c = hh.culture
            if siblings:
                sib = siblings[-1]
                family = sib.family
                if c == "pl" and sex != sib.sex:
                    family = next((f[0] if sex == "male" else f[1] for f in nm.POLISH_SURNAMES
                                   if sib.family in f), family)
                if c == "lt" and sib.lt_forms and sex != sib.sex:
                    family = sib.lt_forms[0] if sex == "male" else sib.lt_forms[2]
                base = sib.lt_forms
            else:
                source = partner if partner is not None and rng.random() < 0.7 else mother
                family = source.family
                base = source.lt_forms
                if c == "pl" and sex != source.sex:
                    family = next((f[0] if sex == "male" else f[1] for f in nm.POLISH_SURNAMES
                                   if source.family in f), family)
                if c == "lt" and base:
                    family = base[0] if sex == "male" else base[2]
            taken = {p.given for p in hh.members}
            baby = self._person(hh, sex, to_date(birth), family, taken, base=base, born_ts=birth)
            baby.mother = mother
            baby.follow = mother
            baby.interpreter = False
        self.pregnancies.append(_Pregnancy(mother, partner, booking, due, birth, baby))

    def _plan_moves(self) -> None:
        rng = self.rng
        assert self.geo is not None
        da = {hh.idx for hh, _, _ in self.da_homes}
        for hh in self.hhs:
            if hh.stable or hh.idx in da:
                continue
            t = self.start
            while True:
                t += int(rng.expovariate(0.035) * YEAR)
                if t >= self.end:
                    break
                town = self.geo.pick_town(near=hh.addr_at(t).town)
                hh.addrs.append((t, self.geo.dwelling(town)))

    def _evening(self, t: int) -> int:
        day = t - t % DAY
        return day + (16 * 3600 + self.rng.randrange(11 * 3600)) % DAY

    def _plan_abuse(self) -> None:
        rng = self.rng
        assert self.geo is not None
        showcase_done = False
        for hh, victim, perp, target in self.movers:
            has_kids = any(p.age(self.start) < 16 for p in hh.members if p.mother is not None)
            if not showcase_done and has_kids:
                # One household with eleven call-outs in the four years, then a live one.
                showcase_done = True
                times = sorted(self._within(self.start + 20 * DAY, self.cutoff - 5 * DAY) for _ in range(11))
                times.append(self._within(self.cutoff + 2 * DAY, self.end - 2 * DAY))
                base = 5.0
            else:
                x = rng.random()
                n = rng.randint(6, 10) if x < 0.06 else rng.randint(3, 5) if x < 0.35 else rng.choice((1, 1, 2))
                times = sorted(self._within(self.start, self.end) for _ in range(n))
                base = rng.uniform(3, 10)
            times = [self._evening(t) for t in times]
            n = len(times)
            if n >= 3 and rng.random() < 0.3:
                k = rng.randrange(1, n - 1)
                t_f = times[k] + self._days(1, 10)
                refuge = self.geo.refuges[self._refuge_next % len(self.geo.refuges)]
                self._refuge_next += 1
                r_hh = Household(len(self.hhs), hh.culture, True, [(t_f, refuge)], kind="refuge")
                self.hhs.append(r_hh)
                movers = [p for p in hh.residents(t_f)
                          if p is victim or (p is not perp and p.age(t_f) < 18)]
                for p in movers:
                    if p.follow is None:
                        p.stays.append((t_f, r_hh.idx))
                    r_hh.members.append(p)
                t_r = t_f + self._days(60, 240)
                if rng.random() < 0.3:
                    for p in movers:
                        if p.follow is None:
                            p.stays.append((t_r, hh.idx))
                else:
                    town = self.geo.pick_town()
                    r_hh.addrs.append((t_r, self.geo.dwelling(town)))
            for i, t in enumerate(times):
                self.incidents.append(
                    _Incident(t, victim, perp, i + 1, base + i * rng.uniform(0.3, 1.2), rng.random() < 0.12)
                )
            if target is None:
                continue
            move_in = times[-1] + self._days(20, 150)
            partner = next((p for p in target.members if p.sex == "female" and p.mother is None), None)
            if move_in >= self.end - 30 * DAY or partner is None:
                continue
            perp.stays.append((move_in, target.idx))
            target.members.append(perp)
            target.tenancy_changes.append(move_in + self._days(14, 60))
            self.forced_gp.add((perp.pid, move_in))
            self.moved_in.append((perp, target, move_in))
            if rng.random() < 0.45:
                for i in range(rng.randint(1, 3)):
                    t = self._evening(self._within(move_in + 40 * DAY, self.end))
                    if t > move_in + 40 * DAY:
                        self.incidents.append(_Incident(t, partner, perp, i + 1, base, rng.random() < 0.1))
        self.incidents.sort(key=lambda inc: inc.ts)

    def _settle_babies(self) -> None:
        # A baby lives wherever its mother lives, so it belongs to each of her later homes.
        for preg in self.pregnancies:
            baby = preg.baby
            if baby is None:
                continue
            stays = preg.mother.stays
            for i, (_since, h) in enumerate(stays):
                nxt = stays[i + 1][0] if i + 1 < len(stays) else self.end
                if nxt > baby.born_ts and baby not in self.hhs[h].members:
                    self.hhs[h].members.append(baby)

    # ---- record plumbing --------------------------------------------------------------

    def _rid(self, agency: str) -> str:
        n = self._record_counter.get(agency, 0) + 1
        self._record_counter[agency] = n
        return RECORD_PREFIX[agency].format(100_000 + n * 3 + self.rng.randrange(3))

    def addr_of(self, p: Person, ts: int) -> Address:
        return self.hhs[p.hh_at(ts)].addr_at(ts)

    def _m(self, p: Person, agency: str, role: str, ref: str, ts: int, *, address_ts: int | None = None,
           **extra: Any) -> dict[str, Any]:
        """`ts` is the record's occurred_at (ages, date checks); `address_ts` when the address is newer."""
        rendered: dict[str, Any] | None = None
        if self.rng.random() >= (0.03 if agency == "police" else 0.012):
            rendered = render_address(self.rng, self.addr_of(p, address_ts or ts), agency)
        m = person_mention(self.scribe, p, agency, role, ref, ts, rendered)
        for key, value in extra.items():
            if value is not None:
                m[key] = value
        return m

    def _worker(self, ref: str = "w1") -> tuple[None, dict[str, Any]]:
        given, family = self.rng.choice(self.workers).split(" ", 1)
        return None, {"ref": ref, "role": "professional", "given_names": given, "family_name": family}

    def _push(self, rec: dict[str, Any], recorded: int, people: Sequence[tuple[Person | None, dict[str, Any]]]) -> bool:
        if recorded >= self.end:
            return False
        self._seq += 1
        self.out.append((recorded, self._seq, rec))
        if rec["version"] == 1:
            agency, rid = rec["source"]["agency"], rec["record_id"]
            for p, m in people:
                if p is not None and m["role"] != "professional":
                    self.truth.append((agency, rid, m["ref"], p.pid))
        return True

    def _emit(
        self,
        agency: str,
        kind: str,
        occurred: int,
        recorded: int,
        people: Sequence[tuple[Person | None, dict[str, Any]]],
        details: dict[str, Any] | None = None,
        *,
        address: dict[str, Any] | None = None,
        narrative: str | None = None,
        span: bool = False,
        ended: int | None = None,
        updates: Sequence[tuple[int, dict[str, Any]]] = (),
    ) -> dict[str, Any] | None:
        """Emit a record's first version, then any later ones (address updates, the end of a
        span, a correction)."""
        rng = self.rng
        recorded = max(recorded, occurred)
        rec: dict[str, Any] = {
            "schema": SCHEMA,
            "source": {"agency": agency, "system": SYSTEMS[agency], "area": AREA},
            "record_id": self._rid(agency),
            "version": 1,
            "kind": kind,
            "occurred_at": _fmt(occurred),
            "recorded_at": _fmt(recorded),
        }
        if span:
            if ended is not None and ended >= self.end:
                ended = None
            rec["ended_at"] = _fmt(ended) if ended is not None and ended <= recorded else None
        if address is not None:
            rec["address"] = address
        rec["people"] = [m for _, m in people]
        if details:
            rec["details"] = details
        if narrative:
            rec["narrative"] = narrative
        if not self._push(rec, recorded, people):
            return None
        versions = [(ts, ch) for ts, ch in updates if ts > recorded and (ended is None or ts < ended)]
        if span and ended is not None and ended > recorded:
            versions.append((ended + self._days(0.2, 12), {"ended_at": _fmt(ended)}))
        elif not span and rng.random() < 0.03:
            fixed = self._corrected(agency, people)
            if fixed is not None:
                versions.append((recorded + self._days(0.5, 40), {"people": fixed}))
        prev = rec
        for ts, changes in sorted(versions, key=lambda v: v[0]):
            nxt = dict(prev)
            nxt.update(changes)
            nxt["version"] = prev["version"] + 1
            nxt["recorded_at"] = _fmt(ts)
            if not self._push(nxt, ts, people):
                break
            prev = nxt
        return rec

    def _corrected(self, agency: str, people: Sequence[tuple[Person | None, dict[str, Any]]]) -> list[dict[str, Any]] | None:
        """A later version that fixes one person's name and fills in their NHS number."""
        linked = [i for i, (p, _) in enumerate(people) if p is not None]
        if not linked:
            return None
        i = self.rng.choice(linked)
        p, m = people[i]
        assert p is not None
        fixed = dict(m)
        fixed["given_names"] = p.given
        fixed["family_name"] = p.family
        if agency == "police":
            fixed["given_names"] = nm.strip_diacritics(p.given)
            fixed["family_name"] = nm.strip_diacritics(p.family)
        if agency in ("gp", "midwifery", "ed", "health_visiting", "csc"):
            fixed["nhs_number"] = p.nhs
        out = [pm for _, pm in people]
        out[i] = fixed
        return out

    def _office(self, t: int) -> int:
        return t - t % DAY + 8 * 3600 + self.rng.randrange(9 * 3600)

    def _poisson(self, lam: float) -> int:
        limit, k, prod = math.exp(-lam), 0, 1.0
        while True:
            prod *= self.rng.random()
            if prod <= limit:
                return k
            k += 1

    def _birth_ts(self, p: Person) -> int:
        return p.born_ts if p.born_ts != FAR_PAST else to_ts(p.dob)

    def _segments(self, p: Person) -> list[tuple[int, Address]]:
        src = p.follow or p
        points: set[int] = set()
        for since, h in src.stays:
            points.add(since)
            points.update(t for t, _ in self.hhs[h].addrs)
        born = p.born_ts
        out: list[tuple[int, Address]] = []
        for t in sorted(points):
            t = max(t, born)
            if t >= self.end:
                break
            a = self.addr_of(p, t)
            if not out or a != out[-1][1]:
                out.append((t, a))
        return out

    def _adult_at(self, hh: Household, ts: int, prefer: Person | None = None) -> Person | None:
        residents = hh.residents(ts)
        if prefer is not None and prefer in residents:
            return prefer
        adults = [p for p in residents if p.age(ts) >= 18]
        women = [p for p in adults if p.sex == "female"]
        chosen = women or adults
        return chosen[0] if chosen else None

    # ---- emission ---------------------------------------------------------------------

    def emit(self) -> None:
        people = list(self.people)
        total = len(people)
        for i, p in enumerate(people):
            self._gp(p)
            self._schools(p)
            if self.progress and i % 2000 == 0:
                self.progress("registrations", i, total)
        for hh in self.hhs:
            self._tenancies(hh)
        for preg in self.pregnancies:
            self._maternity(preg)
        for i, p in enumerate(people):
            self._hv_schedule(p)
            self._background(p)
            if self.progress and i % 2000 == 0:
                self.progress("lives", i, total)
        for inc in self.incidents:
            self._da(inc)
        for perp, target, move_in in self.moved_in:
            self._moved_in(perp, target, move_in)
        self._ensure_every_kind()
        if self.progress:
            self.progress("done", total, total)

    def _gp(self, p: Person) -> None:
        rng = self.rng
        assert self.geo is not None
        segs = self._segments(p)
        if not segs:
            return
        if p.born_ts == FAR_PAST:
            occ = max(to_ts(p.dob) + self._days(7, 60), self.start - int(rng.uniform(0, 15) * YEAR))
        else:
            occ = p.born_ts + self._days(10, 50)
        occ = self._office(occ)
        if occ >= self.end:
            return
        addr = self.addr_of(p, occ)
        ods = rng.choice(self.geo.town(addr.town).practices)
        updates: list[tuple[int, dict[str, Any]]] = []
        for t, a in segs[1:]:
            if t <= occ + DAY:
                continue
            forced = (p.pid, t) in self.forced_gp
            if forced or a.town != addr.town or a.refuge or addr.refuge or rng.random() < 0.35:
                new_occ = self._office(t + self._days(3, 40))
                if new_occ >= self.end:
                    break
                self._gp_record(p, occ, ods, new_occ - self._days(0.1, 2), updates)
                practices = [o for o in self.geo.town(a.town).practices if o != ods]
                occ, addr, ods, updates = new_occ, a, rng.choice(practices or [ods]), []
            elif rng.random() < 0.5:
                upd = t + self._days(2, 30)
                mention = self._m(p, "gp", "subject", "p1", occ, address_ts=upd, gp_ods_code=ods)
                updates.append((upd, {"people": [mention]}))
        self._gp_record(p, occ, ods, None, updates)

    def _gp_record(self, p: Person, occ: int, ods: str, ended: int | None,
                   updates: list[tuple[int, dict[str, Any]]]) -> None:
        p.gp_history.append((occ, ods))
        people = [(p, self._m(p, "gp", "subject", "p1", occ, gp_ods_code=ods))]
        self._emit("gp", "gp_registration", occ, occ + self._days(0.2, 6), people, {"ods_code": ods},
                   span=True, ended=max(ended, occ + DAY) if ended is not None else None, updates=updates)

    def _schools(self, p: Person) -> None:
        rng = self.rng
        assert self.geo is not None
        dob = p.dob
        reception = dob.year + (4 if dob.month < 9 else 5)
        for y0, y1, secondary in ((reception, reception + 7, False), (reception + 7, reception + 12, True)):
            begin = to_ts(date(y0, 9, rng.randint(2, 6)), 7 * 3600 + 45 * 60)
            finish = to_ts(date(y1, 7, rng.randint(17, 23)), 14 * 3600 + 30 * 60)
            if finish < self.start - YEAR or begin >= self.end or begin < p.born_ts:
                continue
            pieces = [(begin, self.addr_of(p, begin))]
            for t, a in self._segments(p):
                prev = pieces[-1][1]
                if begin < t < finish and (a.town != prev.town or a.refuge or prev.refuge):
                    occ = self._office(t + self._days(5, 25))
                    if pieces[-1][0] + 10 * DAY < occ < finish - 10 * DAY:
                        pieces.append((occ, a))
            for i, (occ, a) in enumerate(pieces):
                end = pieces[i + 1][0] - self._days(1, 5) if i + 1 < len(pieces) else finish
                town = self.geo.town(a.town)
                urn = rng.choice(town.schools_secondary if secondary else town.schools_primary)
                p.school_history.append((occ, end, urn))
                people = [(p, self._m(p, "school", "subject", "p1", occ, school_urn=urn))]
                self._emit("school", "school_enrolment", occ, occ + self._days(0.1, 4), people,
                           {"school_urn": urn}, span=True, ended=end)

    def _tenancies(self, hh: Household) -> None:
        if not hh.social:
            return
        rng = self.rng
        points = sorted([t for t, _ in hh.addrs] + hh.tenancy_changes)
        for i, t in enumerate(points):
            addr = hh.addr_at(t)
            if addr.refuge:
                continue
            at = self.start if t == FAR_PAST else self._office(t + DAY)
            members = hh.residents(at)
            if t == FAR_PAST:
                # Housing lists today's household, so the tenancy began after its youngest was born.
                youngest = max((to_ts(p.dob) for p in members), default=FAR_PAST)
                occ = self._office(max(self.start - int(rng.uniform(0.3, 12) * YEAR), youngest + 30 * DAY))
            else:
                occ = at
            if occ >= self.end:
                break
            if not members:
                continue
            ended = self._office(points[i + 1]) if i + 1 < len(points) else None
            people = [(p, self._m(p, "housing", "household_member", f"p{j + 1}", occ, address_ts=at))
                      for j, p in enumerate(members)]
            tenure = rng.choice(("secure", "introductory", "flexible", "assured"))
            self._emit("housing", "tenancy", occ, occ + self._days(0.2, 10), people, {"tenure": tenure},
                       address=render_address(rng, addr, "housing"), span=True, ended=ended)

    def _maternity(self, preg: _Pregnancy) -> None:
        rng = self.rng
        w = preg.mother
        addr = self.addr_of(w, preg.booking)
        due = preg.due.isoformat()
        gp = w.gp_at(preg.booking)
        people = [(w, self._m(w, "midwifery", "subject", "p1", preg.booking, pregnant=True,
                              due_date=due, gp_ods_code=gp))]
        team = f"{addr.town} Community Midwives"
        self._emit("midwifery", "maternity_booking", preg.booking, preg.booking + self._days(0.1, 3),
                   people, {"due_date": due, "booking_team": team})
        baby = preg.baby
        if baby is None or preg.birth is None:
            return
        b = preg.birth
        bm = self._m(baby, "midwifery", "subject", "p1", b)
        bm["date_of_birth"] = baby.dob.isoformat()
        bm.pop("estimated_age", None)
        if rng.random() < 0.08:
            bm["given_names"] = "Baby"
        cast: list[tuple[Person | None, dict[str, Any]]] = [
            (baby, bm), (w, self._m(w, "midwifery", "parent", "p2", b))
        ]
        if preg.father is not None and rng.random() < 0.75:
            cast.append((preg.father, self._m(preg.father, "midwifery", "parent", "p3", b)))
        discharge = to_date(b + self._days(0.3, 3)).isoformat()
        self._emit("midwifery", "birth", b, b + self._days(0.1, 1.5), cast, {"discharge_date": discharge})

    def _hv(self, child: Person, ts: int, contact_type: str, extra: Person | None = None,
            extra_role: str = "carer") -> None:
        hh = self.hhs[child.hh_at(ts)]
        parent = self._adult_at(hh, ts, child.mother)
        people: list[tuple[Person | None, dict[str, Any]]] = [
            (child, self._m(child, "health_visiting", "subject", "p1", ts))
        ]
        if parent is not None and self.rng.random() < 0.9:
            people.append((parent, self._m(parent, "health_visiting", "parent", "p2", ts)))
        if extra is not None and extra is not parent:
            people.append((extra, self._m(extra, "health_visiting", extra_role, "p3", ts)))
        self._emit("health_visiting", "hv_contact", ts, ts + self._days(0.1, 5), people,
                   {"contact_type": contact_type})

    def _hv_schedule(self, p: Person) -> None:
        born = self._birth_ts(p)
        if born < self.start - 3 * YEAR or born >= self.end:
            return
        for lo, hi, kind in ((10, 14, "new_birth_visit"), (42, 56, "6_8_week_review"),
                             (270, 365, "1_year_review"), (730, 900, "2_year_review")):
            t = self._office(born + self._days(lo, hi))
            if self.start <= t < self.end and self.rng.random() < 0.92:
                self._hv(p, t, kind)

    def _sn(self, child: Person, ts: int, contact_type: str, extra: Person | None = None) -> None:
        hh = self.hhs[child.hh_at(ts)]
        parent = self._adult_at(hh, ts, child.mother)
        people: list[tuple[Person | None, dict[str, Any]]] = [
            (child, self._m(child, "school_nursing", "subject", "p1", ts, school_urn=child.school_at(ts)))
        ]
        if parent is not None and self.rng.random() < 0.6:
            people.append((parent, self._m(parent, "school_nursing", "parent", "p2", ts)))
        if extra is not None and extra is not parent:
            people.append((extra, self._m(extra, "school_nursing", "carer", "p3", ts)))
        self._emit("school_nursing", "school_nurse_contact", ts, ts + self._days(0.1, 5), people,
                   {"contact_type": contact_type})

    def _ed(self, p: Person, ts: int, reason: str) -> None:
        people = [(p, self._m(p, "ed", "subject", "p1", ts))]
        self._emit("ed", "ed_attendance", ts, ts + self._days(0.01, 0.4), people, {"reason": reason})

    def _episode(self, agency: str, kind: str, p: Person, occ: int, dur: int, details: dict[str, Any]) -> None:
        people = [(p, self._m(p, agency, "subject", "p1", occ))]
        self._emit(agency, kind, occ, occ + self._days(0.1, 7), people, details, span=True, ended=occ + dur)

    def _probation(self, p: Person, occ: int, dur: int) -> None:
        assert self.geo is not None
        town = self.addr_of(p, occ).town
        team = self.rng.choice(self.teams.get(town, self.teams["Norwich"]))
        manager = self.rng.choice(self.workers)
        p.supervised_until = occ + dur
        self._episode("probation", "probation_supervision", p, occ, dur, {
            "order_type": self.rng.choice(ORDER_TYPES),
            "offender_manager": {"name": manager, "team": team},
        })

    def _police_incident(self, p: Person, ts: int, category: str) -> None:
        rng = self.rng
        hh = self.hhs[p.hh_at(ts)]
        at_home = rng.random() < 0.6
        address = (render_address(rng, hh.addr_at(ts), "police") if at_home
                   else render_non_residential(rng, hh.addr_at(ts).town))
        people: list[tuple[Person | None, dict[str, Any]]] = [(p, self._m(p, "police", "subject", "p1", ts))]
        others = [q for q in hh.residents(ts) if q is not p]
        adults = [q for q in others if q.age(ts) >= 18]
        kids = [q for q in others if q.age(ts) < 18]
        if adults and (category == "missing" or rng.random() < 0.3):
            people.append((adults[0], self._m(adults[0], "police", "other_adult", "p2", ts)))
        if kids and at_home and rng.random() < 0.3:
            k = rng.choice(kids)
            people.append((k, self._m(k, "police", "child_present", f"p{len(people) + 1}", ts)))
        self._emit("police", "police_incident", ts, ts + self._days(0.02, 0.5), people,
                   {"category": category}, address=address)

    def _csc_contact(self, child: Person, ts: int, from_agency: str, outcome: str,
                     parents: Sequence[Person], referrer: Person | None = None) -> None:
        people: list[tuple[Person | None, dict[str, Any]]] = [
            (child, self._m(child, "csc", "subject", "p1", ts, school_urn=child.school_at(ts)))
        ]
        for q in parents:
            people.append((q, self._m(q, "csc", "parent", f"p{len(people) + 1}", ts)))
        if referrer is not None and referrer is not child and referrer not in parents:
            people.append((referrer, self._m(referrer, "csc", "referrer", f"p{len(people) + 1}", ts)))
        rationale = {
            "nfa": "Universal services meeting needs; no further action.",
            "advice": "Advice given to referrer and parent.",
            "early_help": "Needs can be met through early help; family consented.",
            "referral": "Threshold for statutory assessment met.",
        }[outcome]
        self._emit("csc", "csc_contact", ts, ts + self._days(0.05, 2), people,
                   {"from_agency": from_agency, "outcome": outcome, "decision_rationale": rationale})

    def _csc_referral(self, child: Person, ts: int, from_agency: str, outcome: str,
                      parents: Sequence[Person]) -> None:
        people: list[tuple[Person | None, dict[str, Any]]] = [
            (child, self._m(child, "csc", "subject", "p1", ts, school_urn=child.school_at(ts)))
        ]
        for q in parents:
            people.append((q, self._m(q, "csc", "parent", f"p{len(people) + 1}", ts)))
        if self.rng.random() < 0.35:
            people.append(self._worker())
        self._emit("csc", "csc_referral", ts, ts + self._days(0.05, 2), people,
                   {"from_agency": from_agency, "outcome": outcome})

    def _strategy(self, children: Sequence[Person], ts: int) -> None:
        people: list[tuple[Person | None, dict[str, Any]]] = [
            (c, self._m(c, "csc", "subject", f"c{i + 1}", ts)) for i, c in enumerate(children)
        ]
        if self.rng.random() < 0.4:
            people.append(self._worker())
        present = ["csc", "police"] + self.rng.sample(["health_visiting", "school", "gp", "school_nursing"], 2)
        outcome = self.rng.choice(("ICPC to be convened", "Continue s47 enquiries", "No further action"))
        self._emit("csc", "strategy_discussion", ts, ts + self._days(0.1, 2), people,
                   {"agencies_present": present, "outcome": outcome})

    def _plan(self, kind: str, child: Person, occ: int, dur: int) -> None:
        if child.plan_until > occ:
            return
        child.plan_until = occ + dur
        people: list[tuple[Person | None, dict[str, Any]]] = [(child, self._m(child, "csc", "subject", "p1", occ))]
        if self.rng.random() < 0.3:
            people.append(self._worker())
        details = None
        if kind == "cp_plan":
            details = {"category": self.rng.choice(("neglect", "physical", "sexual", "emotional", "multiple"))}
        self._emit("csc", kind, occ, occ + self._days(0.1, 3), people, details, span=True, ended=occ + dur)

    def _yos(self, p: Person, occ: int) -> None:
        self._episode("yos", "yos_order", p, occ, self._days(120, 365),
                      {"order_type": self.rng.choice(YOS_ORDERS)})

    def _background(self, p: Person) -> None:
        rng = self.rng
        born = self._birth_ts(p)
        life = max(self.start, born)
        if life >= self.end:
            return
        years = (self.end - life) / YEAR
        age0 = p.age(life)
        rate = 0.12 if age0 < 18 else 0.2 if age0 >= 65 else 0.1
        for _ in range(self._poisson(rate * years)):
            t = self._within(life, self.end)
            pool = ED_REASONS_CHILD if p.age(t) < 16 else ED_REASONS_ADULT
            self._ed(p, t, rng.choice(pool))
        if age0 >= 18:
            for _ in range(self._poisson(0.012 * years)):
                t = self._evening(self._within(life, self.end))
                self._police_incident(p, t, rng.choice(POLICE_CATEGORIES[:-1]))
            if rng.random() < 0.008 * years:
                occ = self._office(self._within(self.start - YEAR, self.end))
                self._episode("adult_mental_health", "mental_health_episode", p, occ,
                              self._days(30, 400), {"team": rng.choice(MH_TEAMS)})
            if rng.random() < 0.006 * years:
                occ = self._office(self._within(self.start - YEAR, self.end))
                self._episode("drug_alcohol", "drug_alcohol_episode", p, occ, self._days(60, 500),
                              {"substance": rng.choice(SUBSTANCES)})
            if age0 < 60 and rng.random() < 0.002 * years:
                self._probation(p, self._office(self._within(self.start - YEAR, self.end)), self._days(300, 730))
            return
        teen_from = max(life, to_ts(date(p.dob.year + 12, p.dob.month, min(p.dob.day, 28))))
        adult_at = to_ts(date(p.dob.year + 18, p.dob.month, min(p.dob.day, 28)))
        teen_to = min(self.end, adult_at - 30 * DAY)
        if teen_from < teen_to:
            if rng.random() < 0.02:
                for _ in range(rng.randint(1, 5)):
                    t = self._evening(self._within(teen_from, teen_to))
                    self._police_incident(p, t, "missing")
            if rng.random() < 0.006 * years:
                self._yos(p, self._office(self._within(teen_from, teen_to)))
        for _ in range(self._poisson(0.05 * years)):
            t = self._office(self._within(life, self.end))
            if p.school_at(t):
                self._sn(p, t, rng.choice(("health_assessment", "emotional_health", "drop_in")))
        repeat = rng.random() < 0.004
        n = 3 if repeat else self._poisson(0.012 * years)
        t = self._within(life, self.end)
        for _ in range(n):
            t = self._office(t)
            if t >= self.end or p.age(t) >= 18:
                break
            hh = self.hhs[p.hh_at(t)]
            parent = self._adult_at(hh, t, p.mother)
            referrer = None
            if rng.random() < 0.2:
                referrer = rng.choice(self.people)
                if referrer.age(t) < 18 or referrer.born_ts > t:
                    referrer = None
            outcome = rng.choice(("nfa", "advice", "early_help")) if repeat else rng.choice(
                ("nfa", "nfa", "advice", "early_help", "early_help", "referral"))
            self._csc_contact(p, t, rng.choice(("school", "health_visiting", "gp", "police", "ed")),
                              outcome, [parent] if parent else [], referrer)
            if outcome == "referral":
                self._csc_referral(p, t + self._days(0.5, 4), "csc", rng.choice(("assessment", "nfa")),
                                   [parent] if parent else [])
            t += self._days(40, 110) if repeat else self._days(60, 400)

    # ---- domestic abuse ---------------------------------------------------------------

    def _dash(self, severity: float) -> tuple[dict[str, Any], int]:
        rng = self.rng
        questions = [str(q) for q in range(1, 28)]
        asked = questions if rng.random() < 0.7 else sorted(rng.sample(questions, rng.randint(18, 26)), key=int)
        yes = max(0, min(len(asked), round(rng.gauss(severity, 2.5))))
        yes_set = set(rng.sample(asked, yes))
        if rng.random() < 0.9:
            answers = {q: "yes" if q in yes_set else "not_known" if rng.random() < 0.15 else "no" for q in asked}
            return {"completed": True, "answers": answers}, yes
        partial = dict.fromkeys(sorted(yes_set, key=int)[:yes // 2], "yes")
        return {"completed": False, "refused_reason": rng.choice(REFUSED), "answers": partial}, len(partial)

    def _da(self, inc: _Incident) -> None:
        rng = self.rng
        ts, victim, perp = inc.ts, inc.victim, inc.perp
        if victim.born_ts > ts or perp.born_ts > ts:
            return
        home = self.hhs[victim.hh_at(ts)]
        addr = home.addr_at(ts)
        kids = [p for p in home.residents(ts) if p.age(ts) < 18 and p is not victim and p is not perp]
        recorded = ts + (self._days(0.015, 0.25) if rng.random() < 0.95 else self._days(1, 3))
        people: list[tuple[Person | None, dict[str, Any]]] = [
            (victim, self._m(victim, "police", "victim", "p1", ts)),
            (perp, self._m(perp, "police", "perpetrator", "p2", ts)),
        ]
        named: list[tuple[Person, str]] = []
        if not inc.omit_children:
            for k in kids:
                x = rng.random()
                role = "child_present" if x < 0.6 else "child_in_household" if x < 0.88 else ""
                if role:
                    named.append((k, role))
        seen: list[dict[str, Any]] = []
        for k, role in named:
            ref = f"p{len(people) + 1}"
            people.append((k, self._m(k, "police", role, ref, ts)))
            if role == "child_present" or rng.random() < 0.3:
                entry: dict[str, Any] = {"ref": ref, "seen": role == "child_present" and rng.random() < 0.85}
                if entry["seen"]:
                    entry["behaviour"] = rng.choice(BEHAVIOUR)
                    entry["demeanour"] = rng.choice(DEMEANOUR)
                    if k.age(ts) >= 3:
                        entry["said"] = rng.choice(SAID)
                seen.append(entry)
        if rng.random() < 0.06:
            other = rng.choice(self.people)
            if other.age(ts) >= 18 and other.born_ts <= ts and all(other is not q for q, _ in people):
                people.append((other, self._m(other, "police", "other_adult", f"p{len(people) + 1}", ts)))
        dash, yes = self._dash(inc.severity)
        if yes >= 14:
            risk = "high" if rng.random() < 0.85 else "medium"
        elif yes >= 10:
            risk = rng.choices(("standard", "medium", "high"), (10, 70, 20))[0]
        else:
            risk = "standard" if rng.random() < 0.65 else "medium"
        if risk == "high" or rng.random() < 0.3:
            powers = ["arrest"] + rng.sample(["bail_conditions", "dvpn", "dvpo", "restraining_order"], rng.randint(0, 2))
        else:
            powers = ["none"] if rng.random() < 0.7 else ["dapn"]
        details: dict[str, Any] = {
            "dash": dash,
            "officer_risk": risk,
            "officer_rationale": f"{yes} DASH ticks; "
            + ("identifiable indicators of risk of serious harm." if risk != "standard" else "no indicators of serious harm."),
            "children_seen": seen,
            "stop_abuse_concern": rng.random() < 0.3,
            "offences": rng.sample(OFFENCES, rng.randint(1, 3)),
            "powers_used": powers,
        }
        if details["stop_abuse_concern"]:
            details["stop_abuse_text"] = rng.choice((
                "Victim states partner has threatened to take the children.",
                "Victim worried he will come back tonight.",
                "Victim says the abuse is getting worse since the baby was born.",
            ))
        vm, pm = people[0][1], people[1][1]
        child_text = ", ".join(f"{m['given_names']} (aged {k.age(ts)})" for (k, _), (_, m) in
                               zip(named, people[2:], strict=False))
        narrative = (
            f"Police were called at {_fmt(ts)[11:16]} by {rng.choice(('a neighbour', 'the victim', 'a child', 'a passer-by'))} "
            f"to {addr.number} {addr.street} {addr.street_type}. Officers spoke with {vm['given_names']} "
            f"{vm['family_name']} who disclosed that {pm['given_names']} {pm['family_name']} had {rng.choice(ACTS)}."
            + (f" The children {child_text} were in the address." if child_text else "")
        )
        incident_address = render_address(rng, addr, "police")
        self._emit("police", "da_incident", ts, recorded, people, details, address=incident_address,
                   narrative=narrative)
        self._after_incident(inc, kids, risk, yes, recorded, powers)

    def _after_incident(self, inc: _Incident, kids: list[Person], risk: str, yes: int,
                        recorded: int, powers: list[str]) -> None:
        rng = self.rng
        ts, victim, perp = inc.ts, inc.victim, inc.perp
        high = risk == "high" or yes >= 14
        if high and rng.random() < 0.85:
            t = self._office(ts + self._days(3, 20))
            source = "marac" if rng.random() < 0.85 else "idva"
            people: list[tuple[Person | None, dict[str, Any]]] = [
                (victim, self._m(victim, source, "victim", "p1", t)),
                (perp, self._m(perp, source, "perpetrator", "p2", t)),
            ]
            for k in kids:
                people.append((k, self._m(k, source, "child_in_household", f"p{len(people) + 1}", t)))
            if rng.random() < 0.3:
                people.append(self._worker())
            recent = sum(1 for other in self.incidents
                         if other.victim is victim and ts - YEAR < other.ts <= ts)
            criteria = ["visible_high_risk"] if yes >= 14 else ["professional_judgement"]
            if recent >= 3:
                criteria.append("potential_escalation")
            self._emit(source, "marac_referral", t, t + self._days(0.1, 3), people, {
                "referring_agency": rng.choice(("police", "police", "idva", "health_visiting", "csc")),
                "criteria": criteria,
            })
        if kids and rng.random() < 0.9:
            t = recorded + self._days(0.3, 3)
            parents = [victim] + ([perp] if rng.random() < 0.6 and perp.age(t) >= 18 else [])
            if high:
                outcome = "referral" if rng.random() < 0.7 else "early_help"
            elif risk == "medium":
                outcome = rng.choices(("referral", "early_help", "advice", "nfa"), (35, 30, 20, 15))[0]
            else:
                outcome = rng.choices(("referral", "early_help", "advice", "nfa"), (15, 20, 25, 40))[0]
            for k in kids[:4]:
                self._csc_contact(k, t, "police", outcome, parents)
            if outcome == "referral":
                tr = t + self._days(0.5, 4)
                ref_outcome = rng.choices(("assessment", "s47", "nfa"), (55, 30, 15))[0]
                for k in kids[:4]:
                    self._csc_referral(k, tr, "police", ref_outcome, parents)
                if ref_outcome == "s47":
                    ts_s = self._office(tr + self._days(0.5, 2))
                    self._strategy(kids[:4], ts_s)
                    if rng.random() < 0.6:
                        occ = self._office(ts_s + self._days(10, 20))
                        dur = self._days(180, 540)
                        for k in kids[:4]:
                            self._plan("cp_plan", k, occ, dur)
                elif ref_outcome == "assessment" and rng.random() < 0.35:
                    occ = self._office(tr + self._days(30, 60))
                    for k in kids[:4]:
                        self._plan("cin_plan", k, occ, self._days(120, 400))
            for k in kids:
                if k.age(ts) < 5 and rng.random() < 0.5:
                    self._hv(k, self._office(ts + self._days(3, 20)), "targeted_visit")
                elif k.school_at(ts) and rng.random() < 0.15:
                    self._sn(k, self._office(ts + self._days(3, 30)), "safeguarding_review")
        if rng.random() < 0.15:
            self._ed(victim, ts + self._days(0.05, 1.2), rng.choice(ED_REASONS_DA))
        if rng.random() < 0.05:
            occ = self._office(ts + self._days(7, 90))
            self._episode("adult_mental_health", "mental_health_episode", victim, occ, self._days(60, 300),
                          {"team": rng.choice(MH_TEAMS)})
        if "arrest" in powers and perp.supervised_until < ts and rng.random() < 0.2:
            self._probation(perp, self._office(ts + self._days(30, 120)), self._days(365, 730))
        if rng.random() < 0.1:
            occ = self._office(ts + self._days(5, 60))
            self._episode("drug_alcohol", "drug_alcohol_episode", perp, occ, self._days(90, 500),
                          {"substance": rng.choice(SUBSTANCES)})

    def _moved_in(self, perp: Person, target: Household, move_in: int) -> None:
        """Signals that a known perpetrator now lives with a new partner's children."""
        rng = self.rng
        kids = [p for p in target.residents(move_in) if p.age(move_in) < 18]
        t = self._office(move_in + self._days(20, 90))
        for k in kids:
            if k.age(t) < 5 and rng.random() < 0.5:
                self._hv(k, t, "targeted_visit" if rng.random() < 0.3 else "2_year_review", perp, "carer")
                break
            if k.school_at(t) and rng.random() < 0.25:
                self._sn(k, t, "health_assessment", perp)
                break

    # ---- every kind at least once -----------------------------------------------------

    def _ensure_every_kind(self) -> None:
        present = {rec["kind"] for _, _, rec in self.out}
        window_end = min(self.cutoff, self.end - 30 * DAY)
        for kind in ALL_KINDS:
            if kind in present:
                continue
            for _ in range(50):
                t = self._office(self._within(self.start, window_end))
                if self._force(kind, t):
                    break

    def _force(self, kind: str, t: int) -> bool:
        rng = self.rng
        alive = [p for p in self.people if p.born_ts <= t]
        adults = [p for p in alive if p.age(t) >= 18]
        kids = [p for p in alive if p.age(t) < 18]
        women = [p for p in adults if p.sex == "female" and p.age(t) < 45]
        teens = [p for p in kids if p.age(t) >= 12]
        if kind == "da_incident" and len(adults) >= 2:
            victim, perp = rng.sample(adults, 2)
            self.incidents.append(_Incident(self._evening(t), victim, perp, 1, 15.0, False))
            self._da(self.incidents[-1])
        elif kind == "marac_referral" and len(adults) >= 2:
            victim, perp = rng.sample(adults, 2)
            self._after_incident(_Incident(t, victim, perp, 1, 20.0, False), [], "high", 20, t, ["none"])
        elif kind == "police_incident" and alive:
            self._police_incident(rng.choice(adults or alive), self._evening(t), "concern_for_welfare")
        elif kind in ("csc_contact", "csc_referral", "cp_plan", "cin_plan", "strategy_discussion") and kids:
            k = rng.choice(kids)
            parent = self._adult_at(self.hhs[k.hh_at(t)], t, k.mother)
            parents = [parent] if parent else []
            if kind == "csc_contact":
                self._csc_contact(k, t, "school", "advice", parents)
            elif kind == "csc_referral":
                self._csc_referral(k, t, "school", "assessment", parents)
            elif kind == "strategy_discussion":
                self._strategy([k], t)
            else:
                k.plan_until = 0
                self._plan(kind, k, t, self._days(120, 400))
        elif kind == "maternity_booking" and women:
            self._maternity(_Pregnancy(rng.choice(women), None, t, to_date(t + 200 * DAY), None, None))
        elif kind == "birth" and women:
            mother = rng.choice(women)
            hh = self.hhs[mother.hh_at(t)]
            self._pregnancy(hh, mother, None, t - 270 * DAY, [])
            preg = self.pregnancies[-1]
            if preg.baby is None:
                return False
            self._maternity(preg)
        elif kind == "ed_attendance" and alive:
            self._ed(rng.choice(alive), t, "Fall")
        elif kind == "hv_contact" and alive:
            self._hv(min(alive, key=lambda p: -p.dob.toordinal()), t, "targeted_visit")
        elif kind == "school_nurse_contact" and kids:
            self._sn(rng.choice(kids), t, "drop_in")
        elif kind == "gp_registration" and alive:
            self._gp(rng.choice(alive))
        elif kind == "school_enrolment" and kids:
            k = rng.choice(kids)
            urn = rng.choice(self.geo.towns[0].schools_primary) if self.geo else "100000"
            self._emit("school", "school_enrolment", t, t + DAY,
                       [(k, self._m(k, "school", "subject", "p1", t, school_urn=urn))],
                       {"school_urn": urn}, span=True)
        elif kind == "probation_supervision" and adults:
            self._probation(rng.choice(adults), t, self._days(300, 600))
        elif kind == "yos_order" and (teens or kids):
            self._yos(rng.choice(teens or kids), t)
        elif kind == "drug_alcohol_episode" and adults:
            self._episode("drug_alcohol", kind, rng.choice(adults), t, self._days(60, 300), {"substance": "alcohol"})
        elif kind == "mental_health_episode" and adults:
            self._episode("adult_mental_health", kind, rng.choice(adults), t, self._days(60, 300),
                          {"team": "Crisis Team"})
        elif kind == "tenancy" and alive:
            hh = self.hhs[rng.choice(alive).hh_at(t)]
            members = hh.residents(t)
            if not members:
                return False
            people = [(p, self._m(p, "housing", "household_member", f"p{j + 1}", t)) for j, p in enumerate(members)]
            self._emit("housing", "tenancy", t, t + DAY, people, {"tenure": "introductory"},
                       address=render_address(rng, hh.addr_at(t), "housing"), span=True)
        else:
            return False
        return any(rec["kind"] == kind for _, _, rec in self.out[-40:])
