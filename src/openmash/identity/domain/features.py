"""What the linker knows about one person-in-record, normalised once.

``MentionFeatures`` is built from the intake's ``PersonMention`` and its record,
stored beside the link (JSON) and compared by ``scoring``; nothing downstream
reads the raw mention again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from openmash.identity.domain.names import fold, given_tokens, surname_forms
from openmash.intake.domain.address import household_lookup_keys, normalise_address
from openmash.intake.domain.localtime import local_date
from openmash.intake.domain.record import Address, PersonMention, Record

#: Bumped whenever ``mention_features`` (or what it calls) changes what it produces: stored features of
#: another version are recomputed by a rebuild instead of reused.
FEATURES_VERSION = 2

#: Kinds whose record address is where the people named live (contract §5: "address is the tenancy").
HOME_ADDRESS_KINDS = frozenset({"tenancy"})


@dataclass(frozen=True, slots=True)
class MentionFeatures:
    agency: str
    record_id: str
    ref: str
    role: str
    given: tuple[str, ...]
    family: str
    surnames: tuple[str, ...]
    dob: str | None
    #: Inclusive birth-year range from ``estimated_age`` when the date of birth is unknown.
    birth_years: tuple[int, int] | None
    sex: str | None
    nhs: str | None
    agency_person_id: str | None
    postcode: str | None
    #: ``household_lookup_keys`` of the person's normalised address (UPRN, building line + postcode/town).
    household: tuple[str, ...]
    occurred: str
    confidential: bool = False
    #: Normalised town, and the building line without its flat as ``number|street`` (address comparisons).
    town: str | None = None
    building: str | None = None

    @property
    def mention_key(self) -> tuple[str, str, str]:
        return (self.agency, self.record_id, self.ref)

    @property
    def record_key(self) -> tuple[str, str]:
        return (self.agency, self.record_id)

    @property
    def dob_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.dob) if self.dob else None

    @property
    def first_given(self) -> str | None:
        return self.given[0] if self.given else None

    def to_json(self) -> dict[str, Any]:
        # What ``dataclasses.asdict`` gives (every value is a string, number, flag or tuple of them), without
        # its deep copy: a rebuild serialises a million of these.
        return {**dict(zip(FIELD_NAMES, _field_values(self), strict=True)), "v": FEATURES_VERSION}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the constructor's arguments: the default for a frozen dataclass with slots sets each field
        # through ``dataclasses.fields``, several times slower (a rebuild's workers send back a million).
        return (MentionFeatures, _field_values(self))

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MentionFeatures:
        # Positional, in field order: the linker decodes every candidate's features (hundreds per record for a
        # common name among a million people), and keyword arguments cost a third more.
        get = obj.get
        years = get("birth_years")
        return cls(
            obj["agency"], obj["record_id"], obj["ref"], obj["role"], tuple(obj["given"]), obj["family"],
            tuple(obj["surnames"]), get("dob"), (int(years[0]), int(years[1])) if years else None, get("sex"),
            get("nhs"), get("agency_person_id"), get("postcode"), tuple(get("household") or ()), obj["occurred"],
            bool(get("confidential", False)), get("town"), get("building"),
        )

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> MentionFeatures:
        """``from_json`` of the same features given as their values in ``FIELD_NAMES`` order (a missing one as
        None): the link's compact column (``identity.models.MentionLink.compact``), half the text to parse."""
        (agency, record_id, ref, role, given, family, surnames, dob, years, sex, nhs, agency_person_id, postcode,
         household, occurred, confidential, town, building) = values
        return cls(
            agency, record_id, ref, role, tuple(given), family, tuple(surnames), dob,
            (int(years[0]), int(years[1])) if years else None, sex, nhs, agency_person_id, postcode,
            tuple(household or ()), occurred, bool(confidential), town, building,
        )


#: The fields in order: ``to_json``'s keys, and the order of ``from_values``.
FIELD_NAMES = tuple(f.name for f in fields(MentionFeatures))
#: The values of those fields, in that order, as one tuple (one C call, not a getattr per field).
_field_values: Callable[[MentionFeatures], tuple[Any, ...]] = attrgetter(*FIELD_NAMES)


def mention_features(record: Record, person: PersonMention) -> MentionFeatures:
    """Normalise one person-in-record for linking (untrusted values are left out)."""
    return person_features(record.agency, record.record_id, record.kind, record.occurred_at, record.address, person)


def person_features(agency: str, record_id: str, kind: str, occurred_at: dt.datetime, record_address: Address | None,
                    person: PersonMention) -> MentionFeatures:
    """``mention_features`` from the few facts of the record it reads, without the record: a batch rebuild reads
    each person as stored (``intake.Mention.data``), not every record whole. ``record_address`` is only read for the
    ``HOME_ADDRESS_KINDS``."""
    occurred = local_date(occurred_at)
    address = person.address
    if address is None and kind in HOME_ADDRESS_KINDS:
        address = record_address
    postcode: str | None = None
    town: str | None = None
    building: str | None = None
    household: tuple[str, ...] = ()
    confidential = False
    if address is not None:
        normalised = normalise_address(address)
        postcode = normalised.postcode
        town = normalised.town or None
        if normalised.building is not None:
            building = f"{normalised.building.number}|{normalised.building.street}"
        household = household_lookup_keys(normalised)
        confidential = address.confidential
    dob = person.trusted_date_of_birth
    birth_years: tuple[int, int] | None = None
    if dob is None and person.estimated_age is not None and 0 <= person.estimated_age <= 120:
        # Aged a on the record's date: born in that year minus a, or the year before.
        latest = occurred.year - person.estimated_age
        birth_years = (latest - 1, latest)
    sex = {"female": "F", "male": "M"}.get(person.sex or "")
    family = fold(person.family_name) if person.family_name else ""
    return MentionFeatures(
        agency=agency,
        record_id=record_id,
        ref=person.ref,
        role=person.role,
        given=given_tokens(person.given_names),
        family=family,
        surnames=surname_forms(person.family_name, person.other_names),
        dob=dob.isoformat() if dob else None,
        birth_years=birth_years,
        sex=sex,
        nhs=person.nhs_number_valid,
        agency_person_id=(person.agency_person_id or "").strip() or None,
        postcode=postcode,
        household=household,
        occurred=occurred.isoformat(),
        confidential=confidential,
        town=town,
        building=building,
    )
