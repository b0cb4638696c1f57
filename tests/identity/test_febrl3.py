"""FEBRL3 through the contract against Splink, same data, same run: the tests of ``febrl_runs``."""

from __future__ import annotations

import pytest

from .febrl_runs import (  # noqa: F401 - collected here, for this dataset
    test_our_f1_is_at_least_splinks_on_the_same_contract_data,
    test_the_blocking_keys_compare_nearly_every_true_pair,
    test_the_linker_is_at_least_as_precise_as_splink_on_the_same_contract_data,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def febrl() -> str:
    return "febrl3"
