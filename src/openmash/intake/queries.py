"""Reads of intake data for operators (quarantine review)."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import QuerySet

from openmash.intake.models import Quarantine


def quarantined_lines(*, include_resolved: bool = False, agency: str | None = None) -> QuerySet[Quarantine]:
    rows = Quarantine.objects.order_by("received_at", "source_file", "line")
    if not include_resolved:
        rows = rows.filter(resolved_at=None)
    if agency:
        rows = rows.filter(agency=agency)
    return rows


def quarantine_as_json(row: Quarantine) -> dict[str, Any]:
    """One quarantined line for export: the raw bytes exactly (base64) and as readable text."""
    raw = bytes(row.raw)
    return {
        "id": row.pk,
        "file": row.source_file,
        "line": row.line,
        "agency": row.agency,
        "record_id": row.record_id,
        "kind": row.kind,
        "problems": row.problems,
        "received_at": row.received_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "resolution": row.resolution or None,
        "raw_text": raw.decode("utf-8", errors="replace"),
        "raw_base64": base64.b64encode(raw).decode("ascii"),
    }
