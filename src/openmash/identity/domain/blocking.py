"""Blocking keys: how an incoming person-in-record finds its candidates.

Every mention is indexed under many keys; a new mention is compared only with
people who share at least one key with it. The keys are chosen so that each
error real records carry leaves at least one key intact:

* a valid NHS number, and an agency's own person id (within that agency);
* surname form × date of birth, with keys that ignore the year (year ±1 or any
  year typo) and the order of day and month (day/month swaps);
* given name (and every formal name it may be a nickname of) × date of birth,
  for surname typos and marriages;
* surname or given name × birth year, where a missing date of birth is replaced
  by the years that ``estimated_age`` allows;
* surname or given name × postcode and × household address (UPRN or building line), and × town when
  the address has no postcode;
* given name × surname, the last resort for a moved person with a garbled date;
* the first given name and the family name in either order, alone and × date of birth, for names
  recorded the wrong way round (Bradley Matthews / Matthews Bradley);
* date of birth × postcode and × household address, whatever the names (both mistyped, or swapped);
* date of birth alone: a candidate on its own only where few people share it (``linker.SMALL_BLOCK``),
  else together with another key;
* for duplicates with several errors at once (names, date and town all mistyped or replaced), two keys
  that need neither a whole name nor a date: the building line alone (number and street, spaces
  dropped: "16 TOWNSCRESCENT" and "16 TOWNS CRESCENT" agree), and the first three letters of the first
  given name and of the family name, in either order (Maczkowiack Fihn / Finn Maczokwiack). Both are
  broad in a large index (1 High Street, Joh/Smi), so they find candidates only from a small block
  (``linker.NARROW_ONLY``): never as one of two broad keys, and only ``SMALL_BLOCK`` + 1 holders are read.

Surname forms include maiden/married names from ``other_names``, each part of
a double-barrelled name and the Lithuanian/Polish gender stem.
"""

from __future__ import annotations

from functools import lru_cache

from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.names import given_variants, surname_stem

#: Given names considered for blocking: the first and middle names (for first/middle swaps).
_MAX_GIVEN_TOKENS = 3


def surname_keys(features: MentionFeatures) -> tuple[str, ...]:
    return _surname_keys(features.surnames)


@lru_cache(maxsize=65536)
def _surname_keys(surnames: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for form in surnames:
        for value in (form, surname_stem(form)):
            if len(value) >= 2 and value not in out:
                out.append(value)
    return tuple(out)


def given_keys(features: MentionFeatures) -> tuple[str, ...]:
    return _given_keys(features.given[:_MAX_GIVEN_TOKENS])


@lru_cache(maxsize=65536)
def _given_keys(given: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for name in given:
        if len(name) < 2:
            continue
        for value in sorted(given_variants(name)):
            if value not in out:
                out.append(value)
    return tuple(out)


def _date_keys(dob: str) -> tuple[str, str, str, str]:
    year, month, day = dob[:4], dob[5:7], dob[8:10]
    low, high = sorted((month, day))
    return (f"D{dob}", f"M{month}-{day}", f"W{year}|{low}|{high}", f"Y{year}")


def birth_years(features: MentionFeatures) -> tuple[int, ...]:
    if features.dob:
        return (int(features.dob[:4]),)
    if features.birth_years:
        low, high = features.birth_years
        # One more year either side: an estimate is an estimate.
        return tuple(range(low - 1, high + 2))
    return ()


def building_line_key(features: MentionFeatures) -> str | None:
    """``L:`` number and street of the building line, without spaces; None without a building line."""
    if not features.building:
        return None
    number, street = features.building.split("|", 1)
    return f"L:{number}|{street.replace(' ', '')}"


def name_prefix_key(features: MentionFeatures) -> str | None:
    """``Q:`` the first three letters of the first given name and of the family name, in sorted order."""
    if not (features.given and features.family):
        return None
    low, high = sorted((features.given[0][:3], features.family[:3]))
    return f"Q:{low}|{high}"


def blocking_keys(features: MentionFeatures) -> frozenset[str]:
    """All keys under which this mention is indexed and searched."""
    keys: set[str] = set()
    if features.nhs:
        keys.add(f"N:{features.nhs}")
    if features.agency_person_id:
        keys.add(f"A:{features.agency}:{features.agency_person_id}")
    surnames = surname_keys(features)
    givens = given_keys(features)
    names = [("S", s) for s in surnames] + [("G", g) for g in givens]
    date_keys = _date_keys(features.dob) if features.dob else ()
    years = birth_years(features)
    for tag, name in names:
        for dk in date_keys:
            keys.add(f"{tag}{dk[0]}:{name}|{dk[1:]}")
        for year in years:
            keys.add(f"{tag}Y:{name}|{year}")
        if features.postcode:
            keys.add(f"{tag}P:{name}|{features.postcode}")
        elif features.town:
            keys.add(f"{tag}T:{name}|{features.town}")
        for household in features.household:
            keys.add(f"{tag}H:{name}|{household}")
    for given in givens:
        for surname in surnames:
            keys.add(f"GS:{given}|{surname}")
    pair = f"{min(features.given[0], features.family)}|{max(features.given[0], features.family)}" \
        if features.given and features.family else None
    if pair:
        keys.add(f"X:{pair}")
    if features.dob:
        keys.add(f"BD:{features.dob}")
        if pair:
            keys.add(f"XD:{pair}|{features.dob}")
        if features.postcode:
            keys.add(f"DP:{features.dob}|{features.postcode}")
        for household in features.household:
            keys.add(f"DH:{features.dob}|{household}")
    for key in (building_line_key(features), name_prefix_key(features)):
        if key is not None:
            keys.add(key)
    return frozenset(keys)
