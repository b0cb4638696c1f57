"""Merge guards: the merges the linker refuses whatever the model says.

* two people with different valid NHS numbers;
* two different ``agency_person_id``s from the same agency (unless the two sides
  share a valid NHS number: the national number outranks a local re-issue);
* two people named in the same record (contract §3.1), unless they share a valid
  NHS number;
* twins, and anyone like them: same surname and date of birth with clearly
  different given names, or similar given names that are both real, distinct names
  at the same address (Jack/Jake).

Guards are checked between an incoming mention and every mention of a candidate
person, and between every pair of mentions of two people about to be merged.

One rule does not refuse but holds back: ``child_match_needs_review`` sends a model
match involving a child that rests on too little (names and date of birth alone, or
a dateless mention whose role contradicts the other side's age) to review instead of
linking it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.names import are_nickname_variants, is_known_given_name
from openmash.identity.domain.scoring import age_on, compare_dob, compare_given, compare_surname


@dataclass(frozen=True, slots=True)
class Conflict:
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def _twin_like(a: MentionFeatures, b: MentionFeatures) -> bool:
    """Same surname and date of birth but given names that cannot be one name."""
    if compare_dob(a, b) != "exact":
        return False
    if compare_surname(a, b) not in ("exact", "variant", "typo"):
        return False
    return not given_names_compatible(a, b)


def given_names_compatible(a: MentionFeatures, b: MentionFeatures) -> bool:
    """One name, however written: equal, a nickname or a swap, or a slip of the keyboard.

    Names that differ by a slip (Kalyeigh/Kayleigh) are one name mistyped; names
    that are each a real, distinct name (Jack/Jake, Ella/Ellie) are two people.
    A missing or placeholder given name ("Baby") is compatible with anything.
    """
    level = compare_given(a.given, b.given)
    if level in (None, "exact", "variant"):
        return True
    if level in ("typo", "loose"):
        fa, fb = a.given[0], b.given[0]
        return not (is_known_given_name(fa) and is_known_given_name(fb) and not are_nickname_variants(fa, fb))
    return False


def twin_conflict(left: Sequence[MentionFeatures], right: Sequence[MentionFeatures]) -> tuple[MentionFeatures, MentionFeatures] | None:
    """A twin-like pair across two people whose given names each fit none of the other person's names."""
    for a in left:
        for b in right:
            if not _twin_like(a, b):
                continue
            if not any(given_names_compatible(a, other) for other in right) and not any(
                given_names_compatible(b, other) for other in left
            ):
                return (a, b)
    return None


def nhs_numbers(mentions: Iterable[MentionFeatures]) -> set[str]:
    return {m.nhs for m in mentions if m.nhs}


def agency_ids(mentions: Iterable[MentionFeatures]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in mentions:
        if m.agency_person_id:
            out.setdefault(m.agency, set()).add(m.agency_person_id)
    return out


def merge_conflict(left: Sequence[MentionFeatures], right: Sequence[MentionFeatures]) -> Conflict | None:
    """Why the people holding ``left`` and ``right`` must not become one, or None."""
    nhs_left, nhs_right = nhs_numbers(left), nhs_numbers(right)
    if nhs_left and nhs_right and not nhs_left & nhs_right:
        return Conflict("different_nhs_number", f"{sorted(nhs_left)} vs {sorted(nhs_right)}")
    if nhs_left & nhs_right:
        # A shared valid NHS number: the contract's own exception for the same record,
        # and stronger than any agency's local id.
        return None
    ids_left, ids_right = agency_ids(left), agency_ids(right)
    for agency in ids_left.keys() & ids_right.keys():
        if not ids_left[agency] & ids_right[agency]:
            return Conflict("different_agency_person_id", f"{agency}: {sorted(ids_left[agency])} vs {sorted(ids_right[agency])}")
    records_left = {(m.agency, m.record_id) for m in left}
    shared = records_left & {(m.agency, m.record_id) for m in right}
    if shared:
        agency, record_id = sorted(shared)[0]
        return Conflict("named_in_same_record", f"{agency}:{record_id}")
    if any(ids_left[agency] & ids_right[agency] for agency in ids_left.keys() & ids_right.keys()):
        # The agency itself says these are one person: its own id outranks a name comparison.
        return None
    twins = twin_conflict(left, right)
    if twins is not None:
        a, b = twins
        return Conflict("twins", f"{' '.join(a.given)} / {' '.join(b.given)} {a.family} born {a.dob}")
    return None


#: Under this age on a record's date, a person is a child.
ADULT_AGE = 18
#: Roles that say the person named is an adult, or a child, at the record's date (contract §3.1). Other roles
#: (subject, victim, household_member...) say nothing about age.
ADULT_ROLES = frozenset({"parent", "carer", "perpetrator", "other_adult"})
CHILD_ROLES = frozenset({"child_present", "child_in_household"})
#: Address levels that say the two addresses agree (whole, or the building number, street or town part).
_ADDRESS_AGREES = frozenset({"household", "near", "postcode", "district", "street", "building", "town"})
_PART_AGREES = frozenset({"exact", "typo"})
_DOB_AGREES = frozenset({"exact", "swap", "near"})


def _age(features: MentionFeatures, occurred: str) -> int | None:
    return age_on(features, dt.date.fromisoformat(occurred))


def _is_child(features: MentionFeatures, *dates: str) -> bool:
    """Under 18 (by date of birth, else estimated age: ``age_on``) on any of these record dates (ISO text)."""
    adult_on = _adult_on(features)
    return adult_on is not None and min(dates) < adult_on


def _adult_on(features: MentionFeatures) -> str | None:
    """The first day (ISO text) on which ``age_on`` gives ``features`` 18 years, or None without a date of birth or
    an estimated age. ISO dates in text order are in date order, so the person is a child on ``day`` exactly when
    ``day < _adult_on(features)``: the same answer as ``age_on``, without making a date for each comparison (a
    batch rebuild checks every pair it links, ~0.9M at 1M person-records)."""
    if features.dob is not None:
        return f"{int(features.dob[:4]) + ADULT_AGE:04d}{features.dob[4:]}"
    if features.birth_years is not None:
        return f"{features.birth_years[1] + ADULT_AGE:04d}-01-01"
    return None


def _address_agrees(levels: Mapping[str, str | None]) -> bool:
    if levels.get("address") in _ADDRESS_AGREES:
        return True
    return any(levels.get(part) in _PART_AGREES for part in ("number", "street", "town"))


def _dateless(features: MentionFeatures) -> bool:
    return features.dob is None and features.birth_years is None


def child_review_possible(a: MentionFeatures, b: MentionFeatures) -> bool:
    """Whether ``child_match_needs_review`` could hold back a match of ``a`` and ``b`` at all, without comparing
    them: either is a child on the date of either record, or either has neither date of birth nor estimated age.
    Between two dated adults it never does, so a batch of pairs compares only the rest."""
    dates = (a.occurred, b.occurred)
    return _dateless(a) or _dateless(b) or _is_child(a, *dates) or _is_child(b, *dates)


def child_match_needs_review(a: MentionFeatures, b: MentionFeatures, levels: Mapping[str, str | None]) -> Conflict | None:
    """Why a model match of ``a`` and ``b`` (``levels``: ``scoring.comparison_levels``) may not link on its own, or None.

    A match the model scores above the link threshold goes to review instead (a review item, no merge) when
    it involves a child and rests on too little. Never when the two share a strong identifier — the same
    valid NHS number, or the same agency's own person id — and never between two adults. Two rules:

    1. **Names and date of birth alone** (``child_names_and_dob_only``): either side is a child — under 18,
       by its date of birth or estimated age, on the date of either record — the dates of birth agree and
       the addresses do not: no address on one side, or the address compared and different (level "else"),
       and where the address is compared part by part none of number, street or town agreeing. Children
       of one birthday and one common name exist in every county (two Charlie Hicks born 2011-06-24, one in
       Norwich, one in Diss); for a child, a name and a birthday are not an identity.
    2. **A dateless mention whose role contradicts the other side's age** (``role_contradicts_age``): one
       side has neither date of birth nor estimated age, and its role says adult (parent, carer,
       perpetrator, other_adult) while the other side is under 18 on that mention's record date — or says
       child (child_present, child_in_household) while the other side is 18 or over then. Names and
       address are all that can carry such a pair, and a father and his namesake son share both
       (Nathan Ward, "other_adult" on a police record without a date of birth, is not his son born 2014).
       A dateless mention whose role says nothing about age (subject, victim, household_member...) still
       links on names and address: that is how most police and housing records of children are joined,
       and holding them all would cost far more recall than the namesake risk justifies.
    """
    if not child_review_possible(a, b):
        return None
    if levels.get("nhs") == "agree" or levels.get("agency_id") == "agree":
        return None
    dates = (a.occurred, b.occurred)
    if levels.get("dob") in _DOB_AGREES and not _address_agrees(levels) and (_is_child(a, *dates) or _is_child(b, *dates)):
        return Conflict("child_names_and_dob_only", f"{' '.join(a.given)} {a.family} born {a.dob or b.dob}, addresses do not agree")
    for dateless, dated in ((a, b), (b, a)):
        if not _dateless(dateless):
            continue
        age = _age(dated, dateless.occurred)
        if age is None:
            continue
        if (dateless.role in ADULT_ROLES and age < ADULT_AGE) or (dateless.role in CHILD_ROLES and age >= ADULT_AGE):
            return Conflict("role_contradicts_age", f"{dateless.role} without a date of birth vs aged {age} on {dateless.occurred}")
    return None
