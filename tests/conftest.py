"""Shared fixtures: fixed personas (one per role) and the public sample's location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests judge behaviour, never speed: on a shared CI machine generation can be slow, and a test
# that fails for that reason says nothing about the code (speed belongs in the benchmarks).
settings.register_profile("openmash", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("openmash")


def pytest_addoption(parser):
    parser.addoption("--screenshots", default="", help="save browser-journey screenshots in this folder")


#: Fixtures that reach the database. A test that uses none of them (pure domain rules, parsers, FEBRL, Spark)
#: gives the same result on every database, so CI's second pass (PostgreSQL) can leave it out.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server", "django_db_reset_sequences",
                     "django_db_serialized_rollback"}


def uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    """With OPENMASH_ONLY_DATABASE_TESTS=1 (CI's PostgreSQL pass), run only the tests that reach the database."""
    if os.environ.get("OPENMASH_ONLY_DATABASE_TESTS") != "1":
        return
    keep = [item for item in items if uses_database(item)]
    config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
    items[:] = keep


SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = SHARED / "samples"


@pytest.fixture
def directory(db):
    """The demo directory: agencies, teams and one user per role (password 'demo-password-1')."""
    from openmash.accounts.services import DEMO_DIRECTORY, load_directory, read_directory
    from openmash.platform.audit import Actor

    return load_directory(read_directory(DEMO_DIRECTORY), actor=Actor.system("test"), passwords="demo-password-1")


@pytest.fixture
def no_mfa(settings):
    settings.OPENMASH_MFA_REQUIRED = False
    return settings


@pytest.fixture(autouse=True)
def _audit_guards_lifted_for_flush(request):
    """Transactional tests end with a flush, which the append-only triggers rightly refuse: lift them
    for the flush and put them back for the next test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames \
        or "live_server" in request.fixturenames
    if transactional:
        from django.db import connection

        from openmash.platform.dbguards import install_audit_guards

        install_audit_guards(connection)
    yield
    if transactional:
        from django.db import connection

        from openmash.platform.dbguards import remove_audit_guards

        remove_audit_guards(connection)
