"""The public sample through the in-memory engine, with truth links as the identity oracle."""

from __future__ import annotations

import pytest

from .sample_harness import SAMPLES, evaluate, run


@pytest.mark.skipif(not (SAMPLES / "expected.jsonl").exists(), reason="public sample not present")
def test_every_scenario_passes_with_no_forbidden_disclosure(tmp_path):
    run(tmp_path)
    result = evaluate(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "0 forbidden disclosures" in result.stdout.splitlines()[-1]
