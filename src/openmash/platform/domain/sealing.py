"""Which parts of a stored JSON document are encrypted at rest, and the envelope they are sealed in.

Sealed: the value of every key naming free text written about people (``narrative``, a child's words,
rationales), anywhere in the document, and the ``lines``, ``postcode`` and ``uprn`` of every address
marked ``confidential: true``. A sealed value is replaced by an envelope ``{"$enc": "<token>"}`` whose
token encrypts the value's JSON. Everything else (dates, kinds, refs, names, DASH answers) stays plain,
so indexes, JSON lookups and the content hash of the record as received keep working.

Unambiguous against hostile input: a document may arrive holding an envelope-shaped object of its own;
sealing seals that object too, so after sealing every envelope in storage is one this module made, and
opening turns each back into exactly what was received. The cipher is passed in: no keys here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ENVELOPE_KEY = "$enc"
#: Keys whose value is free text about people, wherever they appear (records, details, notification content).
FREE_TEXT_KEYS = frozenset({
    "narrative", "said", "behaviour", "demeanour", "officer_rationale", "stop_abuse_text", "decision_rationale",
})
#: The parts of a confidential address that locate it (the town alone does not).
ADDRESS_KEYS = frozenset({"lines", "postcode", "uprn"})

Encrypt = Callable[[bytes], str]
Decrypt = Callable[[str], bytes]


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(ENVELOPE_KEY), str)


def seal(value: Any, encrypt: Encrypt) -> Any:
    """A copy of ``value`` with its sensitive parts in envelopes (the input is never changed)."""
    if isinstance(value, list):
        return [seal(item, encrypt) for item in value]
    if not isinstance(value, dict):
        return value
    if is_envelope(value):
        return _envelope(value, encrypt)
    confidential = value.get("confidential") is True
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is not None and (key in FREE_TEXT_KEYS or (confidential and key in ADDRESS_KEYS)):
            out[key] = _envelope(item, encrypt)
        else:
            out[key] = seal(item, encrypt)
    return out


def unseal(value: Any, decrypt: Decrypt) -> Any:
    """``value`` with every envelope opened (what was sealed, exactly)."""
    if isinstance(value, list):
        return [unseal(item, decrypt) for item in value]
    if not isinstance(value, dict):
        return value
    if is_envelope(value):
        return json.loads(decrypt(value[ENVELOPE_KEY]))
    return {key: unseal(item, decrypt) for key, item in value.items()}


def envelopes(value: Any) -> list[str]:
    """Every envelope's token in ``value``."""
    if isinstance(value, list):
        return [token for item in value for token in envelopes(item)]
    if not isinstance(value, dict):
        return []
    if is_envelope(value):
        return [value[ENVELOPE_KEY]]
    return [token for item in value.values() for token in envelopes(item)]


def has_plain_secrets(value: Any) -> bool:
    """Whether sealing ``value`` would encrypt anything (a stored document written before encryption)."""
    if isinstance(value, list):
        return any(has_plain_secrets(item) for item in value)
    if not isinstance(value, dict) or is_envelope(value):
        return False
    confidential = value.get("confidential") is True
    return any(
        (key in FREE_TEXT_KEYS or (confidential and key in ADDRESS_KEYS))
        and item is not None and not is_envelope(item)
        or has_plain_secrets(item)
        for key, item in value.items()
    )


def _envelope(value: Any, encrypt: Encrypt) -> dict[str, str]:
    # ASCII JSON: any text, lone surrogates included, survives the round trip.
    return {ENVELOPE_KEY: encrypt(json.dumps(value, separators=(",", ":")).encode("ascii"))}
