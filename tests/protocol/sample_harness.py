"""Run the public sample through the in-memory engine with truth links as the identity oracle."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from openmash.protocol.domain.memory import MemoryStore, read_jsonl
from openmash.protocol.domain.policy import load_policy

SAMPLES = Path("/work/shared/samples")
EVAL = Path("/work/shared/tools/eval_routing.py")


def truth_oracle(path: Path) -> dict[tuple[str, str, str], str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {(r["agency"], r["record_id"], r["person_ref"]): r["true_person_id"] for r in csv.DictReader(handle)}


def run(out: Path, samples: Path = SAMPLES) -> MemoryStore:
    truth = truth_oracle(samples / "truth_links.csv")
    store = MemoryStore(load_policy(), lambda a, r, p: truth.get((a, r, p)))
    store.ingest(read_jsonl(samples / "history.jsonl"), live=False)
    store.ingest(read_jsonl(samples / "live.jsonl"), live=True)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "notifications.jsonl", "w", encoding="utf-8") as f:
        for n in store.export_notifications():
            f.write(json.dumps(n, ensure_ascii=False) + "\n")
    with open(out / "alerts.jsonl", "w", encoding="utf-8") as f:
        for a in store.export_alerts():
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    with open(out / "links.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["agency", "record_id", "person_ref", "person_id"])
        for (a, r, p), t in sorted(truth.items()):
            w.writerow([a, r, p, t])
    return store


def evaluate(out: Path, samples: Path = SAMPLES) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EVAL), str(samples / "expected.jsonl"), str(out / "notifications.jsonl"),
         str(out / "alerts.jsonl"), str(out / "links.csv"), str(samples / "truth_links.csv")],
        capture_output=True, text=True, check=False)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/protocol-harness")
    run(target)
    result = evaluate(target)
    print(result.stdout)
    sys.exit(result.returncode)
