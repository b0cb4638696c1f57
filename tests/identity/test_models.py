"""The identity tables as the migrations make them."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from openmash.identity.domain.features import FIELD_NAMES
from openmash.identity.models import MentionLink


@pytest.mark.django_db
def test_the_compact_column_lists_the_features_fields_in_order_and_its_migration_does_too():
    # The database writes the column from this list; ``MentionFeatures.from_values`` reads it in field order. A field
    # added to (or moved in) the features changes the list, and the migrations must follow.
    assert MentionLink._meta.get_field("compact").expression.fields == FIELD_NAMES
    call_command("makemigrations", "identity", check=True, dry_run=True, verbosity=0)
