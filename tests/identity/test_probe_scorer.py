"""The linker's per-probe scorer gives ``score_pair``'s weight to the last bit, whatever its tables already hold, and
leaves a pair unweighed only when it certainly weighs less than asked (the review band, for the linker)."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.identity.domain import linker
from openmash.identity.domain.features import FIELD_NAMES, MentionFeatures
from openmash.identity.domain.linker import InMemoryStore, LinkDecision
from openmash.identity.domain.scoring import CandidateHead, LinkageModel, ProbeScorer, score_pair

GIVEN = ["JOHN", "JON", "JONATHAN", "JACK", "JAKE", "ANNA", "ANA", "HANNA", "SMITH", "KOWALSKA"]
FAMILY = ["SMITH", "SMYTH", "SMITHE", "KOWALSKA", "KOWALSKI", "JOHN", "ANNA", "NOWAK"]
DOBS = [None, "1980-01-02", "1980-02-01", "1981-01-02", "1980-01-03", "2012-06-24", "2012-06-25"]
POSTCODES = [None, "PE21 8AA", "PE21 8AB", "PE25 1AA"]
TOWNS = [None, "BOSTON", "BOSTN", "SKEGNESS"]
BUILDINGS = [None, "14|MILL LANE", "41|MILL LANE", "14|MILL LNAE", "2|HIGH STREET"]
OCCURRED = ["2010-05-01", "2024-03-01", "1999-12-31"]


@st.composite
def mentions(draw: st.DrawFn) -> MentionFeatures:
    dob = draw(st.sampled_from(DOBS))
    born = draw(st.sampled_from([1980, 1982, 1984, 2005, 2007]))
    postcode, town, building = draw(st.sampled_from(POSTCODES)), draw(st.sampled_from(TOWNS)), draw(st.sampled_from(BUILDINGS))
    household: list[str] = []
    if draw(st.booleans()):
        household.append(f"U:{draw(st.sampled_from(['1001', '1002']))}")
    # Drawn apart from the building line, as stored features of another version may hold them.
    line = draw(st.sampled_from([building, *BUILDINGS]))
    if line is not None:
        number, street = line.split("|")
        place = f"P:{postcode}" if postcode else f"T:{town or ''}"
        household.append(f"B:{number}|{street}||{place}")
    family = draw(st.sampled_from(FAMILY))
    return MentionFeatures(
        agency=draw(st.sampled_from(["gp", "police"])), record_id=draw(st.sampled_from(["R1", "R2", "R3"])), ref="p1",
        role=draw(st.sampled_from(["subject", "parent", "child_present"])),
        given=tuple(draw(st.lists(st.sampled_from(GIVEN), min_size=0, max_size=2))), family=family,
        surnames=tuple(dict.fromkeys([family, *draw(st.lists(st.sampled_from(FAMILY), max_size=1))])),
        dob=dob, birth_years=None if dob or draw(st.booleans()) else (born - 1, born),
        sex=draw(st.sampled_from([None, "F", "M"])), nhs=draw(st.sampled_from([None, "9434765919", "9434765870"])),
        agency_person_id=draw(st.sampled_from([None, "A1", "A2"])), postcode=postcode, household=tuple(household),
        occurred=draw(st.sampled_from(OCCURRED)), town=town, building=building,
    )


TRAINED = LinkageModel(term_frequencies={"given": {"JOHN": 0.02, "ANNA": 0.00001}, "surname": {"SMITH": 0.01},
                                         "town": {"BOSTON": 0.2}})


@settings(max_examples=300, deadline=None)
@given(mentions(), st.lists(mentions(), min_size=1, max_size=25), st.sampled_from([LinkageModel(), TRAINED]))
def test_a_probes_scorer_weighs_every_candidate_exactly_as_score_pair_does(probe, candidates, model):
    scorer = ProbeScorer(model, probe)
    for candidate in [*candidates, *candidates]:  # the second time from its tables
        assert scorer.weight(candidate) == score_pair(model, probe, candidate).weight
        assert scorer.score(candidate) == score_pair(model, probe, candidate)


def test_a_candidates_record_date_counts_where_an_age_is_estimated():
    # Born about 1984 is a child on a 1999 record and an adult on a 2010 one: an adult's estimate may be a few
    # years out, a child's not, so the same estimate weighs differently by the record's date.
    probe = MentionFeatures(agency="gp", record_id="R1", ref="p1", role="subject", given=("ANNA",), family="NOWAK",
                            surnames=("NOWAK",), dob=None, birth_years=(1979, 1980), sex=None, nhs=None,
                            agency_person_id=None, postcode=None, household=(), occurred="2010-05-01")
    child, adult = (replace(probe, record_id=r, birth_years=(1983, 1984), occurred=day)
                    for r, day in (("R2", "1999-12-31"), ("R3", "2010-05-01")))
    scorer = ProbeScorer(LinkageModel(), probe)
    weights = [scorer.weight(child), scorer.weight(adult)]
    assert weights == [score_pair(LinkageModel(), probe, m).weight for m in (child, adult)]
    assert weights[0] != weights[1]


@settings(max_examples=300, deadline=None)
@given(mentions(), st.lists(mentions(), min_size=1, max_size=25), st.sampled_from([LinkageModel(), TRAINED]),
       st.floats(min_value=-40, max_value=60))
def test_a_pair_left_unweighed_never_reaches_the_weight_asked(probe, candidates, model, at_least):
    scorer = ProbeScorer(model, probe)
    for candidate in [*candidates, *candidates]:
        weight = scorer.weight(candidate, at_least)
        exact = score_pair(model, probe, candidate).weight
        if weight is None:
            assert exact < at_least
        else:
            assert weight == exact


@settings(max_examples=300, deadline=None)
@given(mentions(), st.lists(mentions(), min_size=1, max_size=25), st.sampled_from([LinkageModel(), TRAINED]))
def test_nothing_at_or_above_the_review_band_is_left_unweighed(probe, candidates, model):
    scorer = ProbeScorer(model, probe)
    for candidate in candidates:
        if score_pair(model, probe, candidate).weight >= model.review_weight:
            assert scorer.weight(candidate, model.review_weight) is not None


@given(mentions())
def test_stored_features_read_back_as_they_were_written(features):
    stored = json.loads(json.dumps({**features.to_json(), "rv": 7}))
    assert MentionFeatures.from_json(stored) == features
    # Stored before the address's parts existed: no town, building or confidential flag.
    older = {k: v for k, v in stored.items() if k not in ("town", "building", "confidential")}
    assert MentionFeatures.from_json(older) == replace(features, town=None, building=None, confidential=False)


@given(mentions(), st.booleans())
def test_features_read_back_from_their_values_as_from_their_json(features, confidential):
    # The link's compact column: the stored JSON's values in field order, a missing one as null.
    features = replace(features, confidential=confidential)
    stored = json.loads(json.dumps({**features.to_json(), "rv": 7}))
    values = json.loads(json.dumps([stored.get(name) for name in FIELD_NAMES]))
    assert MentionFeatures.from_values(values) == MentionFeatures.from_json(stored) == features
    assert CandidateHead.from_values(values) == head_of(features)
    older = {k: v for k, v in stored.items() if k not in ("town", "building", "confidential")}
    assert MentionFeatures.from_values([older.get(name) for name in FIELD_NAMES]) == MentionFeatures.from_json(older)


def test_an_address_compared_part_by_part_may_add_more_than_one_compared_whole():
    # Without postcodes the building number, street and town each add their own weight, together a little more
    # than "household": the most an address can add is the larger of the two.
    probe = MentionFeatures(agency="gp", record_id="R1", ref="p1", role="subject", given=("ANNA",), family="NOWAK",
                            surnames=("NOWAK",), dob="1980-01-02", birth_years=None, sex="F", nhs=None,
                            agency_person_id=None, postcode=None, household=("B:14|MILL LANE||T:BOSTON",),
                            occurred="2024-03-01", town="BOSTON", building="14|MILL LANE")
    same = replace(probe, record_id="R2")
    for model in (LinkageModel(), TRAINED):
        exact = score_pair(model, probe, same).weight
        assert ProbeScorer(model, probe).weight(same, exact) == exact


def test_a_probes_scorer_weighs_each_kind_of_address_agreement_as_score_pair_does():
    # The scorer compares addresses its own way (each fact of the pair once); every level of the address, whole
    # or in parts, and both sides' UPRNs agreeing, differing or missing, weigh what ``score_pair`` says.
    probe = MentionFeatures(agency="gp", record_id="R1", ref="p1", role="subject", given=("ANNA",), family="NOWAK",
                            surnames=("NOWAK",), dob="1980-01-02", birth_years=None, sex="F", nhs=None,
                            agency_person_id=None, postcode="PE21 8AA",
                            household=("U:1001", "B:14|MILL LANE||P:PE21 8AA"), occurred="2024-03-01", town="BOSTON",
                            building="14|MILL LANE")
    others = {
        "household": replace(probe, record_id="R2"),
        "near": replace(probe, household=("B:14|MILL LNAE||P:PE21 8AA",), building="14|MILL LNAE"),
        "postcode": replace(probe, household=("B:2|HIGH STREET||P:PE21 8AA",), building="2|HIGH STREET"),
        "district": replace(probe, postcode="PE21 9ZZ", household=(), building=None),
        "another number": replace(probe, household=("B:7|MILL LANE||P:PE21 8AA",), building="7|MILL LANE"),
        "building": replace(probe, postcode="PE25 1AA", household=("B:14|MILL LANE||P:PE25 1AA",)),
        "town": replace(probe, postcode="PE25 1AA", household=("B:2|HIGH STREET||P:PE25 1AA",), building="2|HIGH STREET"),
        "else": replace(probe, postcode="PE25 1AA", household=(), building=None, town="SKEGNESS"),
        "other UPRN, same line": replace(probe, household=("U:1002", "B:14|MILL LANE||P:PE21 8AA")),
        "parts": replace(probe, postcode=None, household=("B:14|MILL LANE||T:BOSTON",)),
        "parts, a slip": replace(probe, postcode=None, household=(), building="41|MILL LNAE", town="BOSTN"),
        "parts, no line": replace(probe, postcode=None, household=(), building=None),
        "nowhere": replace(probe, postcode=None, household=(), building=None, town=None),
    }
    levels = {name: score_pair(LinkageModel(), probe, other).level("address") for name, other in others.items()}
    assert [levels[name] for name in ("household", "near", "postcode", "district", "building", "town", "else")] == [
        "household", "near", "postcode", "district", "building", "town", "else"]
    for model in (LinkageModel(), TRAINED):
        for side_a, side_b in [(probe, o) for o in others.values()] + [(o, probe) for o in others.values()]:
            assert ProbeScorer(model, side_a).weight(side_b) == score_pair(model, side_a, side_b).weight


def head_of(features: MentionFeatures) -> CandidateHead:
    return CandidateHead(features.agency, features.nhs, features.agency_person_id, features.dob, features.birth_years,
                         features.sex, features.occurred)


@settings(max_examples=300, deadline=None)
@given(mentions(), st.lists(mentions(), min_size=1, max_size=25), st.sampled_from([LinkageModel(), TRAINED]),
       st.floats(min_value=-40, max_value=60))
def test_a_candidate_screened_out_on_its_head_never_reaches_the_weight_asked(probe, candidates, model, at_least):
    scorer = ProbeScorer(model, probe)
    for candidate in [*candidates, *candidates]:
        exact = score_pair(model, probe, candidate).weight
        if not scorer.may_reach(head_of(candidate), at_least):
            assert exact < at_least
            # And the scorer itself gives up on it (or, knowing its names and address already, weighs it below).
            weight = scorer.weight(candidate, at_least)
            assert weight is None or weight < at_least
        # Screening takes nothing from the scorer's tables: its weights stay score_pair's.
        assert scorer.weight(candidate) == exact


class ScreeningStore(InMemoryStore):
    """A store that leaves out every person none of whose mentions passes the linker's screen (as the database
    store does before decoding features); it counts what it left out."""

    def __init__(self) -> None:
        super().__init__()
        self.left_out = 0

    def candidate_mentions(self, keys, screen=None):
        found = super().candidate_mentions(keys)
        if screen is None:
            return found
        kept = {p: ms for p, ms in found.items() if any(screen(head_of(m)) for m in ms)}
        self.left_out += len(found) - len(kept)
        return kept


@settings(max_examples=200, deadline=None)
@given(st.lists(mentions(), min_size=1, max_size=30), mentions(), st.sampled_from([LinkageModel(), TRAINED]))
def test_screening_candidates_on_their_heads_changes_no_option_of_the_linker(stored, probe, model):
    plain, screening = InMemoryStore(), ScreeningStore()
    for i, m in enumerate(stored):
        # Everyone under one key, in people of one to three mentions.
        m = replace(m, record_id=f"S{i}", ref="p1")
        for store in (plain, screening):
            person = store.new_person() if i % 3 == 0 else f"P{store._next:07d}"
            store.save_link(m, person, LinkDecision(person, "new", 1.0))
            store.add_keys(person, {"K:ALL"})
    probe = replace(probe, record_id="NEW")
    keys = frozenset({"K:ALL"})
    assert linker._options(screening, model, probe, keys) == linker._options(plain, model, probe, keys)


def test_the_screen_keeps_a_person_sharing_a_strong_identifier_whatever_its_head_weighs():
    probe = MentionFeatures(agency="gp", record_id="R1", ref="p1", role="subject", given=("ANNA",), family="NOWAK",
                            surnames=("NOWAK",), dob="1980-01-02", birth_years=None, sex="F", nhs="9434765919",
                            agency_person_id="A1", postcode=None, household=(), occurred="2024-03-01")
    # Nothing in common but the NHS number (or the agency's own person id): born decades apart, the other sex.
    far = replace(probe, record_id="R2", dob="2012-06-24", sex="M", nhs=None, agency_person_id=None)
    model = LinkageModel()
    floor = min(model.review_weight, model.link_weight)
    screen = linker.worth_scoring(probe, ProbeScorer(model, probe), floor)
    assert not screen(head_of(far))
    assert screen(head_of(replace(far, nhs="9434765919")))
    assert screen(head_of(replace(far, agency_person_id="A1")))
    assert not screen(head_of(replace(far, agency="police", agency_person_id="A1")))


class _ReversedScreeningStore(ScreeningStore):
    """Screens, and returns the people it keeps in the opposite order (as another query plan may)."""

    def candidate_mentions(self, keys, screen=None):
        return dict(reversed(list(super().candidate_mentions(keys, screen).items())))


@settings(max_examples=150, deadline=None)
@given(st.lists(mentions(), min_size=2, max_size=25), st.sampled_from([LinkageModel(), TRAINED]))
def test_linking_record_after_record_with_the_screen_decides_exactly_as_without(incoming, model):
    # Every mention through the whole linker, one record each, against what the earlier ones made: the same
    # decisions (person, method, probability, explanation), reviews, merges and relinks, whatever order the kept
    # people come in.
    stores = (InMemoryStore(), ScreeningStore(), _ReversedScreeningStore())
    outcomes = []
    for store in stores:
        decided = []
        for i, m in enumerate(incoming):
            m = replace(m, record_id=f"R{i}", ref="p1")
            decided.append(linker.link_record(store, model, [m]))
        outcomes.append((decided, store.reviews, store.merges, store.relinks))
    assert outcomes[1] == outcomes[0]
    assert outcomes[2] == outcomes[0]
