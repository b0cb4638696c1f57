from hypothesis import given
from hypothesis import strategies as st

from openmash.identity.domain.names import (
    are_nickname_variants,
    fold,
    given_tokens,
    is_known_given_name,
    surname_forms,
    surname_stem,
)


def test_fold_removes_polish_and_romanian_diacritics_in_both_forms():
    assert fold("Łukasz") == "LUKASZ"
    assert fold("Zieliński") == "ZIELINSKI"
    assert fold("Ștefan") == fold("Ştefan") == "STEFAN"
    assert fold("Ionuț") == fold("Ionuţ") == "IONUT"
    assert fold("Austėja") == "AUSTEJA"


def test_fold_ignores_case_apostrophes_and_spaces():
    assert fold("O'Sullivan") == fold("OSULLIVAN") == fold("O Sullivan")


def test_nicknames_link_both_ways_in_english_and_polish():
    assert are_nickname_variants("BILL", "WILLIAM")
    assert are_nickname_variants("KASIA", "KATARZYNA")
    assert are_nickname_variants(fold("Olek"), fold("Aleksander"))
    assert are_nickname_variants(fold("Gosia"), fold("Małgorzata"))
    assert are_nickname_variants("DICK", "RICHARD")


def test_nickname_variants_are_not_transitive_through_a_shared_nickname():
    # Rob can be Robert or Robin, but Robert is not Robin (Splink issue #906).
    assert are_nickname_variants("ROB", "ROBERT") and are_nickname_variants("ROB", "ROBIN")
    assert not are_nickname_variants("ROBERT", "ROBIN")


def test_lithuanian_gender_and_marital_forms_share_a_stem():
    stems = {surname_stem(fold(n)) for n in ("Kazlauskas", "Kazlauskienė", "Kazlauskaitė")}
    assert len(stems) == 1
    assert surname_stem(fold("Rimkus")) == surname_stem(fold("Rimkutė"))
    assert surname_stem(fold("Jonaitis")) == surname_stem(fold("Jonaitytė"))


def test_polish_gender_forms_share_a_stem():
    assert surname_stem(fold("Zieliński")) == surname_stem(fold("Zielińska"))


def test_surname_forms_include_parts_and_other_names():
    forms = surname_forms("Smith-Jones", ("Anna Kowalska",))
    assert {"SMITHJONES", "SMITH", "JONES", "KOWALSKA"} <= set(forms)


def test_placeholder_given_names_carry_no_name():
    assert given_tokens("Baby") == ()
    assert given_tokens("Emma Rosie") == ("EMMA", "ROSIE")


def test_known_names_are_told_from_typos():
    assert is_known_given_name("JACK") and is_known_given_name("JAKE")
    assert not is_known_given_name("KALYEIGH")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzłśżźćńęąó", min_size=1, max_size=12), st.booleans())
def test_case_and_accents_never_change_the_folded_name(name, upper):
    plain = name.translate(str.maketrans("łśżźćńęąó", "lszzcneao"))
    assert fold(name.upper() if upper else name) == fold(plain)
