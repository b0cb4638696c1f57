"""Labels: every code a page shows has words, in English and in Polish."""

from __future__ import annotations

import pytest
from django.utils import translation

from openmash.casework.labels import LINK_FIELD, LINK_LEVEL, label
from openmash.identity.domain.scoring import DEFAULT_LEVELS


@pytest.mark.parametrize("comparison", sorted(DEFAULT_LEVELS))
def test_every_comparison_a_match_explanation_names_has_words(comparison):
    assert comparison in LINK_FIELD
    for level in DEFAULT_LEVELS[comparison]:
        assert level in LINK_LEVEL, (comparison, level)


@pytest.mark.parametrize("comparison", sorted(DEFAULT_LEVELS))
def test_every_comparison_reads_in_polish(comparison):
    with translation.override("en-gb"):
        english = label("link_field", comparison)
    with translation.override("pl"):
        polish = label("link_field", comparison)
    assert polish and polish != english, comparison
