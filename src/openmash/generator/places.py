"""Towns, streets, dwellings, schools and GP practices, and how agencies write addresses."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# An invented county on a Norfolk map, so that it shares nothing with the sample county.
TOWNS: tuple[tuple[str, tuple[str, ...], int, tuple[str, ...]], ...] = (
    ("Norwich", ("NR1", "NR2", "NR3", "NR4", "NR5", "NR6", "NR7"), 30,
     ("Hellesdon", "Sprowston", "Thorpe St Andrew", "Costessey", "Eaton")),
    ("Great Yarmouth", ("NR30", "NR31"), 10, ("Gorleston", "Caister-on-Sea", "Bradwell")),
    ("King's Lynn", ("PE30", "PE31", "PE34"), 10, ("Gaywood", "South Wootton", "West Lynn")),
    ("Thetford", ("IP24",), 6, ("Kilverstone", "Croxton")),
    ("Dereham", ("NR19", "NR20"), 5, ("Toftwood",)),
    ("Wymondham", ("NR18",), 4, ("Spooner Row",)),
    ("Cromer", ("NR27",), 3, ("Overstrand", "East Runton")),
    ("Fakenham", ("NR21",), 3, ()),
    ("Swaffham", ("PE37",), 3, ()),
    ("Diss", ("IP22",), 3, ("Roydon",)),
    ("North Walsham", ("NR28",), 4, ()),
    ("Attleborough", ("NR17",), 3, ()),
)

STREET_STEMS = (
    "Mill Church Station Victoria Queens Kings Park Manor Orchard Meadow Willow Oak Ash Elm "
    "Beech Cedar Chestnut Hawthorn Rowan Holly Larch Poplar Sycamore Birch Priory Abbey Castle "
    "Bridge Water Market Bishops Newmarket Unthank Earlham Dereham Cromer Yarmouth Spixworth "
    "Colman Bluebell Heathside Marl Pit Gurney Blofield Ringland Wensum Yare Bure Waveney "
    "Tas Nelson Cavell Boudicca Pelican Kestrel Heron Swallow Plover Lark Wren Falcon "
    "Chapel Rectory Vicarage School Farm Field Common Green Hill Valley Brook Spring"
).split()
STREET_TYPES = (
    "Street", "Road", "Lane", "Avenue", "Close", "Court", "Drive", "Grove", "Place",
    "Terrace", "View", "Walk", "Crescent", "Gardens", "Way", "Rise", "Mews",
)
ABBREVIATIONS = {
    "Street": "St", "Road": "Rd", "Lane": "Ln", "Avenue": "Ave", "Close": "Cl", "Court": "Ct",
    "Drive": "Dr", "Grove": "Gr", "Place": "Pl", "Terrace": "Terr", "View": "Vw",
    "Walk": "Wlk", "Crescent": "Cres", "Gardens": "Gdns",
}
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

NON_RESIDENTIAL = (
    ("Car park, Tesco Extra", "Hall Road"), ("Bus station", "Surrey Street"),
    ("Outside the Red Lion PH", "Market Place"), ("Chapelfield shopping centre", None),
    ("Play park", "Recreation Ground Road"), ("Railway station forecourt", "Station Road"),
    ("Layby", "A47"), ("Beach car park", "Marine Parade"),
)


@dataclass(frozen=True, slots=True)
class Address:
    flat: int | None
    number: str
    street: str
    street_type: str
    locality: str | None
    town: str
    postcode: str
    uprn: str | None
    refuge: bool = False


@dataclass(slots=True)
class _Street:
    stem: str
    street_type: str
    locality: str | None
    postcodes: tuple[str, str]
    next_number: int = 1
    flats_in: int = 0
    flats_building: str = ""


@dataclass(slots=True)
class Town:
    name: str
    districts: tuple[str, ...]
    localities: tuple[str, ...]
    streets: list[_Street] = field(default_factory=list)
    schools_primary: list[str] = field(default_factory=list)
    schools_secondary: list[str] = field(default_factory=list)
    practices: list[str] = field(default_factory=list)


class Geography:
    """Hands out unique dwellings, one street at a time, so no two households collide."""

    def __init__(self, rng: random.Random, households: int, extra_stems: list[str]) -> None:
        self.rng = rng
        self.towns = [Town(n, d, loc) for n, d, _, loc in TOWNS]
        self._by_name = {t.name: t for t in self.towns}
        self.weights = [w for _, _, w, _ in TOWNS]
        self._stems = list(STREET_STEMS) + extra_stems
        self._used_postcodes: set[str] = set()
        self._used_urns: set[str] = set()
        self._used_ods: set[str] = set()
        self._uprns: set[str] = set()
        scale = max(1.0, households / 400)
        for town, weight in zip(self.towns, self.weights, strict=True):
            for _ in range(max(2, round(weight / 6 * scale**0.5))):
                town.schools_primary.append(self._urn())
            for _ in range(max(1, round(weight / 20 * scale**0.5))):
                town.schools_secondary.append(self._urn())
            for _ in range(max(2, round(weight / 5 * scale**0.5))):
                town.practices.append(self._ods())
        self.refuges: list[Address] = []
        for i in range(max(2, households // 400)):
            town = self.towns[i % 3]
            street = self._new_street(town)
            number = str(self.rng.randint(2, 120))
            street.next_number = 10_000
            for flat in range(1, 9):
                self.refuges.append(
                    Address(flat, number, street.stem, street.street_type, None, town.name,
                            street.postcodes[0], self._uprn(), refuge=True)
                )

    def _urn(self) -> str:
        while True:
            urn = str(self.rng.randint(100000, 149999))
            if urn not in self._used_urns:
                self._used_urns.add(urn)
                return urn

    def _ods(self) -> str:
        while True:
            code = self.rng.choice("CDM") + str(self.rng.randint(80000, 89999))
            if code not in self._used_ods:
                self._used_ods.add(code)
                return code

    def _uprn(self) -> str:
        while True:
            uprn = "10" + str(self.rng.randint(10**9, 10**10 - 1))
            if uprn not in self._uprns:
                self._uprns.add(uprn)
                return uprn

    def _postcode(self, town: Town) -> str:
        while True:
            pc = (f"{self.rng.choice(town.districts)} {self.rng.randint(1, 9)}"
                  f"{self.rng.choice(_INWARD_LETTERS)}{self.rng.choice(_INWARD_LETTERS)}")
            if pc not in self._used_postcodes:
                self._used_postcodes.add(pc)
                return pc

    def _new_street(self, town: Town) -> _Street:
        taken = {(s.stem, s.street_type) for s in town.streets}
        while True:
            stem = self.rng.choice(self._stems)
            stype = self.rng.choice(STREET_TYPES)
            if (stem, stype) not in taken:
                break
        locality = self.rng.choice(town.localities) if town.localities and self.rng.random() < 0.35 else None
        street = _Street(stem, stype, locality, (self._postcode(town), self._postcode(town)))
        town.streets.append(street)
        return street

    def pick_town(self, near: str | None = None) -> Town:
        if near is not None and self.rng.random() < 0.75:
            return self._by_name[near]
        return self.rng.choices(self.towns, self.weights)[0]

    def dwelling(self, town: Town) -> Address:
        rng = self.rng
        if not town.streets or rng.random() < 0.12:
            street = self._new_street(town)
        else:
            street = rng.choice(town.streets)
            if street.next_number > 140:
                street = self._new_street(town)
        uprn = self._uprn() if rng.random() < 0.93 else None
        if street.flats_in > 0:
            street.flats_in -= 1
            flat = 6 - street.flats_in
            number = street.flats_building
        else:
            flat = None
            number = str(street.next_number)
            street.next_number += rng.choice((1, 1, 2, 2, 3))
            if rng.random() < 0.03:
                number += rng.choice("AB")
            elif rng.random() < 0.12:
                # A house converted into flats: the next few dwellings on this street share it.
                street.flats_building = number
                street.flats_in = 5
                flat = 1
        pc = street.postcodes[0] if street.next_number <= 40 else street.postcodes[1]
        return Address(flat, number, street.stem, street.street_type, street.locality, town.name, pc, uprn)

    def town(self, name: str) -> Town:
        return self._by_name[name]


# How often each agency holds the UPRN and writes addresses in capitals.
_UPRN_RATE = {"housing": 0.95, "csc": 0.2, "police": 0.12}
_CAPS_RATE = {"police": 0.25}
_CONFIDENTIAL_FLAG_RATE = {"police": 0.8, "probation": 0.85, "school": 0.85}


def render_address(rng: random.Random, addr: Address, agency: str) -> dict[str, Any]:
    """One agency's way of writing a dwelling; every variant is the same address under §3.2."""
    r = rng.random
    stype = addr.street_type
    abbr = ABBREVIATIONS.get(stype)
    if abbr and r() < 0.35:
        stype = abbr + ("." if r() < 0.2 else "")
    building = f"{addr.number} {addr.street} {stype}"
    lines: list[str]
    if addr.flat is None:
        lines = [building]
    else:
        form = r()
        letter = chr(ord("A") + addr.flat - 1)
        if form < 0.35:
            lines = [f"Flat {addr.flat}", building]
        elif form < 0.6:
            lines = [f"Flat {addr.flat}, {building}"]
        elif form < 0.75:
            lines = [f"{addr.flat}, {building}"]
        elif form < 0.85:
            lines = [f"{addr.flat}/{building}"]
        elif form < 0.95:
            lines = [f"Flat {letter}", building]
        else:
            lines = [f"Flat {letter}, {building}"]
    if addr.locality and r() < 0.6:
        lines.append(addr.locality)
    postcode: str | None = addr.postcode
    pc_form = r()
    if pc_form < 0.12:
        postcode = addr.postcode.replace(" ", "")
    elif pc_form < 0.2:
        postcode = addr.postcode.lower()
    elif pc_form < 0.23:
        postcode = addr.postcode.replace(" ", "").lower()
    elif pc_form < 0.27:
        postcode = None
    town: str | None = addr.town
    if r() < 0.12:
        lines.append(addr.town)
        town = None
    if r() < _CAPS_RATE.get(agency, 0.03):
        lines = [line.upper() for line in lines]
    out: dict[str, Any] = {
        "lines": lines,
        "town": town,
        "postcode": postcode,
        "uprn": addr.uprn if addr.uprn and r() < _UPRN_RATE.get(agency, 0.1) else None,
    }
    if addr.refuge:
        # Most agencies flag a refuge, not all: the hub must still withhold it (§6).
        if r() < _CONFIDENTIAL_FLAG_RATE.get(agency, 0.92):
            out["confidential"] = True
    elif r() < 0.05:
        out["confidential"] = False
    return out


def render_non_residential(rng: random.Random, town: str) -> dict[str, Any]:
    place, street = rng.choice(NON_RESIDENTIAL)
    lines = [place] + ([street] if street else [])
    return {"lines": lines, "town": town, "postcode": None, "uprn": None}
