"""Real-time linking of one record's people, against a store of people already linked.

The algorithm is written once, against the small ``LinkStore`` port: the
in-memory store below serves tests, the evaluation harness and batch rebuilds;
``identity.services`` implements the same port on the database, so every web
and worker process sees one index.

For each person-in-record of an incoming record version:

1. Candidates are the people sharing a blocking key with it.
2. Each candidate is scored by its best-matching mention (``scoring``), and
   refused outright when a guard forbids the pair (``clustering``). A valid NHS
   number or the agency's own person id already on a candidate is a strong match.
3. People named in one record get different people (greedy, strongest first).
4. At or above the link threshold the mention joins the best candidate; in the
   review band it starts a new person and a review item is raised; below, it starts
   a new person. A model match that ``clustering.child_match_needs_review`` holds back
   (a child on names and date of birth alone...) counts as in the review band.
5. Any other candidate that the mention matches as strongly is merged into its
   person, unless a guard forbids the merge. A merge keeps the older person's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any, Protocol

from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.clustering import Conflict, child_match_needs_review, merge_conflict, twin_conflict
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.scoring import CandidateHead, Head, LinkageModel, PairScore, ProbeScorer, score_pair

MentionKey = tuple[str, str, str]

METHOD_NHS = "nhs_number"
METHOD_AGENCY_ID = "agency_person_id"
METHOD_MODEL = "model"
METHOD_NEW = "new"
METHOD_REVIEW = "review"
METHOD_SAME_RECORD_NHS = "same_record_nhs_number"
#: A name-only key shared by more people than this (John Smith born 1980) finds nothing on its own:
#: the pair will share a more specific key if it is a match at all. Strong-id keys are never capped.
MAX_BLOCK = 250
#: A key held by at most this many people makes each of them a candidate; the holders of a larger
#: block (a common name × birth year, given × family name) are candidates only when they share a
#: second key with the mention. One broad key alone (same surname and birth year, nothing else)
#: cannot carry a pair to the review threshold, and at national scale such blocks hold hundreds.
SMALL_BLOCK = 30


#: Keys that make candidates only from a small block (at most ``SMALL_BLOCK`` holders), never as one of two
#: broad keys: the building line alone and the names' first letters (``domain.blocking``) are there for
#: many-error duplicates in a small place; at national scale (1 High Street, Joh/Smi) their blocks say nothing,
#: so only ``SMALL_BLOCK`` + 1 of their holders are ever read.
NARROW_ONLY = ("L:", "Q:")


def is_strong_key(key: str) -> bool:
    return key.startswith(("N:", "A:"))


def is_narrow_only_key(key: str) -> bool:
    return key.startswith(NARROW_ONLY)


def candidate_people(found: Mapping[str, set[str]]) -> set[str]:
    """The people worth scoring, from the holders of each blocking key a mention shares."""
    people: set[str] = set()
    broad: dict[str, int] = {}
    for key, holders in found.items():
        if is_strong_key(key) or len(holders) <= SMALL_BLOCK:
            people |= holders
        elif len(holders) <= MAX_BLOCK and not is_narrow_only_key(key):
            for person in holders:
                broad[person] = broad.get(person, 0) + 1
    people.update(person for person, shared in broad.items() if shared >= 2)
    return people


class LinkStore(Protocol):
    """What the linker needs from wherever people and links are kept."""

    def candidate_mentions(self, keys: Iterable[str],
                           screen: Callable[[CandidateHead], bool] | None = None) -> dict[str, list[MentionFeatures]]:
        """The mentions of the people to score for a mention with these blocking keys: ``candidate_people`` of
        the keys' holders (a database store applies the rule in SQL, so that a broad block never leaves the
        database, and reads their mentions in the same query).

        ``screen`` (when given) is true of each stored mention worth scoring, from its head alone: a store may
        leave out a person none of whose mentions passes it, before decoding their features (the linker would
        drop that person unscored anyway, ``_options``); it need not."""
        ...

    def mentions_of(self, people: Iterable[str]) -> dict[str, list[MentionFeatures]]: ...

    def person_of(self, mention: MentionKey) -> str | None: ...

    def resolve(self, person: str) -> str:
        """The person ``person`` now is (after merges)."""
        ...

    def new_person(self) -> str: ...

    def is_older(self, person: str, other: str) -> bool: ...

    def save_link(self, features: MentionFeatures, person: str, decision: LinkDecision) -> None: ...

    def add_keys(self, person: str, keys: Iterable[str]) -> None: ...

    def merge(self, keep: str, absorb: str, evidence: Mapping[str, Any]) -> None: ...

    def raise_review(self, features: MentionFeatures, person: str, candidate: str, score: PairScore) -> None: ...

    def features_of(self, mention: MentionKey) -> MentionFeatures | None:
        """The features this mention was last linked with (None when it is not linked)."""
        ...

    def relinked(self, features: MentionFeatures, before: str, after: str, evidence: Mapping[str, Any]) -> None:
        """Record that a linked mention moved from ``before`` to ``after`` (reversibly), after ``save_link``."""
        ...


@dataclass(frozen=True)
class LinkDecision:
    person: str
    method: str
    probability: float
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Option:
    person: str
    score: PairScore
    strong: str | None
    matched: MentionFeatures
    #: Why this model match may not link on its own (``child_match_needs_review``): it can only be reviewed.
    held: Conflict | None = None

    def links(self, model: LinkageModel) -> bool:
        return self.strong is not None or (self.score.weight >= model.link_weight and self.held is None)


def _strong_method(features: MentionFeatures, mentions: Sequence[Head]) -> str | None:
    if features.nhs and any(m.nhs == features.nhs for m in mentions):
        return METHOD_NHS
    if features.agency_person_id and any(
        m.agency == features.agency and m.agency_person_id == features.agency_person_id for m in mentions
    ):
        return METHOD_AGENCY_ID
    return None


def worth_scoring(features: MentionFeatures, scorer: ProbeScorer, floor: float) -> Callable[[Head], bool]:
    """The screen ``_options`` hands to the store: a stored mention sharing a strong identifier with ``features``,
    or whose head leaves its pair able to reach ``floor`` (``ProbeScorer.may_reach``). A person none of whose
    mentions passes has no strong identifier in common and weighs less than ``floor`` on every mention, so
    ``_options`` would drop it unscored: nothing at or above the review band is screened out."""

    nhs, agency, agency_person_id = features.nhs, features.agency, features.agency_person_id

    def screen(head: Head) -> bool:
        # ``_strong_method`` of this one mention, written out: the screen runs on every candidate row.
        if nhs and head.nhs == nhs:
            return True
        if agency_person_id and head.agency == agency and head.agency_person_id == agency_person_id:
            return True
        return scorer.may_reach(head, floor)

    return screen


def held_back(features: MentionFeatures, other: MentionFeatures, score: PairScore) -> Conflict | None:
    """``clustering.child_match_needs_review`` of a scored pair."""
    return child_match_needs_review(features, other, {e.field: e.level for e in score.evidence})


def links_on_its_own(model: LinkageModel, features: MentionFeatures, other: MentionFeatures, score: PairScore) -> bool:
    """A scored pair the model links without review: at the link threshold and not held back."""
    return score.weight >= model.link_weight and held_back(features, other, score) is None


def candidate_conflict(features: MentionFeatures, mentions: Sequence[MentionFeatures]) -> Conflict | None:
    """Guard between one incoming mention and a person's mentions (its own older versions excluded)."""
    others = [m for m in mentions if m.mention_key != features.mention_key]
    return merge_conflict([features], others)


def _options(
    store: LinkStore, model: LinkageModel, features: MentionFeatures, keys: frozenset[str], exclude: str | None = None
) -> list[_Option]:
    scorer = ProbeScorer(model, features)
    # Without a strong identifier, a mention below both thresholds can neither link nor be reviewed, nor be the
    # best of one that can: the scorer may leave its names (and address) uncompared (None), and the store may
    # leave out a person whose every mention is so from its head alone.
    floor = min(model.review_weight, model.link_weight)
    found = store.candidate_mentions(keys, worth_scoring(features, scorer, floor))
    found.pop(exclude or "", None)
    options: list[_Option] = []
    for person, mentions in found.items():
        others = [m for m in mentions if m.mention_key != features.mention_key]
        if not others:
            continue
        strong = _strong_method(features, others)
        # Each distinct mention's weight (``score_pair``'s), or None below the floor.
        at_least = None if strong is not None else floor
        weighed: list[tuple[float, MentionFeatures]] = []
        seen: set[tuple[Any, ...]] = set()
        for m in others:
            if len(others) > 1:
                signature = (m.agency, *identifying(m))
                if signature in seen:
                    continue
                seen.add(signature)
            w = scorer.weight(m, at_least)
            if w is not None:
                weighed.append((w, m))
        if not weighed:
            continue
        # The first of the heaviest is the best, as ``max`` takes it.
        best_weight, best_mention = max(weighed, key=lambda wm: wm[0])
        # Below the review threshold and without a strong identifier, a candidate can neither link nor be
        # reviewed: it is dropped before its whole score and the (costlier) guards are worked out.
        if strong is None and best_weight < model.review_weight:
            continue
        best = (scorer.score(best_mention), best_mention)
        held: Conflict | None = None
        if strong is None and best_weight >= model.link_weight:
            held = held_back(features, best[1], best[0])
            if held is not None:
                # Another of the person's mentions may carry the link on more than the held pair does.
                scored = [(scorer.score(m), m) for w, m in weighed if w >= model.link_weight]
                unheld = [sm for sm in scored if links_on_its_own(model, features, sm[1], sm[0])]
                if unheld:
                    best, held = max(unheld, key=lambda sm: sm[0].weight), None
        if candidate_conflict(features, others) is not None:
            continue
        options.append(_Option(person, best[0], strong, best[1], held))
    options.sort(key=cmp_to_key(lambda a, b: _compare_options(store, a, b)))
    return options


def _compare_options(store: LinkStore, a: _Option, b: _Option) -> int:
    """Strong identifiers first, then the heavier score; between two people of exactly the same evidence, the older
    person (as a merge keeps the older), so the choice never rests on the order the store happened to return."""
    key_a, key_b = (a.strong is None, -a.score.weight), (b.strong is None, -b.score.weight)
    if key_a != key_b:
        return -1 if key_a < key_b else 1
    if a.person == b.person:
        return 0
    return -1 if store.is_older(a.person, b.person) else 1


def _explanation(option: _Option) -> dict[str, Any]:
    out: dict[str, Any] = {
        "matched": "/".join(option.matched.mention_key),
        "weight": round(option.score.weight, 2),
        "fields": option.score.explain(),
    }
    if option.held is not None:
        out["held_for_review"] = str(option.held)
    return out


def link_record(store: LinkStore, model: LinkageModel, mentions: Sequence[MentionFeatures]) -> dict[MentionKey, LinkDecision]:
    """Link every (non-professional) person named in one record version; returns each decision."""
    decisions: dict[MentionKey, LinkDecision] = {}
    keys = {m.mention_key: blocking_keys(m) for m in mentions}
    taken: dict[str, MentionFeatures] = {}  # person → the mention of this record it holds
    pending: list[tuple[MentionFeatures, list[_Option]]] = []

    leaving: dict[MentionKey, str] = {}  # mention → the person its new details no longer fit
    for m in mentions:
        current = store.person_of(m.mention_key)
        if current is None:
            continue
        if not still_fits(store, model, m, current):
            leaving[m.mention_key] = current
            continue
        decision = LinkDecision(current, "kept", 1.0, {"note": "already linked; details updated"})
        store.save_link(m, current, decision)
        store.add_keys(current, keys[m.mention_key])
        decisions[m.mention_key] = decision
        taken[current] = m
    for m in mentions:
        if m.mention_key in decisions:
            continue
        pending.append((m, _options(store, model, m, keys[m.mention_key], exclude=leaving.get(m.mention_key))))

    # Strongest evidence first, so that a weaker mention cannot take another's person.
    def strength(item: tuple[MentionFeatures, list[_Option]]) -> tuple[bool, float]:
        opts = item[1]
        if not opts:
            return (True, 0.0)
        return (opts[0].strong is None, -opts[0].score.weight)

    pending.sort(key=strength)
    for m, opts in pending:
        chosen: _Option | None = None
        review: _Option | None = None
        for option in opts:
            holder = taken.get(option.person)
            if holder is not None and not (m.nhs and holder.nhs == m.nhs):
                continue
            if option.links(model):
                chosen = option
                break
            if option.score.weight >= model.review_weight and review is None:
                review = option
        if chosen is not None:
            method = chosen.strong or METHOD_MODEL
            decision = LinkDecision(chosen.person, method, 1.0 if chosen.strong else chosen.score.probability, _explanation(chosen))
            person = chosen.person
        else:
            person = store.new_person()
            if review is not None:
                decision = LinkDecision(person, METHOD_REVIEW, review.score.probability, _explanation(review))
            else:
                decision = LinkDecision(person, METHOD_NEW, 1.0, {"note": "no candidate above the review threshold"})
        store.save_link(m, person, decision)
        store.add_keys(person, keys[m.mention_key])
        if m.mention_key in leaving:
            store.relinked(m, leaving[m.mention_key], person, {"reason": "the record's new version no longer fits its person",
                                                             **decision.explanation})
        if review is not None and chosen is None:
            store.raise_review(m, person, review.person, review.score)
        decisions[m.mention_key] = decision
        taken[person] = m

    # Merges: a mention that matches other people as strongly as its own joins them up.
    options_of = {m.mention_key: opts for m, opts in pending}
    for m in mentions:
        found = options_of.get(m.mention_key)
        opts = found if found is not None else _options(store, model, m, keys[m.mention_key])
        for option in opts:
            if not option.links(model):
                if option.held is not None:
                    continue
                break
            linked = store.person_of(m.mention_key)
            if linked is None:
                break
            person, other = store.resolve(linked), store.resolve(option.person)
            if other == person:
                continue
            both = store.mentions_of([person, other])
            if merge_conflict(both.get(person, []), both.get(other, [])) is not None:
                continue
            keep, absorb = (person, other) if store.is_older(person, other) else (other, person)
            store.merge(keep, absorb, {"via": "/".join(m.mention_key), **_explanation(option)})
    return decisions


def identifying(features: MentionFeatures) -> tuple[Any, ...]:
    """What linking reads from a mention: when none of it changed, neither can the mention's person."""
    return (features.given, features.family, features.surnames, features.dob, features.birth_years, features.sex,
            features.nhs, features.agency_person_id, features.postcode, features.household, features.town,
            features.building)


def still_fits(store: LinkStore, model: LinkageModel, features: MentionFeatures, person: str) -> bool:
    """Whether a linked mention's (possibly changed) details still belong with its person: unchanged, the
    person's only mention, or matching another of its mentions as strongly as a new link must, unguarded."""
    before = store.features_of(features.mention_key)
    if before is None or identifying(before) == identifying(features):
        return True
    others = [m for m in store.mentions_of([person]).get(person, []) if m.mention_key != features.mention_key]
    if not others:
        return True
    if merge_conflict([features], others) is not None:
        return False
    if _strong_method(features, others) is not None:
        return True
    return any(links_on_its_own(model, features, m, score_pair(model, features, m)) for m in others)


__all__ = [
    "LinkDecision", "LinkStore", "MentionKey", "candidate_conflict", "held_back", "link_record", "links_on_its_own", "twin_conflict",
]


class InMemoryStore:
    """A ``LinkStore`` in dictionaries: for tests, the evaluation harness and batch rebuilds."""

    def __init__(self) -> None:
        self.index: dict[str, set[str]] = {}
        self.keys_of: dict[str, set[str]] = {}
        self.members: dict[str, dict[MentionKey, MentionFeatures]] = {}
        self.link: dict[MentionKey, str] = {}
        self.decisions: dict[MentionKey, LinkDecision] = {}
        self.created: dict[str, int] = {}
        self.merged_into: dict[str, str] = {}
        self.reviews: list[tuple[MentionKey, str, str, float]] = []
        self.merges: list[tuple[str, str, Mapping[str, Any]]] = []
        self.relinks: list[tuple[MentionKey, str, str]] = []
        self._next = 0

    def find_people(self, keys: Iterable[str]) -> dict[str, set[str]]:
        return {key: self.index[key] for key in keys if key in self.index}

    def candidates(self, keys: Iterable[str]) -> set[str]:
        return candidate_people(self.find_people(keys))

    def candidate_mentions(self, keys: Iterable[str],
                           screen: Callable[[CandidateHead], bool] | None = None) -> dict[str, list[MentionFeatures]]:
        # The features are in memory already: nothing to save by screening.
        return self.mentions_of(self.candidates(keys))

    def mentions_of(self, people: Iterable[str]) -> dict[str, list[MentionFeatures]]:
        return {p: list(self.members.get(p, {}).values()) for p in people}

    def person_of(self, mention: MentionKey) -> str | None:
        return self.link.get(mention)

    def resolve(self, person: str) -> str:
        while person in self.merged_into:
            person = self.merged_into[person]
        return person

    def new_person(self) -> str:
        self._next += 1
        person = f"P{self._next:07d}"
        self.created[person] = self._next
        self.members[person] = {}
        return person

    def is_older(self, person: str, other: str) -> bool:
        return self.created[person] < self.created[other]

    def save_link(self, features: MentionFeatures, person: str, decision: LinkDecision) -> None:
        previous = self.link.get(features.mention_key)
        if previous is not None and previous != person:
            self.members[previous].pop(features.mention_key, None)
        self.link[features.mention_key] = person
        self.members.setdefault(person, {})[features.mention_key] = features
        if decision.method != "kept":
            self.decisions[features.mention_key] = decision

    def features_of(self, mention: MentionKey) -> MentionFeatures | None:
        person = self.link.get(mention)
        return self.members.get(person, {}).get(mention) if person is not None else None

    def relinked(self, features: MentionFeatures, before: str, after: str, evidence: Mapping[str, Any]) -> None:
        self.relinks.append((features.mention_key, before, after))
        # The person left behind keeps only the keys of the mentions it still has.
        for key in self.keys_of.pop(before, set()):
            self.index[key].discard(before)
        for remaining in self.members.get(before, {}).values():
            self.add_keys(before, blocking_keys(remaining))

    def remove_mention(self, mention: MentionKey) -> None:
        person = self.link.pop(mention, None)
        if person is not None:
            self.members[person].pop(mention, None)

    def add_keys(self, person: str, keys: Iterable[str]) -> None:
        held = self.keys_of.setdefault(person, set())
        for key in keys:
            if key not in held:
                held.add(key)
                self.index.setdefault(key, set()).add(person)

    def merge(self, keep: str, absorb: str, evidence: Mapping[str, Any]) -> None:
        for mention, features in self.members.pop(absorb, {}).items():
            self.members[keep][mention] = features
            self.link[mention] = keep
        for key in self.keys_of.pop(absorb, set()):
            people = self.index[key]
            people.discard(absorb)
            people.add(keep)
            self.keys_of.setdefault(keep, set()).add(key)
        self.merged_into[absorb] = keep
        self.merges.append((keep, absorb, evidence))

    def raise_review(self, features: MentionFeatures, person: str, candidate: str, score: PairScore) -> None:
        self.reviews.append((features.mention_key, person, candidate, score.probability))
