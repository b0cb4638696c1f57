"""The audit trail's hash chain, as pure functions.

Each row's hash covers its own fields, its sequence number and the previous row's
hash, so editing, deleting, inserting or reordering any row breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, seq: int, fields: Mapping[str, Any]) -> str:
    payload = f"{prev_hash}|{seq}|{canonical(fields)}".encode()
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    seq: int
    fields: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    problem: str


def verify_chain(rows: Iterable[ChainRow], *, head_seq: int, head_hash: str) -> list[ChainProblem]:
    """Every break in the chain, in order; an empty list means the trail is intact.

    ``head_seq``/``head_hash`` are kept apart from the rows, so removing the last rows is caught too.
    """
    problems: list[ChainProblem] = []
    expected_seq, prev = 1, GENESIS
    for row in rows:
        if row.seq != expected_seq:
            problems.append(ChainProblem(row.seq, f"row {row.seq} found where row {expected_seq} was expected "
                                                  "(a row was deleted, inserted or reordered)"))
        if row.prev_hash != prev:
            problems.append(ChainProblem(row.seq, f"row {row.seq} does not follow the row before it"))
        if chain_hash(row.prev_hash, row.seq, row.fields) != row.hash:
            problems.append(ChainProblem(row.seq, f"row {row.seq} was changed after it was written"))
        expected_seq, prev = row.seq + 1, row.hash
    if expected_seq - 1 != head_seq or prev != head_hash:
        problems.append(ChainProblem(expected_seq - 1, f"the trail ends at row {expected_seq - 1} but row {head_seq} "
                                                       "was the last written (rows were removed from the end)"))
    return problems
