"""Intake tests exercise storage on its own: the pipeline stages (identity, protocol) are switched off
unless a test asks for ``pipeline`` (the configured stages, as deployed)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

CONFIGURED_STAGES = list(django_settings.OPENMASH_PIPELINE_STAGES)


@pytest.fixture(autouse=True)
def storage_only(settings):
    settings.OPENMASH_PIPELINE_STAGES = []


@pytest.fixture
def pipeline(settings):
    settings.OPENMASH_PIPELINE_STAGES = CONFIGURED_STAGES
