"""Encryption at rest: CPU cost per record of sealing and opening, on the public sample's history lines.

    .venv/bin/python bench/encryption_at_rest.py [--repeat N]

For every line of ../shared/samples/history.jsonl: encrypting the line as received (``RecordVersion.raw``)
and sealing the parsed record (``RecordVersion.data``) as a write does, then decrypting and opening both
as a read does. Figures are process CPU time (the machine is shared), per record, averaged over the file
``--repeat`` times; no database. Printed only (copy into docs/benchmarks.md, "Encryption at rest").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "history.jsonl"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    os.environ.setdefault("OPENMASH_VAR_DIR", str(ROOT / "var"))
    import django

    django.setup()
    from openmash.platform import encryption
    from openmash.platform.domain import sealing

    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = [json.loads(line) for line in lines]
    with_secrets = sum(1 for d in docs if sealing.has_plain_secrets(d))
    n = len(lines) * args.repeat

    def cpu(step) -> float:
        start = time.process_time()
        for _ in range(args.repeat):
            step()
        return (time.process_time() - start) / n * 1e6

    sealed = [json.dumps(encryption.seal_document(d)) for d in docs]
    tokens = [encryption.encrypt(line.encode()) for line in lines]
    parse = cpu(lambda: [json.loads(line) for line in lines])
    seal = cpu(lambda: [json.dumps(encryption.seal_document(d)) for d in docs])
    opened = cpu(lambda: [encryption.load_sealed_json(text) for text in sealed])
    raw_write = cpu(lambda: [encryption.encrypt(line.encode()) for line in lines])
    raw_read = cpu(lambda: [encryption.decrypt(t) for t in tokens])
    envelopes = sum(len(sealing.envelopes(json.loads(s))) for s in sealed)
    print(f"{len(lines):,} sample lines, {with_secrets:,} with something to seal, {envelopes:,} envelopes; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| step | CPU µs per record |\n|---|---:|")
    print(f"| parse the record (no encryption, for scale) | {parse:.0f} |")
    print(f"| write: seal `data` and serialise | {seal:.0f} |")
    print(f"| write: encrypt `raw` | {raw_write:.0f} |")
    print(f"| read: parse and open `data` | {opened:.0f} |")
    print(f"| read: decrypt `raw` | {raw_read:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
