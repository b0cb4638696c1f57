"""What a feed leaves in the database, comparable across runs (for idempotence and crash-safety tests).

Compared: every record (kind, withdrawn) with its current version (number, content, warnings) and the
active people in it, and the quarantined lines. Not compared: ids, seq, times of receipt, and history
that the contract makes depend on arrival order (a stale version "changes nothing", so superseded
versions and people only they named exist only when they arrived first).

Run as a script (``python -m tests.intake.stored_state``) it prints the state of the configured database.
"""

from __future__ import annotations

import json
from typing import Any


def stored_state() -> dict[str, Any]:
    from openmash.intake.models import Mention, Quarantine, Record

    records = {}
    for record in Record.objects.select_related("current").order_by("agency", "record_id"):
        current = record.current
        records[f"{record.agency}/{record.record_id}"] = {
            "kind": record.kind, "withdrawn": record.withdrawn, "version": current.version,
            "hash": current.content_hash, "data": current.data, "warnings": current.warnings,
        }
    mentions = sorted(
        (m.record.agency, m.record.record_id, m.ref, m.role, json.dumps(m.data, sort_keys=True), m.version.version)
        for m in Mention.objects.filter(active=True).select_related("record", "version")
    )
    quarantine = sorted((q.source_file.rsplit("/", 1)[-1], q.line or 0, q.raw_sha256, tuple(q.problems))
                        for q in Quarantine.objects.all())
    return {"records": records, "mentions": [list(m) for m in mentions], "quarantine": [list(q) for q in quarantine]}


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    django.setup()
    print(json.dumps(stored_state(), sort_keys=True))
