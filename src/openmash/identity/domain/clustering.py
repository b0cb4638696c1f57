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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.names import are_nickname_variants, is_known_given_name
from openmash.identity.domain.scoring import compare_dob, compare_given, compare_surname


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
