"""Writing and verifying the audit trail.

``record_event`` must be called inside the transaction of the action it records, so
the action and its audit row commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from openmash.platform.bulk import insert_rows
from openmash.platform.domain.audit_chain import GENESIS, ChainProblem, ChainRow, chain_hash, verify_chain
from openmash.platform.models import AuditEvent, AuditHead


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a signed-in user, an agency's system, or the hub itself (``system:ingest``)."""

    name: str
    role: str = ""
    team: str = ""
    source_ip: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(name=f"system:{name}", role="system")


def record_event(
    *,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    break_glass: bool = False,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the trail, in the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the action it audits")
    _flush_collected()  # rows collected before this one go first: the trail keeps the order of the actions
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS})
    event = AuditEvent(
        seq=head.seq + 1, at=timezone.now(), actor=actor.name[:150], role=actor.role[:64], team=actor.team[:128],
        action=action[:64], object_type=object_type[:64], object_id=object_id[:200], purpose=purpose[:200],
        source_ip=actor.source_ip[:64], break_glass=break_glass, details=details or {}, prev_hash=head.hash,
    )
    # Hash what the database will give back (JSON round-trip), so verification recomputes the same value.
    event.hash = chain_hash(head.hash, event.seq, event.chained_fields())
    event.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event


@dataclass(frozen=True, slots=True)
class Event:
    """One row for :func:`record_events` (the same fields as :func:`record_event`)."""

    actor: Actor
    action: str
    object_type: str = ""
    object_id: str = ""
    purpose: str = ""
    details: dict[str, Any] | None = None


def record_events(events: Sequence[Event]) -> int:
    """Append many rows in one go (bulk ingest), in the caller's transaction; the same chain as ``record_event``.

    Inside :func:`collected`, the rows are only kept in order and written when it ends (or before the next
    ``record_event``), so a use case that audits several steps locks the trail's head once."""
    if not events:
        return 0
    if not connection.in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the actions it audits")
    batch = _COLLECTED.get()
    if batch is not None and batch.depth == len(connection.savepoint_ids):
        batch.events.extend(events)
        return len(events)
    # Not collecting, or inside a savepoint that could roll back on its own: write now, after what was kept.
    _flush_collected()
    return _write(events)


@dataclass(slots=True)
class _Collected:
    events: list[Event]
    #: The savepoint depth the batch was opened at: only events at that depth share its fate.
    depth: int


_COLLECTED: ContextVar[_Collected | None] = ContextVar("audit_collected", default=None)


@contextmanager
def collected() -> Iterator[None]:
    """Collect the rows ``record_events`` is given inside the block and write them in one go as it ends.

    Enter it inside the transaction (``with transaction.atomic(), collected():``): the rows are written before
    the transaction commits, and dropped with it when the block raises. Nested blocks join the outer one."""
    if _COLLECTED.get() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("audit rows are collected inside the transaction of the actions they audit")
    batch = _Collected([], len(connection.savepoint_ids))
    token = _COLLECTED.set(batch)
    try:
        yield
    finally:
        _COLLECTED.reset(token)
    _write(batch.events)


def _flush_collected() -> None:
    batch = _COLLECTED.get()
    # From inside a savepoint the kept rows stay kept: written there, they would go if only it rolled back.
    if batch is not None and batch.events and batch.depth == len(connection.savepoint_ids):
        events, batch.events = batch.events, []
        _write(events)


def _write(events: Sequence[Event]) -> int:
    if not events:
        return 0
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS})
    seq, prev, now = head.seq, head.hash, timezone.now()
    rows: list[AuditEvent] = []
    for spec in events:
        seq += 1
        actor = spec.actor
        row = AuditEvent(
            seq=seq, at=now, actor=actor.name[:150], role=actor.role[:64], team=actor.team[:128],
            action=spec.action[:64], object_type=spec.object_type[:64], object_id=spec.object_id[:200],
            purpose=spec.purpose[:200], source_ip=actor.source_ip[:64], break_glass=False,
            details=spec.details or {}, prev_hash=prev,
        )
        row.hash = prev = chain_hash(prev, seq, row.chained_fields())
        rows.append(row)
    names = [field.attname for field in AuditEvent._meta.concrete_fields]
    insert_rows(AuditEvent, [{name: getattr(row, name) for name in names} for row in rows])
    AuditHead.objects.filter(id=1).update(seq=seq, hash=prev)
    return len(rows)


def _rows() -> Iterator[ChainRow]:
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        yield ChainRow(event.seq, event.chained_fields(), event.prev_hash, event.hash)


def verify_trail() -> list[ChainProblem]:
    """Every break in the trail (empty when intact)."""
    with transaction.atomic():
        head = AuditHead.objects.filter(id=1).first()
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
        return verify_chain(_rows(), head_seq=head_seq, head_hash=head_hash)
