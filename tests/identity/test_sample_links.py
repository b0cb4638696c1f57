"""The public sample through the CLI path: ingest history then live, export links, score with the evaluator."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict

import pytest
from django.core.management import call_command

from openmash.identity import services
from tests.conftest import SAMPLES, SHARED

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def children_merged(truth_file, links_file, feeds, on: dt.date) -> int:
    """Clusters holding two or more different real children (by any date of birth their mentions carry)."""
    truth = {tuple(r[:3]): r[3] for r in list(csv.reader(truth_file.open()))[1:]}
    born: dict[str, set[str]] = defaultdict(set)
    for feed in feeds:
        for line in feed.open(encoding="utf-8"):
            obj = json.loads(line)
            for p in obj["people"]:
                if p.get("date_of_birth"):
                    born[truth[(obj["source"]["agency"], obj["record_id"], p["ref"])]].add(p["date_of_birth"])
    child = {t for t, dobs in born.items() if max(dt.date.fromisoformat(d) for d in dobs) > on.replace(year=on.year - 18)}
    clusters: dict[str, set[str]] = defaultdict(set)
    for row in list(csv.reader(links_file.open()))[1:]:
        if tuple(row[:3]) in truth:
            clusters[row[3]].add(truth[tuple(row[:3])])
    return sum(1 for people in clusters.values() if len(people & child) >= 2)


def test_public_sample_links_meet_the_bar_with_no_children_merged(tmp_path, settings):
    if not (SAMPLES / "history.jsonl").exists():
        pytest.skip("the public sample is not beside this checkout")
    settings.OPENMASH_PIPELINE_STAGES = ["openmash.identity.services.link_record_version"]
    services.forget_cached_model()
    call_command("ingest", "--backfill", str(SAMPLES / "history.jsonl"), verbosity=0)
    call_command("ingest", str(SAMPLES / "live.jsonl"), verbosity=0)
    links = tmp_path / "links.csv"
    call_command("export", "links", "--output", str(links))
    result = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "eval_links.py"), str(SAMPLES / "truth_links.csv"), str(links),
         "--min-precision", "0.995", "--min-recall", "0.98"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout
    merged = children_merged(SAMPLES / "truth_links.csv", links, [SAMPLES / "history.jsonl", SAMPLES / "live.jsonl"],
                             dt.date(2025, 5, 11))
    assert merged == 0
