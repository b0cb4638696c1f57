"""Fellegi–Sunter scoring of one pair of mentions, with a per-field explanation.

Each field is compared into a *level* (exact, nickname, typo...). A level
carries m = P(level | same person) and u = P(level | different people); it
adds log2(m/u) bits of evidence. A missing value adds nothing. The sum plus
the prior log-odds gives the match probability. On the exact level of a name,
u is the name's frequency when the trained model knows it (term frequency):
two Smiths agreeing is weaker evidence than two Szymańskas.

The address is one comparison where postcodes (or UPRNs) place both sides:
household, near, postcode, district... When they do not (a postcode missing),
it is three: the building number, the street and the town, each adding its own
evidence, the town's exact level adjusted by the town's frequency.

The model is a plain JSON-serialisable value: defaults ship below so that
linking works before any training; ``openmash link train`` replaces m/u,
the prior and the name and town frequencies with estimates from stored mentions.
A stored model names the comparisons it was trained for (``COMPARISONS``): one
trained for other comparisons is not applied (``is_current``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, overload

from openmash.identity.domain.features import FIELD_NAMES, MentionFeatures
from openmash.identity.domain.names import (
    are_nickname_variants,
    edit_distance,
    is_close_typo,
    is_loose_typo,
    surname_stem,
)

Levels = dict[str, tuple[float, float]]


class Head(Protocol):
    """What the comparisons of the date of birth, sex, NHS number and agency person id read from a mention (and
    what the linker's strong-identifier check reads): a ``MentionFeatures``, or a ``CandidateHead``."""

    @property
    def agency(self) -> str: ...
    @property
    def nhs(self) -> str | None: ...
    @property
    def agency_person_id(self) -> str | None: ...
    @property
    def dob(self) -> str | None: ...
    @property
    def birth_years(self) -> tuple[int, int] | None: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def occurred(self) -> str: ...
    @property
    def dob_date(self) -> dt.date | None: ...


class CandidateHead(NamedTuple):
    """A stored mention's ``Head`` alone, as a store can read it before decoding the whole features: enough for
    ``ProbeScorer.may_reach`` and the strong identifiers (``linker``), each value as ``MentionFeatures`` holds it."""

    agency: str
    nhs: str | None
    agency_person_id: str | None
    dob: str | None
    birth_years: tuple[int, int] | None
    sex: str | None
    occurred: str

    @property
    def dob_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.dob) if self.dob else None

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> CandidateHead:
        """The head of features given as their values in ``features.FIELD_NAMES`` order
        (``MentionFeatures.from_values``), without building the whole features."""
        years = values[_YEARS]
        return cls(values[_AGENCY], values[_NHS], values[_AGENCY_PERSON_ID], values[_DOB],
                   (int(years[0]), int(years[1])) if years else None, values[_SEX], values[_OCCURRED])


_AGENCY, _NHS, _AGENCY_PERSON_ID, _DOB, _YEARS, _SEX, _OCCURRED = (
    FIELD_NAMES.index(name) for name in ("agency", "nhs", "agency_person_id", "dob", "birth_years", "sex", "occurred"))


#: Default m/u per level, set from typical recording-error rates (see docs: identity model).
DEFAULT_LEVELS: dict[str, Levels] = {
    "given": {
        "exact": (0.80, 0.010), "first_only": (0.01, 0.003), "variant": (0.10, 0.004), "typo": (0.05, 0.004),
        "loose": (0.025, 0.012), "swapped": (0.80, 0.010), "else": (0.025, 0.970),
    },
    "surname": {
        "exact": (0.82, 0.004), "variant": (0.08, 0.004), "typo": (0.05, 0.002),
        "loose": (0.025, 0.006), "swapped": (0.0082, 0.004), "else": (0.025, 0.984),
    },
    "dob": {
        "exact": (0.93, 0.0004), "swap": (0.015, 0.0001), "near": (0.04, 0.003),
        "else": (0.015, 0.9965),
        "estimate_agrees": (0.80, 0.05), "estimate_close": (0.17, 0.09), "estimate_disagrees": (0.03, 0.86),
    },
    "sex": {"agree": (0.97, 0.5), "disagree": (0.03, 0.5)},
    "address": {
        "household": (0.55, 0.0008), "near": (0.03, 0.0003), "postcode": (0.10, 0.0008), "district": (0.10, 0.03),
        "street": (0.01, 0.002), "building": (0.01, 0.0005), "town": (0.05, 0.15), "else": (0.18, 0.82),
    },
    # Where postcodes do not place both addresses (``parts_apply``): the building number, the street and the
    # town, each on its own. Untrained, all three agreeing add up to about "household" above, so that a family
    # at one address without postcodes weighs no more than one with them.
    "number": {"exact": (0.80, 0.10), "else": (0.20, 0.90)},
    "street": {"exact": (0.78, 0.025), "typo": (0.10, 0.005), "else": (0.12, 0.97)},
    "town": {"exact": (0.85, 0.30), "typo": (0.05, 0.02), "else": (0.10, 0.68)},
    "nhs": {"agree": (0.999, 0.000001), "disagree": (0.001, 0.999999)},
    "agency_id": {"agree": (0.95, 0.000001), "disagree": (0.05, 0.999999)},
}

#: The comparisons' generation: bumped whenever a comparison or level is added, removed or changes meaning, so
#: that m/u trained for other comparisons are never applied to these. 2: the address's parts where postcodes
#: do not place both sides (number, street, town).
COMPARISONS = 2

#: Fields whose exact level may be adjusted by the value's frequency.
TF_FIELDS = ("given", "surname", "town")
#: How often a person's names are recorded the wrong way round. The "swapped" levels are set by rule, not
#: trained: the names agree as exactly as ``exact`` says (given), and the swap itself is this rare (surname);
#: training them would count one event twice.
SWAP_RATE = 0.01


def swapped_levels(levels: Mapping[str, Levels]) -> dict[str, tuple[float, float]]:
    """The "swapped" m/u of given and surname, from their "exact" ones."""
    given_m, given_u = levels["given"]["exact"]
    surname_m, surname_u = levels["surname"]["exact"]
    return {"given": (given_m, given_u), "surname": (surname_m * SWAP_RATE, surname_u)}


@dataclass(frozen=True)
class LinkageModel:
    """A versioned scoring model: m/u per field level, prior, name frequencies, thresholds."""

    version: str = f"default-{COMPARISONS}"
    levels: dict[str, Levels] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_LEVELS.items()})
    #: λ: the probability that two mentions taken at random are the same person (Splink's meaning). The
    #: default suits a county of 50,000-100,000 people; training estimates it from the stored mentions.
    prior: float = 1e-5
    #: Relative frequency of each folded value, per TF field (trained).
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    tf_minimum: float = 0.0005
    #: Probability at or above which a pair links; between ``review_at`` and this it goes to review.
    link_at: float = 0.99
    review_at: float = 0.5
    trained_on: dict[str, Any] = field(default_factory=dict)
    comparisons: int = COMPARISONS

    @property
    def is_current(self) -> bool:
        """Made for this scorer's comparisons (a model stored before they changed is not)."""
        return self.comparisons == COMPARISONS

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    @property
    def link_weight(self) -> float:
        """Posterior log2-odds (prior included) at which a pair links."""
        return math.log2(self.link_at / (1 - self.link_at))

    @property
    def review_weight(self) -> float:
        return math.log2(self.review_at / (1 - self.review_at))

    def weight(self, comparison: str, level: str, value: str | None = None) -> float:
        m, u = self.levels[comparison][level]
        if value is not None and level == "exact" and comparison in self.term_frequencies:
            tf = self.term_frequencies[comparison].get(value)
            if tf is not None:
                u = max(tf, self.tf_minimum)
        return math.log2(m / u)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "levels": {c: {lv: [m, u] for lv, (m, u) in levels.items()} for c, levels in self.levels.items()},
            "prior": self.prior,
            "term_frequencies": self.term_frequencies,
            "tf_minimum": self.tf_minimum,
            "link_at": self.link_at,
            "review_at": self.review_at,
            "trained_on": self.trained_on,
            "comparisons": self.comparisons,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> LinkageModel:
        levels = {k: dict(v) for k, v in DEFAULT_LEVELS.items()}
        for comparison, lv in obj.get("levels", {}).items():
            levels.setdefault(comparison, {})
            for name, (m, u) in lv.items():
                levels[comparison][name] = (float(m), float(u))
        return cls(
            version=str(obj.get("version", "default-1")),
            # Models stored before ``COMPARISONS`` existed were made for the first comparisons.
            comparisons=int(obj.get("comparisons", 1)),
            levels=levels,
            prior=float(obj.get("prior", 1e-5)),
            term_frequencies={k: {n: float(f) for n, f in v.items()} for k, v in obj.get("term_frequencies", {}).items()},
            tf_minimum=float(obj.get("tf_minimum", 0.0005)),
            link_at=float(obj.get("link_at", 0.99)),
            review_at=float(obj.get("review_at", 0.5)),
            trained_on=dict(obj.get("trained_on", {})),
        )


# --- field comparisons: each returns a level name, or None when a value is missing ----------------


def compare_given(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    if not a or not b:
        return None
    fa, fb = a[0], b[0]
    if fa == fb:
        # Same first name but different recorded middle names: likely namesakes (Nathan Scott / Nathan Richard).
        if len(a) > 1 and len(b) > 1 and not any(is_close_typo(x, y) or are_nickname_variants(x, y) for x in a[1:] for y in b[1:]):
            return "first_only"
        return "exact"
    if are_nickname_variants(fa, fb) or fa in b or fb in a:
        return "variant"
    if any(are_nickname_variants(x, y) for x in a for y in b if len(x) > 1 and len(y) > 1):
        return "variant"
    if is_close_typo(fa, fb) or any(is_close_typo(fa, y) for y in b[1:]) or any(is_close_typo(x, fb) for x in a[1:]):
        return "typo"
    if is_loose_typo(fa, fb):
        return "loose"
    return "else"


def compare_surname(a: MentionFeatures, b: MentionFeatures) -> str | None:
    if not a.family or not b.family:
        return None
    if a.family == b.family:
        return "exact"
    if set(a.surnames) & set(b.surnames):
        return "variant"
    stems_a = {surname_stem(s) for s in a.surnames}
    if stems_a & {surname_stem(s) for s in b.surnames}:
        return "variant"
    if is_close_typo(a.family, b.family) or any(is_close_typo(x, y) for x in a.surnames for y in b.surnames):
        return "typo"
    if is_loose_typo(a.family, b.family):
        return "loose"
    return "else"


def _years_overlap(a: tuple[int, int], b: tuple[int, int], slack: int = 1) -> bool:
    return a[0] - slack <= b[1] and b[0] - slack <= a[1]


def compare_dob(a: Head, b: Head) -> str | None:
    if a.dob and b.dob:
        if a.dob == b.dob:
            return "exact"
        ya, ma, da = a.dob[:4], a.dob[5:7], a.dob[8:10]
        yb, mb, db = b.dob[:4], b.dob[5:7], b.dob[8:10]
        if ya == yb and ma == db and da == mb:
            return "swap"
        if ma == mb and da == db and abs(int(ya) - int(yb)) == 1:
            return "near"
        if ya == yb and sum(x != y for x, y in zip(ma + da, mb + db, strict=True)) == 1:
            return "near"
        if ma == mb and da == db and sum(x != y for x, y in zip(ya, yb, strict=True)) == 1:
            return "near"
        return "else"
    range_a = (int(a.dob[:4]),) * 2 if a.dob else a.birth_years
    range_b = (int(b.dob[:4]),) * 2 if b.dob else b.birth_years
    if range_a is None or range_b is None:
        return None
    if _years_overlap(range_a, range_b):
        return "estimate_agrees"
    # An adult's age is often guessed a few years out; a child's rarely.
    if _is_adult_estimate(a) and _is_adult_estimate(b) and _years_overlap(range_a, range_b, slack=3):
        return "estimate_close"
    return "estimate_disagrees"


def _is_adult_estimate(features: Head) -> bool:
    age = age_on(features, dt.date.fromisoformat(features.occurred))
    return age is not None and age >= 18


def compare_sex(a: Head, b: Head) -> str | None:
    if not a.sex or not b.sex:
        return None
    return "agree" if a.sex == b.sex else "disagree"


def _uprn_keys(features: MentionFeatures) -> list[str]:
    return [k for k in features.household if k.startswith("U:")]


def _places_agree(a: MentionFeatures, b: MentionFeatures) -> bool:
    """The same postcode; or, when either postcode is missing, the same town but for a slip."""
    if a.postcode and b.postcode:
        return a.postcode == b.postcode
    return bool(a.town and b.town and is_loose_typo(a.town, b.town))


def _building_line(features: MentionFeatures) -> tuple[str, str] | None:
    """The building line as (number, street)."""
    if features.building is None:
        return None
    number, street = features.building.split("|", 1)
    return number, street


def _same_building_line(lines: tuple[tuple[str, str], tuple[str, str]]) -> bool:
    """The same building line but for a slip (14 Weipa Place / 14 Weipap Lace, 14 / 41 Mill Lane)."""
    (number_a, street_a), (number_b, street_b) = lines
    if number_a == number_b:
        return is_loose_typo(street_a, street_b)
    return street_a == street_b and edit_distance(number_a, number_b) <= 1


def parts_apply(a: MentionFeatures, b: MentionFeatures) -> bool:
    """Neither a postcode on both sides nor a UPRN on both: the address is then compared part by part (the
    building number, the street, the town), not as one."""
    return not (a.postcode and b.postcode) and not (_uprn_keys(a) and _uprn_keys(b))


def compare_address(a: MentionFeatures, b: MentionFeatures) -> str:
    """The address as one, where postcodes (or UPRNs) place both sides (``parts_apply`` is false): household, near,
    postcode, district; the same building line in another postcode; the same town (but for a slip); else."""
    uprn_a, uprn_b = _uprn_keys(a), _uprn_keys(b)
    # The same household: a UPRN in common where both have one (two different UPRNs always mean different
    # addresses, contract §3.2), else any household key in common.
    both_uprns = bool(uprn_a and uprn_b)
    shared = not set(uprn_a).isdisjoint(uprn_b) if both_uprns else not set(a.household).isdisjoint(b.household)
    if shared:
        return "household"
    # Both building lines, unless two different UPRNs rule them out.
    line_a, line_b = _building_line(a), _building_line(b)
    lines = None if line_a is None or line_b is None or both_uprns else (line_a, line_b)
    places = lines is not None and _places_agree(a, b)
    # Near: the same building line but for a slip, in the same postcode (or town, when a postcode is missing).
    if lines is not None and places and _same_building_line(lines):
        return "near"
    if a.postcode and b.postcode:
        if a.postcode == b.postcode:
            return "postcode"
        if a.postcode[:-3] == b.postcode[:-3]:
            return "district"
    if lines is not None:
        if places and is_loose_typo(lines[0][1], lines[1][1]):
            return "street"
        if _same_building_line(lines):
            return "building"
    if a.town and b.town and is_loose_typo(a.town, b.town):
        return "town"
    return "else"


def _slip_level(x: str, y: str) -> str:
    if x == y:
        return "exact"
    return "typo" if is_loose_typo(x, y) else "else"


def _part_levels(a: MentionFeatures, b: MentionFeatures) -> tuple[str | None, str | None, str | None]:
    """The building number's, the street's (but for a slip) and the town's (but for a slip) levels, where the
    parts are compared (``parts_apply``)."""
    line_a, line_b = _building_line(a), _building_line(b)
    if line_a is None or line_b is None:
        number = street = None
    else:
        number = "exact" if line_a[0] == line_b[0] else "else"
        street = _slip_level(line_a[1], line_b[1])
    town = _slip_level(a.town, b.town) if a.town and b.town else None
    return number, street, town


def compare_nhs(a: Head, b: Head) -> str | None:
    if not a.nhs or not b.nhs:
        return None
    return "agree" if a.nhs == b.nhs else "disagree"


def compare_agency_id(a: Head, b: Head) -> str | None:
    if a.agency != b.agency or not a.agency_person_id or not b.agency_person_id:
        return None
    return "agree" if a.agency_person_id == b.agency_person_id else "disagree"


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    field: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class PairScore:
    weight: float
    probability: float
    evidence: tuple[FieldEvidence, ...]

    def level(self, name: str) -> str | None:
        return next((e.level for e in self.evidence if e.field == name), None)

    def explain(self) -> list[dict[str, Any]]:
        return [{"field": e.field, "level": e.level, "weight": round(e.weight, 2)} for e in self.evidence]


def _given_as_written(features: MentionFeatures) -> tuple[str, ...]:
    """The first given name, and every given name run together when there are several (a double-barrelled
    name split across the field: "Slack Smith", "De La Cruz")."""
    if len(features.given) > 1:
        return (features.given[0], "".join(features.given))
    return features.given[:1]


def _family_in_given(given_side: MentionFeatures, family_side: MentionFeatures) -> bool:
    """``family_side``'s family name written as ``given_side``'s given name(s), but for a slip."""
    return any(is_close_typo(name, family_side.family) for name in _given_as_written(given_side))


def names_swapped(a: MentionFeatures, b: MentionFeatures) -> bool:
    """Given and family names recorded the other way round (Bradley Matthews / Matthews Bradley)."""
    if not (a.given and b.given and a.family and b.family) or a.given[0] == b.given[0]:
        return False
    return _family_in_given(a, b) and _family_in_given(b, a)


def names_crossed(a: MentionFeatures, b: MentionFeatures) -> bool:
    """One side's family name is the other's given name (Stronach Ethan / Emily Stronach): the names were
    recorded the wrong way round and one of them differs as well."""
    if not (a.given and b.given and a.family and b.family) or a.given[0] == b.given[0]:
        return False
    return _family_in_given(a, b) or _family_in_given(b, a)


def name_levels(a: MentionFeatures, b: MentionFeatures) -> tuple[str | None, str | None]:
    """The given name's and the family name's levels. Names the wrong way round score as agreeing ("swapped":
    the given name as exact, the family name as exact times the rarity of a swap); when only one of them
    crosses over, only the family name scores "swapped" and the given name stays "else"."""
    given, surname = compare_given(a.given, b.given), compare_surname(a, b)
    if given == "else" and surname == "else":
        if names_swapped(a, b):
            given = surname = "swapped"
        elif names_crossed(a, b):
            surname = "swapped"
    return given, surname


def address_levels(a: MentionFeatures, b: MentionFeatures) -> tuple[str | None, str | None, str | None, str | None]:
    """The levels of the address as one (``compare_address``), and of its building number, street and town
    (``_part_levels``): the address where postcodes or UPRNs place both sides, else the parts."""
    if parts_apply(a, b):
        return (None, *_part_levels(a, b))
    return compare_address(a, b), None, None, None


def comparison_levels(a: MentionFeatures, b: MentionFeatures) -> dict[str, str | None]:
    """The level of every field for this pair (None where a value is missing)."""
    given, surname = name_levels(a, b)
    address, number, street, town = address_levels(a, b)
    return {
        "given": given,
        "surname": surname,
        "dob": compare_dob(a, b),
        "sex": compare_sex(a, b),
        "address": address,
        "number": number,
        "street": street,
        "town": town,
        "nhs": compare_nhs(a, b),
        "agency_id": compare_agency_id(a, b),
    }


def probability_from_weight(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    return 1.0 / (1.0 + float(2.0 ** (-weight)))


def _tf_value(comparison: str, a: MentionFeatures) -> str | None:
    """The value whose frequency may adjust ``comparison``'s exact level: always the first side's."""
    if comparison == "given":
        return a.first_given
    if comparison == "surname":
        return a.family
    if comparison == "town":
        return a.town
    return None


def score_pair(model: LinkageModel, a: MentionFeatures, b: MentionFeatures) -> PairScore:
    """Evidence that ``a`` and ``b`` name the same person, field by field."""
    evidence: list[FieldEvidence] = []
    total = model.prior_weight
    for name, level in comparison_levels(a, b).items():
        if level is None:
            continue
        w = model.weight(name, level, _tf_value(name, a))
        evidence.append(FieldEvidence(name, level, w))
        total += w
    return PairScore(total, probability_from_weight(total), tuple(evidence))


def _sum(*weights: float | None) -> float:
    return sum(w for w in weights if w is not None)


class ProbeScorer:
    """``score_pair(model, probe, b).weight`` for the many candidates ``b`` of one probe, the same float.

    A probe is scored against tens to hundreds of candidate mentions (a common name among a million people),
    most sharing its family name, many its given name or date of birth. Each group of comparisons is worked out
    once per distinct value of what it reads from ``b`` (names; date of birth; address), each level's weight once
    per probe (its term frequency is the probe's value), and the weights are added in ``score_pair``'s order, so
    the sum is bit for bit ``score_pair``'s. ``score`` gives the whole ``PairScore`` where one is needed.

    ``weight(b, at_least=w)`` may answer None instead: the pair certainly weighs less than ``w``. The address and
    then the names, the costliest comparisons (typos, nicknames), are left uncompared once what is known plus the
    most they could add (each comparison's heaviest level for this probe) stays below ``w``; where both postcodes
    are present, differ and no household key is shared, the most the address could add is its heaviest level that
    needs neither (``_elsewhere_most``). Most candidates of a common name among a million people differ in date of
    birth and address, and can neither link nor be reviewed.
    """

    def __init__(self, model: LinkageModel, probe: MentionFeatures) -> None:
        self.model = model
        self.probe = probe
        self._prior = model.prior_weight
        self._weights: dict[tuple[str, str], float] = {}
        self._names: dict[tuple[Any, ...], tuple[float | None, float | None]] = {}
        self._dob: dict[Any, float | None] = {}
        self._address: dict[tuple[Any, ...], tuple[float | None, ...]] = {}
        # The most each comparison can add for this probe (0 where a value is missing): the names together; the
        # address as one, or its three parts (never both: ``parts_apply``).
        most = {c: max(0.0, *(model.weight(c, level, _tf_value(c, probe)) for level in model.levels[c]))
                for c in ("given", "surname", "address", "number", "street", "town")}
        self._names_most = most["given"] + most["surname"]
        self._address_most = max(most["address"], most["number"] + most["street"] + most["town"])
        self._most = self._names_most + self._address_most
        # The most the address can add where both sides have a postcode, the postcodes differ and no household key
        # is shared (most candidates of a common name): not household, and neither near, postcode nor street, which
        # need the same postcode; the parts are not compared.
        self._elsewhere_most = max(model.weight("address", level) for level in ("district", "building", "town", "else"))
        self._postcode, self._household = probe.postcode, frozenset(probe.household)
        #: ``_head_weights``' sex weight by the candidate's value.
        self._sex_levels: dict[str, float | None] = {}

    def _weight(self, comparison: str, level: str | None) -> float | None:
        if level is None:
            return None
        key = (comparison, level)
        w = self._weights.get(key)
        if w is None:
            w = self._weights[key] = self.model.weight(comparison, level, _tf_value(comparison, self.probe))
        return w

    def score(self, b: MentionFeatures) -> PairScore:
        return score_pair(self.model, self.probe, b)

    def _head_weights(self, b: Head) -> tuple[float | None, float | None, float | None, float | None]:
        """The weights of the date of birth, sex, NHS number and agency person id: what b's head alone gives
        (``compare_sex``, ``compare_nhs`` and ``compare_agency_id`` written out against the probe's values: this
        runs on every candidate row, screened and weighed)."""
        a = self.probe
        # What the date of birth reads from b: the date (and, where either side has none, the estimate and b's
        # record date, which say whether b is an adult).
        dob_key: Any = b.dob if a.dob and b.dob else (b.dob, b.birth_years, b.occurred)
        if dob_key in self._dob:
            dob = self._dob[dob_key]
        else:
            dob = self._dob[dob_key] = self._weight("dob", compare_dob(a, b))
        sex_b = b.sex
        if not (a.sex and sex_b):
            sex = None
        elif sex_b in self._sex_levels:
            sex = self._sex_levels[sex_b]
        else:
            sex = self._sex_levels[sex_b] = self._weight("sex", "agree" if a.sex == sex_b else "disagree")
        nhs = None
        if a.nhs and b.nhs:
            nhs = self._weight("nhs", "agree" if a.nhs == b.nhs else "disagree")
        agency_id = None
        if a.agency_person_id and b.agency_person_id and a.agency == b.agency:
            agency_id = self._weight("agency_id", "agree" if a.agency_person_id == b.agency_person_id else "disagree")
        return dob, sex, nhs, agency_id

    def _needed(self, head: tuple[float | None, ...], at_least: float) -> float:
        """What the address and the names must add between them to reach ``at_least`` (the margin covers the
        other order of the additions: a pair this far below cannot reach it)."""
        return at_least - 1e-9 - self._prior - _sum(*head)

    def may_reach(self, b: Head, at_least: float) -> bool:
        """False only when the pair certainly weighs less than ``at_least``, whatever b's names and address say:
        the most they could add (each comparison's heaviest level for this probe) does not make up what its head
        lacks. ``weight(b, at_least)`` would then answer None (or, its names and address already known, less than
        ``at_least``), so a store may leave out such a candidate before decoding its features."""
        return self._most >= self._needed(self._head_weights(b), at_least)

    def _elsewhere(self, b: MentionFeatures) -> bool:
        """Both sides have a postcode, they differ, and no household key is shared (``_elsewhere_most``)."""
        return bool(self._postcode and b.postcode and self._postcode != b.postcode
                    and self._household.isdisjoint(b.household))

    @overload
    def weight(self, b: MentionFeatures) -> float: ...

    @overload
    def weight(self, b: MentionFeatures, at_least: float | None) -> float | None: ...

    def weight(self, b: MentionFeatures, at_least: float | None = None) -> float | None:
        a = self.probe
        # What each group reads from b: the head (date of birth, sex, identifiers); the address; the names.
        dob, sex, nhs, agency_id = head = self._head_weights(b)
        address_key = (b.postcode, b.household, b.town, b.building)
        address = self._address.get(address_key)
        names_key = (b.given, b.family, b.surnames)
        names = self._names.get(names_key)
        needed = None if at_least is None else self._needed(head, at_least)
        if address is None:
            if needed is not None:
                names_most = _sum(*names) if names else self._names_most
                if names_most + self._address_most < needed:
                    return None
                if names_most + self._elsewhere_most < needed and self._elsewhere(b):
                    return None
            address = self._address[address_key] = tuple(
                self._weight(c, level) for c, level in zip(("address", "number", "street", "town"), address_levels(a, b),
                                                           strict=True))
        if names is None:
            if needed is not None and _sum(*address) + self._names_most < needed:
                return None
            given, surname = name_levels(a, b)
            names = self._names[names_key] = (self._weight("given", given), self._weight("surname", surname))
        total = self._prior
        for w in (*names, dob, sex, *address, nhs, agency_id):
            if w is not None:
                total += w
        return total


def age_on(features: Head, day: dt.date) -> int | None:
    """Age in whole years on ``day`` from the trusted date of birth, else from the estimate."""
    born = features.dob_date
    if born is not None:
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if features.birth_years is not None:
        return day.year - features.birth_years[1]
    return None
