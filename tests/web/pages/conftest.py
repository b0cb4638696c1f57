"""Fixtures for the casework pages: the ingested family and signed-in clients per persona."""

from __future__ import annotations

import pytest
from django.test import Client

from openmash.accounts.models import User
from openmash.intake.models import Record
from tests.casework import scenario


@pytest.fixture
def family(directory, no_mfa, tmp_path):
    scenario.ingest(tmp_path)
    return Record.objects.get(agency="police", record_id=scenario.LIVE_INCIDENT)


@pytest.fixture
def as_user(db):
    def sign_in(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return sign_in


@pytest.fixture
def person_ids(family):
    from openmash.identity.queries import person_ids_of_record

    return person_ids_of_record("police", scenario.LIVE_INCIDENT)  # ref → person_id
