"""A person table at national scale for the identity benchmarks (1,000,000 people and more).

The project's county generator (``openmash.generator.county``) simulates lives and every agency's
records; its geography and name pools are sized for a county (its street names run out past
~30,000 households, and ~150 English surnames make blocks unrealistically large at 1M). This keeps
its households (``_County._compose``: couples, maiden names, single parents, children's ages, 4.5%
twins) and its agencies' writing habits (``Scribe``: nicknames, first/middle order, diacritics,
Lithuanian/Polish surname forms, typos, capitals, day/month swaps, year slips, missing dates with
estimated ages, NHS number coverage by agency and mistypes, agency person ids), and swaps in:

* name pools from Faker's en_GB, en_IE and en_US lists (about 3,000 surnames and 1,100 given names),
  drawn with a long tail (the commonest surname ~1%, as Smith is in England and Wales);
* an unbounded geography: streets with their own postcodes in twelve towns, 93% with a UPRN;
* moves: a fifth of households have a previous address, used by records written before the move.

Each person-record is a contract record (``openmash.record/1``) naming one person, so everything
goes through ``Record.from_json`` and ``mention_features`` exactly as ingest does.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from faker import Faker

from openmash.generator import names as nm
from openmash.generator.county import FAR_PAST, _County
from openmash.generator.people import Household, Person, nhs_check_digit
from openmash.generator.places import STREET_STEMS, STREET_TYPES, TOWNS, Address, render_address

#: (agency, kind): one record kind per agency, each naming its person as ``subject``.
AGENCIES: tuple[tuple[str, str], ...] = (
    ("gp", "gp_registration"), ("police", "police_incident"), ("school", "school_enrolment"),
    ("csc", "csc_contact"), ("ed", "ed_attendance"), ("housing", "tenancy"),
    ("health_visiting", "hv_contact"), ("adult_mental_health", "mental_health_episode"),
    ("probation", "probation_supervision"), ("drug_alcohol", "drug_alcohol_episode"),
)
_AGENCY_WEIGHTS = (30, 18, 12, 8, 10, 6, 5, 4, 4, 3)
START = datetime(2019, 1, 1, tzinfo=UTC)
END = datetime(2025, 6, 1, tzinfo=UTC)


def _faker_names(locales: tuple[str, ...], attribute: str) -> list[str]:
    out: dict[str, None] = {}
    for locale in locales:
        provider = next(p for p in Faker(locale).providers if p.__provider__ == "faker.providers.person")
        for name in getattr(provider, attribute, ()):
            if name.isalpha() or "'" in name or "-" in name:
                out.setdefault(name, None)
    return list(out)


class _Pool:
    """Names with a long-tailed frequency: weight 1/(rank + offset)."""

    def __init__(self, names: list[str], offset: float) -> None:
        self.names = names
        total = 0.0
        self.cumulative: list[float] = []
        for rank in range(len(names)):
            total += 1.0 / (rank + offset)
            self.cumulative.append(total)

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


def name_pools() -> tuple[_Pool, dict[str, _Pool]]:
    """National name pools: surnames, and given names by sex ("male", "female"), each with a long tail."""
    locales = ("en_GB", "en_IE", "en_US")
    surnames = _Pool(list(dict.fromkeys(list(nm.ENGLISH_SURNAMES[:20]) + _faker_names(locales, "last_names"))), 20)
    given = {
        "male": _Pool(list(dict.fromkeys(nm.ENGLISH_MALE[:20] + _faker_names(locales, "first_names_male"))), 10),
        "female": _Pool(list(dict.fromkeys(nm.ENGLISH_FEMALE[:20] + _faker_names(locales, "first_names_female"))), 10),
    }
    return surnames, given


class _Geography:
    """Unique dwellings without end: every street gets fresh postcodes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.towns = [(name, districts, localities) for name, districts, _, localities in TOWNS]
        self.weights = [w for _, _, w, _ in TOWNS]
        self._postcodes: set[str] = set()
        self._uprn = 10_000_000_000
        self._street: dict[str, list[Any]] = {}

    def _postcode(self, districts: tuple[str, ...]) -> str:
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        while True:
            area = self.rng.choice(districts).rstrip("0123456789")
            # Districts beyond the town's real ones keep the area letters: postcodes never run out.
            district = f"{area}{self.rng.randint(1, 99)}" if self.rng.random() < 0.5 else self.rng.choice(districts)
            pc = f"{district} {self.rng.randint(1, 9)}{self.rng.choice(letters)}{self.rng.choice(letters)}"
            if pc not in self._postcodes:
                self._postcodes.add(pc)
                return pc

    def dwelling(self) -> Address:
        rng = self.rng
        town, districts, localities = rng.choices(self.towns, self.weights)[0]
        street = self._street.get(town)
        if street is None or street[3] > 60 or rng.random() < 0.08:
            locality = rng.choice(localities) if localities and rng.random() < 0.3 else None
            street = [rng.choice(STREET_STEMS), rng.choice(STREET_TYPES), locality, 1, self._postcode(districts)]
            self._street[town] = street
        number = str(street[3])
        street[3] += rng.choice((1, 2, 2, 3))
        flat = rng.randint(1, 6) if rng.random() < 0.1 else None
        self._uprn += rng.randint(1, 40)
        uprn = f"{self._uprn}" if rng.random() < 0.93 else None
        return Address(flat, number, str(street[0]), str(street[1]), street[2], town, str(street[4]), uprn)


class _NationalCounty(_County):
    """The county generator's households with national-scale names, NHS numbers and addresses."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed, int(START.timestamp()), int(END.timestamp()) - 1, int(END.timestamp()), None)
        self.surname_pool, self.given_pool = name_pools()
        self.big_geo = _Geography(self.rng)

    def _nhs_number(self) -> str:
        while True:
            nine = f"{self.rng.randrange(4 * 10**8, 10**9):09d}"
            check = nhs_check_digit(nine)
            if check is not None and (number := nine + str(check)) not in self._nhs:
                self._nhs.add(number)
                return number

    def _given(self, culture: str, sex: str, dob: date, taken: set[str]) -> tuple[str, str | None]:
        if culture != "en":
            return super()._given(culture, sex, dob, taken)
        pool = self.given_pool["male" if sex == "male" else "female"]
        while (given := pool.draw(self.rng)) in taken:
            pass
        taken.add(given)
        middle = pool.draw(self.rng) if self.rng.random() < 0.5 else None
        return given, (middle if middle != given else None)

    def _surname_base(self, culture: str) -> Any:
        if culture != "en":
            return super()._surname_base(culture)
        return self.surname_pool.draw(self.rng)

    def populate_people(self, persons: int) -> None:
        """Households until ``persons`` people exist; a fifth of households moved during the period."""
        rng = self.rng
        while len(self.people) < persons:
            x = rng.random()
            culture = "pl" if x < 0.045 else "lt" if x < 0.065 else "ro" if x < 0.09 else "en"
            hh = Household(len(self.hhs), culture, rng.random() < 0.3, [(FAR_PAST, self.big_geo.dwelling())])
            if rng.random() < 0.2:
                hh.addrs.append((rng.randint(self.start, self.end), self.big_geo.dwelling()))
            self.hhs.append(hh)
            self._compose(hh)
        del self.people[persons:]


@dataclass(frozen=True)
class PersonRecord:
    """One contract record naming one person, and who that person truly is."""

    record: dict[str, Any]
    person: str


class PeopleTable:
    """``persons`` people; ``records(person, n)`` writes them as agencies do, as often as asked."""

    def __init__(self, persons: int, seed: int = 1) -> None:
        self.county = _NationalCounty(seed)
        self.county.populate_people(persons)
        self.people = self.county.people
        self.rng = random.Random(seed + 1)
        self._ids: dict[str, int] = {}

    def record(self, person: Person, agency: str | None = None, when: int | None = None) -> PersonRecord:
        """A new record naming ``person`` (a random agency and time unless given)."""
        rng, county = self.rng, self.county
        if agency is None:
            agency = rng.choices([a for a, _ in AGENCIES], _AGENCY_WEIGHTS)[0]
        kind = dict(AGENCIES)[agency]
        ts = when if when is not None else rng.randint(county.start, county.end - 86_400)
        # A child's record cannot predate the birth: such a record would be written on the birthday.
        ts = max(ts, int(datetime(person.dob.year, person.dob.month, person.dob.day, 12, tzinfo=UTC).timestamp()))
        address = None
        if rng.random() >= (0.03 if agency == "police" else 0.012):
            address = render_address(rng, county.addr_of(person, ts), agency)
        mention = _person_mention(county, person, agency, ts, address)
        number = self._ids[agency] = self._ids.get(agency, 0) + 1
        at = datetime.fromtimestamp(ts, UTC).isoformat()
        record = {
            "schema": "openmash.record/1", "source": {"agency": agency}, "record_id": f"{agency.upper()}-{number:08d}",
            "version": 1, "kind": kind, "occurred_at": at, "recorded_at": at, "people": [mention],
        }
        return PersonRecord(record, person.pid)

    def records(self, counts: list[int]) -> Iterator[PersonRecord]:
        """``counts[i]`` records of person i, in time order per person."""
        for person, n in zip(self.people, counts, strict=False):
            when = sorted(self.rng.randint(self.county.start, self.county.end - 86_400) for _ in range(n))
            agencies = self.rng.choices([a for a, _ in AGENCIES], _AGENCY_WEIGHTS, k=n)
            for agency, ts in zip(agencies, when, strict=True):
                yield self.record(person, agency, ts)


def _person_mention(county: _NationalCounty, person: Person, agency: str, ts: int, address: dict[str, Any] | None) -> dict[str, Any]:
    from openmash.generator.people import person_mention

    return person_mention(county.scribe, person, agency, "subject", "p1", ts, address)


def records_per_person(people: int, seed: int) -> list[int]:
    """1–4 records per person (mean ~1.9, as linkage-anchor §2): 40%, 35%, 15%, 10%."""
    rng = random.Random(seed)
    return rng.choices((1, 2, 3, 4), (40, 35, 15, 10), k=people)
