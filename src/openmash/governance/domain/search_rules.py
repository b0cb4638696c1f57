"""Person search as pure rules: what a query must hold, the identity blocking keys it looks under, and
whether a candidate person answers it (fuzzy on names, exact on identifiers).

The keys are identity's own (``identity.domain.blocking``), so search finds people the way the linker does:
spelling variants, nicknames, diacritics, the Polish/Lithuanian surname stem, day/month swaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.names import (
    are_nickname_variants,
    fold,
    given_tokens,
    is_close_typo,
    is_loose_typo,
    surname_forms,
    surname_stem,
)
from openmash.intake.domain.record import normalise_nhs_number, normalise_postcode


@dataclass(frozen=True, slots=True)
class SearchQuery:
    given_names: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    nhs_number: str = ""
    postcode: str = ""

    @property
    def nhs(self) -> str | None:
        return normalise_nhs_number(self.nhs_number)

    @property
    def postcode_normalised(self) -> str | None:
        return normalise_postcode(self.postcode)

    @property
    def given(self) -> tuple[str, ...]:
        return given_tokens(self.given_names)

    @property
    def surnames(self) -> tuple[str, ...]:
        return surname_forms(self.family_name) if self.family_name.strip() else ()

    def fields_used(self) -> list[str]:
        """Which criteria were given (for the audit row: never the values)."""
        named = {"given_names": bool(self.given), "family_name": bool(self.surnames),
                 "date_of_birth": self.date_of_birth is not None, "nhs_number": bool(self.nhs_number.strip()),
                 "postcode": bool(self.postcode.strip())}
        return [k for k, v in named.items() if v]


def problems(query: SearchQuery) -> list[str]:
    """Why a query cannot run. A search must identify someone, not browse: an NHS number on its own, or
    at least two of name, date of birth and postcode (a family name counts for the name)."""
    out = []
    if query.nhs_number.strip() and query.nhs is None:
        out.append("nhs_number_invalid")
    if query.postcode.strip() and query.postcode_normalised is None:
        out.append("postcode_invalid")
    if out:
        return out
    if query.nhs:
        return []
    strong = sum([bool(query.surnames), query.date_of_birth is not None, query.postcode_normalised is not None])
    if strong >= 2 or (query.surnames and query.given):
        return []
    return ["too_few_criteria"]


def query_features(query: SearchQuery) -> MentionFeatures:
    return MentionFeatures(
        agency="search", record_id="search", ref="q", role="subject", given=query.given,
        family=fold(query.family_name) if query.family_name else "", surnames=query.surnames,
        dob=query.date_of_birth.isoformat() if query.date_of_birth else None, birth_years=None, sex=None,
        nhs=query.nhs, agency_person_id=None, postcode=query.postcode_normalised, household=(), occurred="",
    )


def search_keys(query: SearchQuery) -> frozenset[str]:
    """The blocking keys a matching person holds at least one of."""
    return blocking_keys(query_features(query))


def _dob_matches(query: dt.date, dob: str | None, years: Any) -> bool:
    if dob:
        y, m, d = dob[:4], dob[5:7], dob[8:10]
        q = query.isoformat()
        return dob == q or (y == q[:4] and m == q[8:10] and d == q[5:7])
    if years:
        return int(years[0]) - 1 <= query.year <= int(years[1]) + 1
    return False


def _surname_matches(wanted: Iterable[str], forms: Iterable[str]) -> bool:
    forms = list(forms)
    return any(w == f or surname_stem(w) == surname_stem(f) or is_loose_typo(w, f) for w in wanted for f in forms)


def _given_matches(wanted: Iterable[str], given: Iterable[str]) -> bool:
    given = list(given)
    return any(w == g or are_nickname_variants(w, g) or is_close_typo(w, g) for w in wanted for g in given)


def matches(query: SearchQuery, features: Iterable[Mapping[str, Any]]) -> int:
    """How well a person (their mentions' features, identity's JSON) answers the query: 0 = not at all.

    Every criterion given must be met by at least one of their mentions; the score counts exact agreements,
    to put the closest first.
    """
    rows = list(features)
    if not rows:
        return 0
    score = 1
    if query.nhs:
        if not any(r.get("nhs") == query.nhs for r in rows):
            return 0
        score += 3
    if query.surnames:
        if not any(_surname_matches(query.surnames, r.get("surnames") or ()) for r in rows):
            return 0
        score += any(fold(query.family_name) == r.get("family") for r in rows)
    if query.given:
        if not any(_given_matches(query.given, r.get("given") or ()) for r in rows):
            return 0
        score += any(tuple(r.get("given") or ())[:1] == query.given[:1] for r in rows)
    if query.date_of_birth is not None:
        if not any(_dob_matches(query.date_of_birth, r.get("dob"), r.get("birth_years")) for r in rows):
            return 0
        score += any(r.get("dob") == query.date_of_birth.isoformat() for r in rows)
    if query.postcode_normalised:
        if not any(r.get("postcode") == query.postcode_normalised for r in rows):
            return 0
        score += 1
    return score
