"""§3-§4: nothing restricted by the content level or the confidential-address rule reaches a notification.

Markers are planted in generated records — a refuge address in every written form, DASH answers,
narrative, the names of other people — and every notification is searched for them the way the
routing evaluator does (case, accents, punctuation and postcode spacing ignored).
"""

from __future__ import annotations

import json
import re
import string
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmash.intake.domain.record import Address
from openmash.protocol.domain.redaction import Audience, redact

from .builders import County

BARRED = {"probation", "yos", "drug_alcohol", "adult_mental_health", "school"}
MINIMAL_FORBIDDEN_KEYS = {"dash", "answers", "narrative", "offences", "officer_rationale", "stop_abuse_text",
                          "people", "record", "history"}


def norm_text(s: str) -> str:
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return " " + re.sub(r"\s+", " ", re.sub(r"[^0-9a-z]+", " ", s.casefold())).strip() + " "


def leaks(content: object, words: list[str], postcode: str, uprn: str) -> list[str]:
    text = json.dumps(content, ensure_ascii=False)
    flat = re.sub(r"[^A-Z0-9]", "", text.upper())
    found = [w for w in words if norm_text(w) in norm_text(text)]
    if re.sub(r"[^A-Z0-9]", "", postcode.upper()) in flat:
        found.append(postcode)
    if uprn in text:
        found.append(uprn)
    return found


def keys_of(obj: object, acc: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            acc.add(k)
            keys_of(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            keys_of(v, acc)
    return acc


street_word = st.text(alphabet=string.ascii_lowercase, min_size=5, max_size=9).map(lambda s: "Zq" + s)
street_type = st.sampled_from([("Road", "Rd"), ("Street", "St"), ("Lane", "Ln"), ("Close", "Cl"), ("Avenue", "Ave"),
                               ("Gardens", "Gdns"), ("Rise", "Rise")])
postcode = st.builds(lambda a, d, b, e: f"{a}{d} {b}{e}",
                     st.sampled_from(["PE", "LN", "NG", "DN"]), st.integers(1, 39),
                     st.integers(1, 9), st.text(alphabet="ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2))
uprn = st.integers(10**10, 10**12 - 1).map(str)
spacing = st.sampled_from(["{}", "{}".upper(), "{}".lower()])


@st.composite
def refuges(draw: st.DrawFn) -> dict[str, object]:
    word, (full, short), number = draw(street_word), draw(street_type), draw(st.integers(1, 300))
    flat = draw(st.integers(1, 9))
    pc, u = draw(postcode), draw(uprn)
    line = draw(st.sampled_from([f"Flat {flat}, {number} {word} {full}", f"{flat}/{number} {word} {short}",
                                 f"{number} {word} {short}."]))
    written = draw(st.sampled_from([f"{number} {word} {full}", f"{number} {word.upper()} {short}.",
                                    f"{word} {full}", f"{number}, {word}"]))
    pc_written = draw(st.sampled_from([pc, pc.replace(" ", ""), pc.lower(), pc.replace(" ", "  ")]))
    return {"address": {"lines": [line], "town": "Spalding", "postcode": pc, "uprn": u, "confidential": True},
            "word": word, "number": number, "postcode": pc, "uprn": u,
            "narrative": f"Police attended {written}, postcode {pc_written} (UPRN {u}). Officers spoke to the victim."}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(refuges(), st.sampled_from(["incident", "people", "history_only"]), st.integers(0, 27))
def test_a_refuge_address_never_reaches_a_barred_recipient(refuge, flagged_on, yes):
    c = County()
    address = refuge["address"]
    plain = {**address, "confidential": False}
    on_people = address if flagged_on in ("incident", "people") else plain
    victim = c.person("v", "victim", dob="1995-01-01", address=on_people, telephone="07700 900123")
    perp = c.person("p", "perpetrator", dob="1990-01-01",
                    address={"lines": ["9 Lime Rise"], "town": "Grantham", "postcode": "NG31 7XZ"})
    kid = c.person("k", "child_present", dob="2016-01-01", address=on_people, school_urn="555555")
    c.backfill(c.record("probation_supervision", "2024-01-01", c.person("p", "subject"), agency="probation",
                        details={"offender_manager": {"team": "North PDU"}}),
               c.record("drug_alcohol_episode", "2024-01-01", c.person("p", "subject"), agency="drug_alcohol"))
    if flagged_on == "history_only":
        # Only another agency marked it (most do, not all): the police record omits the flag everywhere.
        c.backfill(c.record("gp_registration", "2024-12-01", c.person("v", "subject", address=address), agency="gp"))
    incident_address = address if flagged_on == "incident" else plain
    incident = c.incident("2025-02-01T10:00", victim, perp, kid, yes=yes, address=incident_address,
                          narrative=refuge["narrative"],
                          details={"children_seen": [{"ref": "p3", "seen": True, "said": f"we live on {refuge['word']}"}],
                                   "stop_abuse_text": f"He knows {refuge['number']} {refuge['word']}"})
    c.live(incident)
    barred = [n for n in c.notifications(incident) if n["recipient"]["agency"] in BARRED]
    assert {n["recipient"]["agency"] for n in barred} >= {"probation", "drug_alcohol", "school"}
    for n in barred:
        assert leaks(n["content"], [refuge["word"]], refuge["postcode"], refuge["uprn"]) == [], n["recipient"]
        assert "555555" not in json.dumps(n["content"]), "a school is a location hint (§4.4)"
        assert "07700" not in json.dumps(n["content"]), "no victim's telephone to a perpetrator-facing recipient"
    # The agencies that may see it still do.
    csc = c.notification(incident, "csc")
    assert csc["content"]["record"]["address"]["postcode"] == refuge["postcode"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 27), st.sampled_from(["standard", "medium", "high"]),
       st.text(alphabet=string.ascii_letters, min_size=6, max_size=10).map(lambda s: "Qx" + s))
def test_a_school_notification_carries_only_minimal_content(yes, officer, marker):
    c = County()
    victim = c.person("v", "victim", dob="1995-01-01")
    victim["family_name"] = marker + "fam"
    perp = c.person("p", "perpetrator", dob="1990-01-01")
    perp["given_names"] = marker + "perp"
    kid = c.person("k", "child_present", dob="2014-01-01", school_urn="666666")
    incident = c.incident("2025-02-03T10:00", victim, perp, kid, yes=yes, officer=officer,
                          address={"lines": [f"8 {marker} Terrace"], "town": "Grantham", "postcode": "NG32 7GA"},
                          narrative=f"Narrative {marker}narr", details={"offences": [f"{marker}offence"]})
    c.live(incident)
    school = c.notification(incident, "school", "URN:666666")
    content = school["content"]
    assert not keys_of(content, set()) & MINIMAL_FORBIDDEN_KEYS
    assert marker.casefold() not in json.dumps(content).casefold()
    assert set(content) <= {"incident_at", "police_reference", "police_contact", "children"}


@settings(max_examples=80, deadline=None)
@given(refuges(), st.booleans(), st.booleans())
def test_redaction_is_idempotent_and_monotone(refuge, facing, health):
    content = {
        "people": [{"person_id": "v", "role": "victim", "address": refuge["address"], "phone": "07700 900123"}],
        "incident_address": refuge["address"],
        "record": {"narrative": refuge["narrative"], "people": [{"ref": "p1", "role": "victim",
                                                                 "address": refuge["address"]}],
                   "details": {"children_seen": [{"ref": "p1", "said": "words"}]}},
        "children_seen": [{"ref": "p1", "said": "words"}],
    }
    address = Address.from_json(refuge["address"])
    assert address is not None
    audience = Audience(agency="probation", content_level="health" if health else "full", barred=True,
                        perpetrator_facing=facing, ref_person={"p1": "v"}, protected=frozenset({"v"}),
                        confidential=(address,))
    once, _ = redact(content, audience)
    twice, _ = redact(once, audience)
    assert once == twice
    assert leaks(once, [refuge["word"]], refuge["postcode"], refuge["uprn"]) == []


def test_an_address_in_the_same_building_as_a_confidential_one_is_withheld_even_unflagged():
    c = County()
    refuge = {"lines": ["Flat 4, 4 Saxifrage Road"], "town": "Spalding", "postcode": "PE12 8JG", "confidential": True}
    other_flat = {"lines": ["Flat 2, 4 Saxifrage Rd"], "town": "Spalding", "postcode": "PE128JG"}
    c.backfill(c.record("gp_registration", "2024-01-01", c.person("x", "subject", address=refuge), agency="gp"))
    c.backfill(c.record("probation_supervision", "2024-01-01", c.person("p", "subject"), agency="probation"))
    incident = c.incident("2025-02-01T10:00", c.person("v", "victim", address=other_flat), c.person("p", "perpetrator"),
                          narrative="Attended 4 Saxifrage Road.")
    c.live(incident)
    content = json.dumps(c.notification(incident, "probation")["content"])
    assert "Saxifrage" not in content and "8JG" not in content


def test_late_confidentiality_redacts_earlier_content_and_tells_the_front_door_manager():
    c = County()
    home = {"lines": ["12 Oak Grove"], "town": "Boston", "postcode": "PE21 9ZZ"}
    c.backfill(c.record("probation_supervision", "2024-01-01", c.person("p", "subject"), agency="probation"))
    incident = c.incident("2025-02-01T10:00", c.person("v", "victim", address=home), c.person("p", "perpetrator"),
                          narrative="Attended 12 Oak Grove.")
    c.live(incident)
    assert "Oak" in json.dumps(c.notification(incident, "probation")["content"])
    flagged = c.record("gp_registration", "2025-02-05", c.person("v", "subject", address={**home, "confidential": True}),
                       agency="gp")
    c.live(flagged)
    assert "Oak" not in json.dumps(c.notification(incident, "probation")["content"])
    door = c.notification(flagged, "csc", "manager:front_door")
    assert door["reasons"] == ["CONFIDENTIAL_ADDRESS_DISCLOSED"] and door["priority"] == "immediate"
    assert [d["recipient"]["agency"] for d in door["content"]["disclosures"]] == ["probation"]
