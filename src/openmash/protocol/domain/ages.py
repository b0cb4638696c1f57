"""Ages and who is a child (Terms, "People and ages").

A person's age on a record R is worked out from the trusted date of birth given
most often across their mentions in their history for R (each tied date giving
an age), else from the most recent ``estimated_age`` plus whole years since it,
else it is unknown. A person can therefore have several ages; a rule that asks
for an age holds if it holds for any of them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def birthday_in(year: int, born: dt.date) -> dt.date:
    """Someone born on 29 February has their birthday on 1 March in other years."""
    try:
        return born.replace(year=year)
    except ValueError:
        return dt.date(year, 3, 1)


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years from ``born`` to ``day``; negative when ``day`` is before the birth."""
    if day < born:
        return -1 - age_on(day, born)
    years = day.year - born.year
    if day < birthday_in(day.year, born):
        years -= 1
    return years


def whole_years_between(start: dt.date, end: dt.date) -> int:
    """Signed whole years from ``start`` to ``end`` (an estimated age counts forward or back)."""
    if end >= start:
        return age_on(start, end)
    return -age_on(end, start)


@dataclass(frozen=True, slots=True)
class AgeEvidence:
    """What one mention in a person's history says about their age."""

    trusted_dob: dt.date | None
    estimated_age: int | None
    occurred_on: dt.date  # local date of the mentioning record's occurred_at
    order: tuple[dt.datetime, dt.datetime, int]  # occurred_at, recorded_at, version: "most recent"


@dataclass(frozen=True, slots=True)
class Ages:
    """A person's ages on a record; ``unborn`` when every date of birth is after it."""

    values: tuple[int, ...]
    from_dob: bool
    unborn: bool = False

    @property
    def known(self) -> bool:
        return bool(self.values)

    def any_below(self, limit: int) -> bool:
        return any(0 <= a < limit for a in self.values)

    def any_at_least(self, limit: int) -> bool:
        return any(a >= limit for a in self.values)

    def any_between(self, low: int, high: int) -> bool:
        return any(low <= a <= high for a in self.values)

    @property
    def youngest(self) -> int | None:
        born = [a for a in self.values if a >= 0]
        return min(born) if born else None


def ages_on(evidence: Sequence[AgeEvidence], day: dt.date) -> Ages:
    """The person's ages on the local date ``day`` of the record being processed."""
    counts = Counter(e.trusted_dob for e in evidence if e.trusted_dob is not None)
    if counts:
        top = max(counts.values())
        dobs = sorted(d for d, n in counts.items() if n == top)
        values = tuple(sorted({age_on(d, day) for d in dobs}))
        born = tuple(a for a in values if a >= 0)
        return Ages(values=born, from_dob=True, unborn=not born)
    estimates = [e for e in evidence if e.estimated_age is not None]
    if estimates:
        latest = max(estimates, key=lambda e: e.order)
        assert latest.estimated_age is not None
        age = latest.estimated_age + whole_years_between(latest.occurred_on, day)
        return Ages(values=(age,) if age >= 0 else (), from_dob=False, unborn=age < 0)
    return Ages(values=(), from_dob=False)


def is_child(ages: Ages, named_roles: Iterable[str], *, child_under: int, child_roles: Iterable[str]) -> bool:
    """A child on R: any age under the limit, or named in a child role with no adult age; never before birth."""
    if ages.unborn:
        return False
    if ages.any_below(child_under):
        return True
    roles = set(named_roles)
    return bool(roles & set(child_roles)) and not ages.any_at_least(child_under)
