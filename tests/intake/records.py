"""Small valid records for intake tests, and feed files made of them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any


def record(record_id: str = "POL-1", version: int = 1, *, agency: str = "police", kind: str = "police_incident",
           recorded_at: str = "2024-12-02T02:30:00Z", occurred_at: str = "2024-12-02T01:00:00Z",
           people: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "schema": "openmash.record/1",
        "source": {"agency": agency},
        "record_id": record_id,
        "version": version,
        "kind": kind,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "people": people if people is not None else [
            {"ref": "p1", "role": "subject", "given_names": "Ann", "family_name": "Smith",
             "date_of_birth": "1990-01-01"},
        ],
    }
    obj.update(fields)
    return obj


def line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def write_feed(path: Path, lines: list[Any], *, compress: bool = False) -> Path:
    body = b"".join((item if isinstance(item, bytes) else line(item)) + b"\n" for item in lines)
    path.write_bytes(gzip.compress(body) if compress else body)
    return path
