"""The hash chain (pure) detects every edit, deletion, insertion, reordering and truncation."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.platform.domain.audit_chain import GENESIS, ChainRow, chain_hash, verify_chain


def build(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = {"actor": f"user{seq}", "action": "person.read", "object_id": str(seq)}
        h = chain_hash(prev, seq, fields)
        rows.append(ChainRow(seq, fields, prev, h))
        prev = h
    return rows


def test_an_intact_chain_has_no_problems():
    rows = build(20)
    assert verify_chain(rows, head_seq=20, head_hash=rows[-1].hash) == []


def tamper(rows: list[ChainRow], kind: str, rnd: random.Random) -> list[ChainRow]:
    rows = list(rows)
    i = rnd.randrange(len(rows))
    if kind == "edit":
        r = rows[i]
        rows[i] = ChainRow(r.seq, {**r.fields, "actor": r.fields["actor"] + "x"}, r.prev_hash, r.hash)
    elif kind == "delete":
        del rows[i]
    elif kind == "reorder":
        j = (i + 1 + rnd.randrange(len(rows) - 1)) % len(rows)
        rows[i], rows[j] = rows[j], rows[i]
    elif kind == "truncate":
        del rows[i:]
    elif kind == "rehash_edit":  # an attacker who recomputes this row's hash still breaks the next link
        r = rows[i]
        fields = {**r.fields, "purpose": "covered up"}
        rows[i] = ChainRow(r.seq, fields, r.prev_hash, chain_hash(r.prev_hash, r.seq, fields))
    return rows


@settings(max_examples=1000, deadline=None)
@given(kind=st.sampled_from(["edit", "delete", "reorder", "truncate", "rehash_edit"]), seed=st.integers(0, 10**6))
def test_every_random_tampering_is_detected(kind, seed):
    original = build(12)
    rows = tamper(original, kind, random.Random(seed))
    assert verify_chain(rows, head_seq=12, head_hash=original[-1].hash) != []
