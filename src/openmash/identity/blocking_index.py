"""The blocking index as stored: every key of ``domain.blocking`` as a keyed 64-bit hash.

A blocking key spells out a person's name, date of birth and address ("SD:KOWALSKA|1990-02-03"); kept in
clear, the index would disclose them to anyone who can read the table. Keys are only ever matched by equality,
so the index stores ``stored_key(key)``: BLAKE2b keyed with the deployment's index secret, 8 bytes, as a
signed 64-bit integer. Nothing is lost for matching (two of the ~15 million distinct keys of a million people
share a hash with odds of about 1 in 100,000, and then only add candidates to score), and the index is about
half the size of the text keys, one B-tree leaf page holding a whole block.

The secret is ``OPENMASH_INDEX_KEY`` (or ``_FILE``), else derived from ``SECRET_KEY``. The database keeps a
fingerprint of the secret it was built with (``BlockingIndex``): a process with another secret would find no
candidates and create duplicate people, so it refuses to link instead (``check_secret``); ``openmash link
rekey`` rebuilds the index under the secret in force.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable, Mapping

from openmash.identity.domain.linker import is_narrow_only_key, is_strong_key

VARIABLE = "OPENMASH_INDEX_KEY"
#: ``kind`` of a key, as the candidate SQL reads it: strong (never capped), narrow-only, or the rest.
KIND_NAME, KIND_STRONG, KIND_NARROW = 0, 1, 2

_checked: bytes | None = None
_SIGNED_64 = struct.Struct(">q")


def load_secret(environ: Mapping[str, str], *, secret_key: str) -> bytes:
    """The index secret: ``OPENMASH_INDEX_KEY`` (or the file ``OPENMASH_INDEX_KEY_FILE`` names), else one derived
    from Django's ``SECRET_KEY`` (read by settings, before Django is set up)."""
    text = environ.get(VARIABLE, "")
    path = environ.get(f"{VARIABLE}_FILE", "")
    if not text and path:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    if text:
        return hashlib.sha256(text.encode("utf-8")).digest()
    return hmac.new(secret_key.encode("utf-8"), b"openmash.identity.blocking-index", hashlib.sha256).digest()


def fingerprint(secret: bytes) -> str:
    """What the database keeps of the secret: enough to tell two apart, nothing to recover it from."""
    return hashlib.blake2b(b"fingerprint", key=secret, digest_size=8).hexdigest()


def _secret() -> bytes:
    from django.conf import settings

    return bytes(settings.OPENMASH_INDEX_KEY)


def key_hash(key: str, secret: bytes) -> int:
    """``key`` under ``secret``: a signed 64-bit integer (PostgreSQL ``bigint``, SQLite ``INTEGER``)."""
    return key_hashes([key], secret)[0]


def key_hashes(keys: Iterable[str], secret: bytes) -> list[int]:
    """``key_hash`` of each key: one keyed state copied per key (a third less work than keying each anew)."""
    base = hashlib.blake2b(key=secret, digest_size=8)
    unpack = _SIGNED_64.unpack
    out: list[int] = []
    for key in keys:
        state = base.copy()
        state.update(key.encode("utf-8"))
        out.append(unpack(state.digest())[0])
    return out


def stored_key(key: str) -> int:
    return key_hash(key, check_secret())


def stored_keys(keys: Iterable[str]) -> list[int]:
    return key_hashes(keys, check_secret())


def key_kind(key: str) -> int:
    if is_strong_key(key):
        return KIND_STRONG
    return KIND_NARROW if is_narrow_only_key(key) else KIND_NAME


class IndexSecretMismatchError(RuntimeError):
    pass


def check_secret() -> bytes:
    """The secret in force, once it is known to be the one the index was built under (checked once per process,
    and again if the secret changes); refuses an index built under another."""
    global _checked
    secret = _secret()
    if _checked == secret:
        return secret
    from openmash.identity.models import BlockingIndex

    stored = BlockingIndex.objects.filter(pk=1).values_list("fingerprint", flat=True).first()
    if stored is None:
        BlockingIndex.objects.get_or_create(pk=1, defaults={"fingerprint": fingerprint(secret)})
    elif stored != fingerprint(secret):
        raise IndexSecretMismatchError(
            f"the blocking index was built under another index secret ({VARIABLE}, else SECRET_KEY): linking would "
            "find no candidates. Restore the secret it was built with, or run `openmash link rekey`.")
    _checked = secret
    return secret


def forget_check() -> None:
    global _checked
    _checked = None
