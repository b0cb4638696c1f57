"""The blocking index's stored form: keyed hashes, and the guard against a changed secret."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmash.identity import blocking_index
from openmash.identity.blocking_index import (
    KIND_NAME,
    KIND_NARROW,
    KIND_STRONG,
    IndexSecretMismatchError,
    check_secret,
    key_hash,
    key_kind,
    load_secret,
    stored_key,
    stored_keys,
)
from openmash.identity.models import BlockingIndex


def test_a_key_is_stored_as_a_signed_64_bit_hash_that_depends_on_the_secret():
    one, other = b"1" * 32, b"2" * 32
    value = key_hash("SD:KOWALSKA|1990-02-03", one)
    assert -(2**63) <= value < 2**63
    assert value == key_hash("SD:KOWALSKA|1990-02-03", one)
    assert value != key_hash("SD:KOWALSKA|1990-02-03", other)
    assert value != key_hash("SD:KOWALSKA|1990-02-04", one)


@pytest.mark.django_db
@given(keys=st.lists(st.text(max_size=40), max_size=20))
def test_many_keys_hash_as_each_key_alone(keys):
    assert stored_keys(keys) == [stored_key(k) for k in keys] == [key_hash(k, check_secret()) for k in keys]


def test_the_secret_comes_from_the_setting_its_file_or_else_the_secret_key(tmp_path):
    path = tmp_path / "index-key"
    path.write_text("from a file\n")
    derived = load_secret({}, secret_key="s" * 50)
    assert derived == load_secret({}, secret_key="s" * 50) != load_secret({}, secret_key="t" * 50)
    assert load_secret({"OPENMASH_INDEX_KEY": "from a file"}, secret_key="s" * 50) == \
        load_secret({"OPENMASH_INDEX_KEY_FILE": str(path)}, secret_key="s" * 50) != derived


def test_keys_are_told_apart_by_kind_as_the_candidate_rule_needs():
    assert key_kind("N:9990000026") == key_kind("A:police:PN1") == KIND_STRONG
    assert key_kind("L:16|TOWNSCRESCENT") == key_kind("Q:JOH|SMI") == KIND_NARROW
    assert key_kind("SY:SMITH|1980") == KIND_NAME


@pytest.mark.django_db
def test_an_index_built_under_another_secret_is_refused(settings):
    blocking_index.forget_check()
    stored_key("X:ANN|NASH")  # the migration recorded the secret in force
    settings.OPENMASH_INDEX_KEY = b"another secret, another index"
    with pytest.raises(IndexSecretMismatchError):
        stored_key("X:ANN|NASH")
    BlockingIndex.objects.all().delete()  # an empty database takes the secret in force
    assert check_secret() == settings.OPENMASH_INDEX_KEY
    assert BlockingIndex.objects.get().fingerprint == blocking_index.fingerprint(settings.OPENMASH_INDEX_KEY)
    blocking_index.forget_check()
