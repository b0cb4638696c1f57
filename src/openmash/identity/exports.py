"""The links export (contract §7): one row per person named in a stored, current, non-withdrawn record."""

from __future__ import annotations

import csv
from pathlib import Path

from openmash.identity.queries import links_rows

LINKS_HEADER = ("agency", "record_id", "person_ref", "person_id")


def write_links_csv(path: Path | str) -> int:
    """Write the links export as RFC 4180 CSV in UTF-8 without a byte order mark; returns the row count."""
    rows = 0
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(LINKS_HEADER)
        for row in links_rows():
            writer.writerow(row)
            rows += 1
    return rows
