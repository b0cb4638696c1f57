"""The "Identity" section of docs/benchmarks.md: each identity benchmark rewrites its own subsection."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
ORDER = ("Real time", "Batch rebuild", "FEBRL")
INTRO = """## Identity

Person linking (`openmash.identity`): real-time matching against a million stored people, batch rebuild,
and FEBRL accuracy, each against Splink 5 (DuckDB) measured in the same run. Reference figures for Splink
on this machine: `../shared/linkage-anchor.md`.
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    import sqlite3

    import duckdb
    import splink

    return (f"{os.cpu_count()} vCPU ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {pg}, splink {splink.__version__}, "
            f"duckdb {duckdb.__version__}")


def revision() -> str:
    """The commit the benchmark ran (``+`` when the identity code had uncommitted changes)."""
    root = DOCS.parents[1]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                          check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "src/openmash/identity", "bench"], cwd=root,
                           capture_output=True, text=True, check=False).stdout.strip()
    return head + ("+" if dirty else "")


def write_section(title: str, text: str) -> None:
    """Replace (or add) the subsection ``### {title}...`` inside ``## Identity``, leaving other sections alone."""
    doc = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    section = re.search(r"^## Identity\n.*?(?=^## |\Z)", doc, re.S | re.M)
    body = section.group(0) if section else INTRO
    subsections: dict[str, str] = {}
    for match in re.finditer(r"^### (.*?)\n(.*?)(?=^### |\Z)", body, re.S | re.M):
        heading = match.group(1)
        key = next((t for t in ORDER if heading.startswith(t)), heading)
        subsections[key] = match.group(0).rstrip("\n") + "\n"
    subsections[title] = text.rstrip("\n") + "\n"
    ordered = [subsections[t] for t in ORDER if t in subsections] + [v for k, v in subsections.items() if k not in ORDER]
    new_body = INTRO + "\n" + "\n".join(ordered)
    if section:
        doc = doc[: section.start()] + new_body + "\n" + doc[section.end():].lstrip("\n")
    else:
        doc = doc.rstrip("\n") + "\n\n" + new_body
    DOCS.write_text(doc, encoding="utf-8")
