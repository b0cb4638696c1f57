"""The session rules: idle and absolute limits, with ``last_seen`` written at most once a minute."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.platform.middleware import LAST_SEEN_GRANULARITY_SECONDS

pytestmark = pytest.mark.django_db


def _signed_in(client):
    client.post("/sign-in/", {"username": "health-visitor", "password": "demo-password-1"})
    assert client.get("/").status_code == 200
    return client.session.session_key


def _set(client, **values):
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def test_requests_within_a_minute_leave_the_session_row_alone(client, directory, no_mfa):
    key = _signed_in(client)
    stored = Session.objects.get(session_key=key)
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]
    again = Session.objects.get(session_key=key)
    assert (again.session_data, again.expire_date) == (stored.session_data, stored.expire_date)


def test_a_request_after_a_minute_moves_last_seen(client, directory, no_mfa):
    _signed_in(client)
    stale = time.time() - LAST_SEEN_GRANULARITY_SECONDS - 5
    _set(client, last_seen=stale)
    assert client.get("/").status_code == 200
    assert client.session["last_seen"] > stale + LAST_SEEN_GRANULARITY_SECONDS


def test_a_session_idle_for_the_limit_ends(client, directory, no_mfa, settings):
    _signed_in(client)
    _set(client, last_seen=time.time() - settings.SESSION_IDLE_SECONDS - 1)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/sign-in")
    assert "_auth_user_id" not in client.session


def test_the_idle_limit_is_never_late_by_the_write_granularity(client, directory, no_mfa, settings):
    # last_seen may lag the last request by up to a minute, so the limit errs on the early side.
    _signed_in(client)
    _set(client, last_seen=time.time() - settings.SESSION_IDLE_SECONDS + LAST_SEEN_GRANULARITY_SECONDS // 2)
    assert client.get("/").status_code == 302


def test_a_session_active_all_along_still_ends_at_the_absolute_limit(client, directory, no_mfa, settings):
    _signed_in(client)
    _set(client, signed_in_at=time.time() - settings.SESSION_COOKIE_AGE - 1, last_seen=time.time())
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/sign-in")


def test_a_recent_session_in_use_stays_signed_in(client, directory, no_mfa, settings):
    _signed_in(client)
    _set(client, signed_in_at=time.time() - settings.SESSION_COOKIE_AGE + 60, last_seen=time.time() - 30)
    assert client.get("/").status_code == 200


def test_sign_in_state_is_read_in_three_statements_a_request(client, directory, no_mfa):
    # The session, the user, then the roles with the team and agency in one: read afresh on every request.
    _signed_in(client)
    with CaptureQueriesContext(connection) as done:
        assert client.get("/").status_code == 200
    sign_in = [q["sql"] for q in done.captured_queries if '"accounts_' in q["sql"] or '"django_session"' in q["sql"]]
    assert len(sign_in) == 3
    assert '"accounts_rolemembership"' in sign_in[2] and '"accounts_agency"' in sign_in[2]
