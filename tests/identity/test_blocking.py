import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.nicknames import ENGLISH, POLISH

from .mentions import HOME, one

NICKNAMES = [(formal, nick) for table in (ENGLISH, POLISH) for formal, nicks in table.items() for nick in nicks]
SURNAMES = ["Zielińska", "Kazlauskienė", "O'Sullivan", "Smith", "Popescu", "Ştefănescu", "Wiśniewska"]


def _accent_off(text: str) -> str:
    return text.translate(str.maketrans("łŁśżźćńęąóėșşțţă", "lLszzcneaoessttа"))


@given(
    st.sampled_from(NICKNAMES),
    st.sampled_from(SURNAMES),
    st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2023, 12, 31)),
    st.sampled_from(["nickname", "accents", "upper", "swap", "year", "no_dob", "surname_typo"]),
)
def test_a_common_recording_error_keeps_a_shared_blocking_key(names, surname, dob, error):
    formal, nick = names
    original = {"given_names": formal, "family_name": surname, "date_of_birth": dob.isoformat(), "address": HOME}
    changed = dict(original)
    if error == "nickname":
        changed["given_names"] = nick
    elif error == "accents":
        changed["given_names"], changed["family_name"] = _accent_off(formal), _accent_off(surname)
    elif error == "upper":
        changed["family_name"] = surname.upper()
    elif error == "swap" and dob.day <= 12:
        changed["date_of_birth"] = dt.date(dob.year, dob.day, dob.month).isoformat()
    elif error == "year":
        changed["date_of_birth"] = dob.replace(year=dob.year + 1, day=min(dob.day, 28)).isoformat()
        original["date_of_birth"] = dob.replace(day=min(dob.day, 28)).isoformat()
    elif error == "no_dob":
        del changed["date_of_birth"]
        changed["estimated_age"] = 2024 - dob.year - 1
    elif error == "surname_typo":
        changed["family_name"] = surname[:-1] + ("x" if surname[-1] != "x" else "y")
    assert blocking_keys(one(**original)) & blocking_keys(one(**changed))


def test_maiden_name_in_other_names_is_a_blocking_surname():
    married = one(given_names="Anna", family_name="Nowak", other_names=["Kowalska"], date_of_birth="1990-02-03")
    maiden = one(given_names="Anna", family_name="Kowalska", date_of_birth="1990-02-03")
    assert "SD:KOWALSKA|1990-02-03" in blocking_keys(married) & blocking_keys(maiden)


def test_strong_identifiers_are_keys_only_when_trusted():
    keys = blocking_keys(one(agency="police", nhs_number="999 000 0019", agency_person_id="PN1"))
    assert "A:police:PN1" in keys
    assert not any(k.startswith("N:") for k in keys)  # fails modulus 11
    assert "N:9990000026" in blocking_keys(one(nhs_number="9990000026"))


def test_a_duplicate_with_names_date_and_town_all_changed_keeps_its_building_line_key():
    original = one(given_names="Charlotte", family_name="Coulason", date_of_birth="1953-01-28",
                   address={"lines": ["16 Towns Crescent"], "town": "Yagoona", "postcode": None})
    changed = one(given_names="Charlie", family_name="Mazurek",
                  address={"lines": ["16 Townscrescent"], "town": "Yagona", "postcode": None})
    assert blocking_keys(original) & blocking_keys(changed) == {"L:16|TOWNSCRESCENT"}


def test_names_the_other_way_round_with_a_slip_and_another_date_keep_their_name_prefix_key():
    original = one(given_names="Finn", family_name="Maczkowiack", date_of_birth="1980-10-08")
    changed = one(given_names="Maczokwiack", family_name="Finn", date_of_birth="1967-02-27")
    assert blocking_keys(original) & blocking_keys(changed) == {"Q:FIN|MAC"}
