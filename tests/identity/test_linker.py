from openmash.identity.domain.linker import InMemoryStore, link_record
from openmash.identity.domain.scoring import LinkageModel

from .mentions import HOME, features, person

MODEL = LinkageModel()


def _link(store, *people, **kwargs):
    return link_record(store, MODEL, features(*people, **kwargs))


def test_nickname_and_dropped_diacritics_link_to_one_person():
    store = InMemoryStore()
    first = _link(store, person(given_names="Małgorzata", family_name="Szymańska", date_of_birth="1978-06-07",
                                nhs_number="9990000026", address=HOME))
    later = _link(store, person("p1", "victim", given_names="Gosia", family_name="SZYMANSKA", date_of_birth="1978-06-07",
                                address=HOME), agency="police", kind="da_incident")
    assert list(first.values())[0].person == list(later.values())[0].person
    assert list(later.values())[0].method == "model"


def test_twins_named_apart_stay_two_people_even_at_one_address():
    store = InMemoryStore()
    twin = {"family_name": "Nash", "date_of_birth": "2017-11-06", "address": HOME, "sex": "male"}
    a = _link(store, person(given_names="Jack", **twin), agency="school", kind="school_enrolment")
    b = _link(store, person(given_names="Oliver", **twin), agency="school", kind="school_enrolment")
    both = _link(store, person("c1", "child_present", given_names="Jack", **twin),
                 person("c2", "child_present", given_names="Oliver", **twin), agency="police", kind="da_incident")
    ids = {d.person for d in both.values()}
    assert len(ids) == 2
    assert {list(a.values())[0].person, list(b.values())[0].person} == ids


def test_a_mention_that_bridges_two_people_merges_them_under_the_older_id():
    store = InMemoryStore()
    old = _link(store, person(given_names="Sian", family_name="Nash", date_of_birth="1992-11-25", agency_person_id="PN7"),
                agency="police", kind="police_incident")
    new = _link(store, person(given_names="Sian", family_name="Lawrence", date_of_birth="1992-11-25", nhs_number="9990000026"))
    assert list(old.values())[0].person != list(new.values())[0].person
    _link(store, person(given_names="Sian", family_name="Nash", other_names=["Lawrence"], date_of_birth="1992-11-25",
                        nhs_number="9990000026", agency_person_id="PN7"), agency="police", kind="police_incident")
    assert len(store.merges) == 1
    keep, absorbed, _ = store.merges[0]
    assert keep == list(old.values())[0].person and absorbed == list(new.values())[0].person


def test_a_sibling_with_the_same_name_and_another_birthday_is_another_person():
    store = InMemoryStore()
    home = {"family_name": "Zawadzka", "address": HOME}
    a = _link(store, person(given_names="Alicja", date_of_birth="2012-02-28", **home))
    b = _link(store, person(given_names="Alicja", date_of_birth="2008-05-07", **home))
    assert list(a.values())[0].person != list(b.values())[0].person


def test_an_uncertain_match_goes_to_review_and_does_not_link():
    store = InMemoryStore()
    _link(store, person(given_names="Emily", family_name="Bradshaw", date_of_birth="1979-03-01"))
    decision = list(_link(store, person(given_names="Emily", family_name="Bradshaw", estimated_age=45)).values())[0]
    assert decision.method in ("review", "new")
    if decision.method == "review":
        assert store.reviews and store.reviews[0][1] == decision.person


def test_a_corrected_version_that_fits_another_person_moves_there():
    store = InMemoryStore()
    anna = {"given_names": "Anna", "family_name": "Kowalska", "date_of_birth": "1990-02-03", "nhs_number": "9990000034"}
    gosia = {"given_names": "Małgorzata", "family_name": "Szymańska", "date_of_birth": "1978-06-07", "nhs_number": "9990000026"}
    first = list(_link(store, person(**gosia, address=HOME)).values())[0].person
    second = list(_link(store, person(**anna)).values())[0].person
    police = _link(store, person(given_names="Gosia", family_name="Szymańska", date_of_birth="1978-06-07", address=HOME),
                   agency="police", record_id="POL-9", kind="police_incident")
    assert list(police.values())[0].person == first
    corrected = _link(store, person(given_names="Anna", family_name="Kowalska", date_of_birth="1990-02-03"),
                      agency="police", record_id="POL-9", kind="police_incident", version=2)
    assert list(corrected.values())[0].person == second
    assert store.relinks == [(("police", "POL-9", "p1"), first, second)]
    assert not any(key.startswith("SD:KOWALSKA") for key in store.keys_of[first])


class _ReversedStore(InMemoryStore):
    """Returns candidates in the opposite order (as a database may, with another query plan)."""

    def candidate_mentions(self, keys, screen=None):
        return dict(reversed(list(super().candidate_mentions(keys, screen).items())))


def test_between_two_people_of_exactly_the_same_evidence_the_older_is_chosen_whatever_order_they_come_in():
    chosen = []
    for store in (InMemoryStore(), _ReversedStore()):
        same = {"given_names": "Dawid", "family_name": "Nowak", "date_of_birth": "1988-04-09", "address": HOME}
        # One agency, two of its own person ids: two people whom no merge may join.
        first = _link(store, person(agency_person_id="GP1", **same))
        second = _link(store, person(agency_person_id="GP2", **same))
        older = list(first.values())[0].person
        assert older != list(second.values())[0].person
        decision = list(_link(store, person("p1", "victim", **same), agency="police", kind="da_incident").values())[0]
        chosen.append(decision.person)
        assert decision.person == older
    assert len(set(chosen)) == 1
