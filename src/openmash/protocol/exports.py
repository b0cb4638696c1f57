"""The contract's notifications and alerts exports (``interchange-v1.md`` §7).

JSON Lines sorted by ``created_at`` then id; times RFC 3339 with the Europe/London
offset; every person's ``person_id`` as it stands at export time (the same id as a
links export written at that moment).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openmash.identity.queries import merged_targets
from openmash.protocol.domain.content import iso
from openmash.protocol.models import Alert, Notification
from openmash.protocol.queries import current_person_ids

PERSON_ID_KEYS = frozenset({"person_id", "mother_person_id"})


def _remap(value: Any, current: Callable[[str], str]) -> Any:
    """Person ids inside content as they stand now (a merge since keeps the older id)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in PERSON_ID_KEYS and isinstance(v, str):
                out[k] = current(v)
            elif k == "person_ids" and isinstance(v, list):
                out[k] = sorted({current(p) for p in v if isinstance(p, str)})
            else:
                out[k] = _remap(v, current)
        return out
    if isinstance(value, list):
        return [_remap(v, current) for v in value]
    return value


def notification_rows() -> Iterator[dict[str, Any]]:
    notifications = list(Notification.objects.order_by("created_at", "notification_id"))
    merged = merged_targets()
    keys = {tuple(s["resolve_from"]) for n in notifications for s in n.subjects if s.get("resolve_from")}
    now_ids = current_person_ids(keys)
    for n in notifications:
        yield _row(n, merged, now_ids)


def notification_payload(n: Notification) -> dict[str, Any]:
    """One notification as the export shows it (what a webhook receives)."""
    keys = {tuple(s["resolve_from"]) for s in n.subjects if s.get("resolve_from")}
    return _row(n, merged_targets(), current_person_ids(keys))


def _row(n: Notification, merged: dict[str, str], now_ids: dict[Any, str]) -> dict[str, Any]:
    def current(pid: str) -> str:
        return merged.get(pid, pid)

    subjects = []
    for s in n.subjects:
        key = tuple(s.get("resolve_from") or ())
        pid = now_ids.get(key, current(s["person_id"]))
        subjects.append({"agency": s["agency"], "record_id": s["record_id"], "person_ref": s["person_ref"],
                         "person_id": current(pid)})
    row: dict[str, Any] = {
        "notification_id": n.notification_id,
        "created_at": iso(n.created_at),
        "due_by": iso(n.due_by),
        "priority": n.priority,
        "recipient": {"agency": n.recipient_agency, "team": n.recipient_team},
        "reasons": list(n.reasons),
        "source": {"agency": n.source_agency, "record_id": n.source_record_id},
        "source_version": n.source_version,
        "subjects": subjects,
        "content_level": n.content_level,
        "content": _remap(n.content, current) if merged else n.content,
        "amended_at": iso(n.amended_at),
        "withdrawn_at": iso(n.withdrawn_at),
    }
    if n.read_before_school_today is not None:
        row["read_before_school_today"] = n.read_before_school_today
    return row


def alert_rows() -> Iterator[dict[str, Any]]:
    merged = merged_targets()
    alerts = list(Alert.objects.order_by("created_at", "alert_id"))
    now_ids = current_person_ids(tuple(a.resolve_from) for a in alerts if a.resolve_from)
    for a in alerts:
        pid = now_ids.get(tuple(a.resolve_from), a.person_id_then) if a.resolve_from else a.person_id_then
        yield {
            "alert_id": a.alert_id,
            "created_at": iso(a.created_at),
            "kind": a.kind,
            "person_id": merged.get(pid, pid),
            "recipient": {"agency": a.recipient_agency, "team": a.recipient_team},
            "evidence": list(a.evidence),
            "note": a.note,
        }


def _write(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def write_notifications_jsonl(path: Path) -> int:
    return _write(Path(path), notification_rows())


def write_alerts_jsonl(path: Path) -> int:
    return _write(Path(path), alert_rows())
