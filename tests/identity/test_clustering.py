from openmash.identity.domain.clustering import merge_conflict

from .mentions import HOME, features, one, person

TWIN = {"family_name": "Nash", "date_of_birth": "2017-11-06", "address": HOME}


def test_twins_are_never_one_person():
    conflict = merge_conflict([one(given_names="Jack", **TWIN)], [one(given_names="Jake", **TWIN)])
    assert conflict is not None and conflict.reason == "twins"


def test_a_typo_in_a_given_name_is_not_a_twin():
    assert merge_conflict([one(given_names="Kayleigh", **TWIN)], [one(given_names="Kalyeigh", **TWIN)]) is None


def test_a_nickname_is_not_a_twin():
    assert merge_conflict([one(given_names="William", **TWIN)], [one(given_names="Bill", **TWIN)]) is None


def test_a_person_whose_names_include_the_newcomers_is_not_a_twin():
    person_mentions = [one(given_names="Bartłomiej", **TWIN), one(given_names="Bartek", **TWIN)]
    assert merge_conflict([one(given_names="Baytłomiej", **TWIN)], person_mentions) is None


def test_different_valid_nhs_numbers_never_merge():
    conflict = merge_conflict([one(given_names="Ann", nhs_number="9990000026")], [one(given_names="Ann", nhs_number="9990000034")])
    assert conflict is not None and conflict.reason == "different_nhs_number"


def test_two_ids_from_one_agency_never_merge_without_a_shared_nhs_number():
    a = one(agency="school", given_names="Erin", agency_person_id="1")
    b = one(agency="school", given_names="Erin", agency_person_id="2")
    assert merge_conflict([a], [b]).reason == "different_agency_person_id"
    a2 = one(agency="school", given_names="Erin", agency_person_id="1", nhs_number="9990000026")
    b2 = one(agency="school", given_names="Erin", agency_person_id="2", nhs_number="9990000026")
    assert merge_conflict([a2], [b2]) is None


def test_the_same_id_in_two_agencies_is_no_conflict():
    assert merge_conflict([one(agency="school", given_names="A", agency_person_id="7")],
                          [one(agency="housing", given_names="A", agency_person_id="8")]) is None


def test_people_named_in_one_record_stay_apart_unless_they_share_an_nhs_number():
    mother, child = features(person("p1", "parent", given_names="Ann", family_name="Lee"),
                             person("p2", "subject", given_names="Ann", family_name="Lee"))
    assert merge_conflict([mother], [child]).reason == "named_in_same_record"
    a, b = features(person("p1", "victim", given_names="Ann", nhs_number="9990000026"),
                    person("p2", "other_adult", given_names="Ann", nhs_number="9990000026"))
    assert merge_conflict([a], [b]) is None
