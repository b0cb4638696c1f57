"""Address identity of the interchange contract (``interchange-v1.md`` §3.2).

Two questions are answered here, and only here:

* *same household address* — used to find who lives where;
* *same building* — looser, used only to withhold confidential addresses.

Both compare a :class:`NormalisedAddress`, built once per address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from openmash.intake.domain.record import Address, normalise_postcode

STREET_ABBREVIATIONS: dict[str, str] = {
    "ST": "STREET", "RD": "ROAD", "LN": "LANE", "AVE": "AVENUE", "CL": "CLOSE", "CT": "COURT",
    "DR": "DRIVE", "GR": "GROVE", "PL": "PLACE", "TERR": "TERRACE", "VW": "VIEW", "WLK": "WALK",
    "CRES": "CRESCENT", "GDNS": "GARDENS",
}
_PUNCTUATION = re.compile(r"[^\w\s,/]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_NUMBER = r"[0-9]+[A-Z]?"
# "FLAT 2, 14 MILL LANE" | "2, 14 MILL LANE" | "2/14 MILL LANE" | "FLAT 2 14 MILL LANE" | "14 MILL LANE"
_BUILDING_LINE = re.compile(
    rf"^(?:(?:FLAT\s+(?P<flat1>{_NUMBER}|[A-Z])\s*[,/]?\s*)|(?:(?P<flat2>{_NUMBER}|[A-Z])\s*[,/]\s*))?"
    rf"(?P<number>{_NUMBER})\s+(?P<street>[A-Z][A-Z0-9 ]*?)\s*(?:,.*)?$"
)
_FLAT_ALONE = re.compile(rf"^FLAT\s+(?P<flat>{_NUMBER}|[A-Z])\s*,?$")


def clean_text(value: str) -> str:
    """Upper case, punctuation other than ``,`` and ``/`` removed, spaces collapsed."""
    return _SPACES.sub(" ", _PUNCTUATION.sub("", value.upper()).replace("_", "")).strip()


def expand_street(street: str) -> str:
    """Expand the street name's last word from its usual abbreviation (St → Street...)."""
    words = street.split()
    if words and words[-1] in STREET_ABBREVIATIONS:
        words[-1] = STREET_ABBREVIATIONS[words[-1]]
    return " ".join(words)


def normalise_flat(flat: str | None) -> str | None:
    """A single-letter flat counts as its place in the alphabet (Flat A = Flat 1)."""
    if flat is None:
        return None
    if len(flat) == 1 and flat.isalpha():
        return str(ord(flat) - ord("A") + 1)
    return flat.lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class BuildingLine:
    number: str
    street: str
    flat: str | None


@dataclass(frozen=True, slots=True)
class NormalisedAddress:
    uprn: str | None
    postcode: str | None
    town: str | None
    building: BuildingLine | None
    confidential: bool

    @property
    def is_non_residential(self) -> bool:
        """No UPRN, no (UK) postcode and no building line: never used to find who lives there."""
        return self.uprn is None and self.postcode is None and self.building is None

    @property
    def household_key(self) -> str | None:
        """A stable key: equal keys imply the same household address.

        UPRN when present, else building line + postcode (or town). Addresses
        with one side lacking a UPRN can still be the same household; use
        :func:`household_lookup_keys` to find them and :func:`same_household` to decide.
        """
        if self.uprn:
            return f"U:{self.uprn}"
        if self.building is None:
            return None
        b = self.building
        place = f"P:{self.postcode}" if self.postcode else f"T:{self.town or ''}"
        return f"B:{b.number}|{b.street}|{b.flat or ''}|{place}"


def parse_building_line(lines: tuple[str, ...]) -> tuple[BuildingLine | None, int | None]:
    """The first line of the form [flat] number street, with its index in ``lines``."""
    pending_flat: str | None = None
    for index, raw in enumerate(lines):
        line = clean_text(raw)
        alone = _FLAT_ALONE.match(line)
        if alone:
            pending_flat = alone.group("flat")
            continue
        match = _BUILDING_LINE.match(line)
        if match:
            flat = match.group("flat1") or match.group("flat2") or pending_flat
            street = expand_street(match.group("street"))
            return BuildingLine(match.group("number"), street, normalise_flat(flat)), index
    return None, None


def normalise_address(address: Address) -> NormalisedAddress:
    return _normalised(tuple(address.lines), address.town, address.postcode, address.uprn, address.confidential)


@lru_cache(maxsize=65536)
def _normalised(lines: tuple[str, ...], town: str | None, postcode: str | None, uprn: str | None,
                confidential: bool) -> NormalisedAddress:
    # Cached: a household's address recurs on every record of everyone living there (a rebuild normalises a
    # million), and the result is immutable.
    building, index = parse_building_line(lines)
    town = clean_text(town) if town else None
    if not town and lines:
        last = len(lines) - 1
        if index != last:
            town = clean_text(lines[last]) or None
    return NormalisedAddress(
        uprn=uprn,
        postcode=normalise_postcode(postcode),
        town=town,
        building=building,
        confidential=confidential,
    )


def _places_agree(a: NormalisedAddress, b: NormalisedAddress) -> bool:
    if a.postcode and b.postcode:
        return a.postcode == b.postcode
    return a.town is not None and a.town == b.town


def same_household(a: NormalisedAddress, b: NormalisedAddress) -> bool:
    """The contract's *same household address*."""
    if a.uprn and b.uprn:
        return a.uprn == b.uprn
    if a.building is None or b.building is None:
        return False
    return a.building == b.building and _places_agree(a, b)


def same_building(a: NormalisedAddress, b: NormalisedAddress) -> bool:
    """The contract's *same building* (used only to withhold, never to find people)."""
    if a.uprn and b.uprn and a.uprn == b.uprn:
        return True
    if a.building is None or b.building is None:
        return False
    return (
        a.building.number == b.building.number
        and a.building.street == b.building.street
        and _places_agree(a, b)
    )


def household_lookup_keys(a: NormalisedAddress) -> tuple[str, ...]:
    """Index keys under which any same-household address is found (then confirm with same_household)."""
    keys: list[str] = []
    if a.uprn:
        keys.append(f"U:{a.uprn}")
    if a.building is not None:
        b = a.building
        stem = f"B:{b.number}|{b.street}|{b.flat or ''}"
        if a.postcode:
            keys.append(f"{stem}|P:{a.postcode}")
        if a.town:
            keys.append(f"{stem}|T:{a.town}")
    return tuple(keys)


def building_lookup_keys(a: NormalisedAddress) -> tuple[str, ...]:
    """Index keys under which any same-building address is found (then confirm with same_building)."""
    keys: list[str] = []
    if a.uprn:
        keys.append(f"U:{a.uprn}")
    if a.building is not None:
        stem = f"B:{a.building.number}|{a.building.street}"
        if a.postcode:
            keys.append(f"{stem}|P:{a.postcode}")
        if a.town:
            keys.append(f"{stem}|T:{a.town}")
    return tuple(keys)
