"""Field-level encryption at rest: ciphertext in the database, plain through the app, keys rotated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from openmash.intake.domain.contract import content_hash
from openmash.intake.models import Mention, Quarantine, RecordVersion
from openmash.intake.services import ingest_files
from openmash.platform import encryption
from openmash.platform.domain import sealing
from openmash.platform.models import AuditEvent
from tests.intake.records import record, write_feed

NARRATIVE = "MARKER-NARRATIVE-7f3a she said he hit her"
SAID = "MARKER-SAID-91bc daddy shouted"
LINE = "MARKER-LINE-2d4e Refuge House"
POSTCODE = "ZZ9 9ZZ"
MARKERS = [NARRATIVE, SAID, LINE, POSTCODE, "MARKER-QUARANTINE-55aa"]


def incident() -> dict:
    refuge = {"lines": [LINE, "1 Hidden Road"], "town": "Leeds", "postcode": POSTCODE, "uprn": "100000000001",
              "confidential": True}
    return record("POL-ENC", kind="da_incident", narrative=NARRATIVE, address={**refuge},
                  details={"children_seen": [{"ref": "p2", "seen": True, "said": SAID}],
                           "officer_risk": "high", "offences": ["assault"]},
                  people=[{"ref": "p1", "role": "victim", "given_names": "Ann", "family_name": "Smith",
                           "date_of_birth": "1990-01-01", "address": {**refuge}},
                          {"ref": "p2", "role": "child_present", "given_names": "Bo", "family_name": "Smith",
                           "date_of_birth": "2018-01-01"}])


@pytest.fixture
def stored(db, tmp_path):
    bad = b'{"record_id": "Q", "narrative": "MARKER-QUARANTINE-55aa"'
    ingest_files([write_feed(tmp_path / "feed.jsonl", [incident(), bad])], backfill=True)
    return RecordVersion.objects.get()


#: Where records, people and quarantined lines are stored. (Copies elsewhere: docs/encryption.md, "Not yet".)
INTAKE_TABLES = ["intake_record", "intake_recordversion", "intake_mention", "intake_quarantine"]


def raw_database_text(tables: list[str]) -> str:
    """Every value of these tables, as SQL reads it (no model fields involved)."""
    out = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                out.extend(bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v) for v in row)
    return "\n".join(out)


@pytest.fixture
def new_key(settings):
    """Puts a new key first, as an operator rotating would; returns the old keys."""
    old = list(settings.OPENMASH_FIELD_KEYS)
    settings.OPENMASH_FIELD_KEYS = [Fernet.generate_key().decode(), *old]
    return old


def test_narrative_childs_words_and_confidential_addresses_are_ciphertext_in_the_database(stored):
    text = raw_database_text(INTAKE_TABLES)
    assert [m for m in MARKERS if m in text] == []
    assert "Leeds" in text and "da_incident" in text  # what is not sensitive stays plain and queryable


def test_the_app_reads_every_encrypted_value_back_exactly(stored):
    version = RecordVersion.objects.get()
    assert json.loads(version.raw) == incident()
    assert version.data["narrative"] == NARRATIVE
    assert version.data["details"]["children_seen"][0]["said"] == SAID
    assert version.as_domain().address.lines == (LINE, "1 Hidden Road")
    assert Mention.objects.get(ref="p1").as_domain().address.postcode == POSTCODE
    assert RecordVersion.objects.values_list("data__address__postcode", flat=True).get() == POSTCODE
    assert b"MARKER-QUARANTINE-55aa" in Quarantine.objects.get().raw


def test_the_content_hash_is_of_the_record_as_received(stored):
    assert stored.content_hash == content_hash(incident())


def test_rotation_re_encrypts_everything_so_the_old_key_can_be_removed(stored, settings, new_key):
    out = StringIO()
    call_command("keys", "rotate", "--batch", "1", stdout=out)
    assert "intake_recordversion.raw: 1 re-encrypted" in out.getvalue()
    settings.OPENMASH_FIELD_KEYS = settings.OPENMASH_FIELD_KEYS[:1]  # the old key removed
    assert RecordVersion.objects.get().data["narrative"] == NARRATIVE
    assert b"MARKER-QUARANTINE-55aa" in Quarantine.objects.get().raw
    event = AuditEvent.objects.filter(action="keys.rotated").get()
    assert not any(m in json.dumps(event.details) for m in MARKERS)


def test_rotation_is_idempotent(stored, new_key):
    call_command("keys", "rotate", stdout=StringIO())
    again = StringIO()
    call_command("keys", "rotate", stdout=again)
    assert "intake_recordversion.data: 0 re-encrypted" in again.getvalue()
    assert "intake_mention.data: 0 re-encrypted" in again.getvalue()


def test_a_missing_key_gives_an_error_naming_the_setting(stored, settings):
    settings.OPENMASH_FIELD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(encryption.FieldKeyError, match="OPENMASH_FIELD_KEYS"):
        RecordVersion.objects.get()
    with pytest.raises(CommandError, match="missing or wrong"):
        call_command("keys", "rotate", stdout=StringIO())


def test_generate_prints_a_usable_key():
    out = StringIO()
    call_command("keys", "generate", stdout=out)
    Fernet(out.getvalue().strip())


def test_production_refuses_to_start_without_field_keys(tmp_path):
    env = {**os.environ, "OPENMASH_PRODUCTION": "1", "OPENMASH_VAR_DIR": str(tmp_path),
           "OPENMASH_SECRET_KEY": "k" * 20 + "Zq9!xY7@wV5#uT3$sR1%pO8^nM6&lK4*"}
    env.pop("OPENMASH_FIELD_KEYS", None)
    env.pop("OPENMASH_FIELD_KEYS_FILE", None)
    result = subprocess.run([sys.executable, "-m", "openmash.cli", "check"], env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode != 0
    assert "OPENMASH_FIELD_KEYS" in result.stderr


def test_a_malformed_key_is_refused_clearly():
    from django.core.exceptions import ImproperlyConfigured

    from openmash.platform.fieldkeys import parse_keys

    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        parse_keys(f"{Fernet.generate_key().decode()}, not-a-key")


# --- the sealing rules (pure) ------------------------------------------------------------------------------


def _cipher() -> tuple[sealing.Encrypt, sealing.Decrypt]:
    fernet = Fernet(Fernet.generate_key())
    return (lambda b: fernet.encrypt(b).decode()), fernet.decrypt


CIPHER = _cipher()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["narrative", "said", "lines", "postcode", "uprn", "confidential", "$enc",
                                       "town", "x"]) | st.text(max_size=5), children, max_size=5),
    max_leaves=20)


@hsettings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_round_trips_through_sealing(value):
    sealed = sealing.seal(value, CIPHER[0])
    assert sealing.unseal(sealed, CIPHER[1]) == value
    assert not sealing.has_plain_secrets(sealed)


@hsettings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_hidden_and_round_trips(text):
    doc = {"narrative": text, "address": {"lines": [text], "postcode": text, "confidential": True}}
    sealed = sealing.seal(doc, CIPHER[0])
    assert sealed["narrative"].keys() == {"$enc"} and sealed["address"]["postcode"].keys() == {"$enc"}
    assert sealing.unseal(sealed, CIPHER[1]) == doc


def test_an_envelope_shaped_object_received_is_kept_exactly():
    doc = {"details": {"note": {"$enc": "not ours"}}}
    assert sealing.unseal(sealing.seal(doc, CIPHER[0]), CIPHER[1]) == doc


def test_an_address_not_marked_confidential_stays_plain():
    doc = {"address": {"lines": ["1 High St"], "postcode": "LS1 1AA", "confidential": False}}
    assert sealing.seal(doc, CIPHER[0]) == doc


def test_values_stored_before_encryption_are_encrypted_by_the_migration_step(stored):
    plain = json.dumps(incident())
    with connection.cursor() as cursor:  # as a database from before encryption holds them
        cursor.execute("UPDATE intake_recordversion SET raw = %s, data = %s",
                       [plain, connection.ops.adapt_json_value(incident(), None)])
        cursor.execute("UPDATE intake_quarantine SET raw = %s", [b"MARKER-QUARANTINE-55aa"])
    columns = [encryption.Column("intake_recordversion", "raw", "text"),
               encryption.Column("intake_recordversion", "data", "json"),
               encryption.Column("intake_quarantine", "raw", "binary")]
    assert encryption.reseal_all(columns, plaintext=True) == {c.label: 1 for c in columns}
    assert [m for m in MARKERS if m in raw_database_text(INTAKE_TABLES)] == []
    version = RecordVersion.objects.get()
    assert json.loads(version.raw) == incident() and version.data["narrative"] == NARRATIVE
    assert Quarantine.objects.get().raw == b"MARKER-QUARANTINE-55aa"


@hsettings(max_examples=200, deadline=None)
@given(st.text(), st.binary())
def test_the_fields_round_trip_any_text_and_bytes(text, data):
    raw, quarantined = RecordVersion._meta.get_field("raw"), Quarantine._meta.get_field("raw")
    assert raw.from_db_value(raw.get_prep_value(text), None, connection) == text
    assert quarantined.from_db_value(quarantined.get_prep_value(data), None, connection) == data
    sealed = RecordVersion._meta.get_field("data")
    doc = {"narrative": text, "kind": "x"}
    assert sealed.from_db_value(json.dumps(sealed.get_prep_value(doc)), None, connection) == doc


#: The protocol's copies: notification content and audience, the confidential-address index, alert households.
PROTOCOL_TABLES = ["protocol_notification", "protocol_confidentialaddress", "protocol_alert"]


def test_the_protocols_copies_are_ciphertext_in_the_database_and_plain_to_the_app(db, tmp_path, settings):
    from openmash.protocol.models import ConfidentialAddress, Notification

    settings.OPENMASH_PIPELINE_STAGES = ["openmash.identity.services.link_record_version",
                                         "openmash.protocol.services.process_version"]
    ingest_files([write_feed(tmp_path / "live.jsonl", [incident()])], backfill=False)
    assert Notification.objects.exists() and ConfidentialAddress.objects.exists()
    assert [m for m in MARKERS if m in raw_database_text(PROTOCOL_TABLES)] == []
    read = json.dumps([list(Notification.objects.values_list("content", "audience")),
                       list(ConfidentialAddress.objects.values_list("address", flat=True))])
    assert LINE in read and POSTCODE in read
    assert NARRATIVE in read or SAID in read


def test_every_copy_of_narrative_or_free_text_about_a_person_is_an_encrypted_column():
    labels = {c.label for c in encryption.encrypted_columns()}
    assert {
        "intake_recordversion.raw", "intake_recordversion.data", "intake_mention.data", "intake_quarantine.raw",
        "protocol_notification.content", "protocol_notification.audience", "protocol_confidentialaddress.address",
        "protocol_alert.once_household", "casework_thresholddecision.rationale", "casework_challenge.reason",
        "casework_challenge.response", "casework_response.text",
    } <= labels
