"""Authorisation changes end sessions at the very next request: disabled, moved team, role removed (ASVS 7.4.2)."""

from __future__ import annotations

import pytest

from openmash.accounts.models import RoleMembership, Team, User

pytestmark = pytest.mark.django_db


def _change_team(user):
    user.team = Team.objects.get(agency__code="school_nursing", code="")
    user.save(update_fields=["team"])


def _disable(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _drop_role(user):
    RoleMembership.objects.filter(user=user).delete()


@pytest.mark.parametrize("change", [_change_team, _disable, _drop_role])
def test_the_next_request_after_a_change_of_authority_is_signed_out(client, directory, no_mfa, change):
    assert client.post("/sign-in/", {"username": "health-visitor", "password": "demo-password-1"}).status_code == 302
    assert client.get("/").status_code == 200
    change(User.objects.get(username="health-visitor"))
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/sign-in")
    again = client.get("/")
    assert again.status_code == 302 and again.url.startswith("/sign-in")  # the session is gone, not just bounced
    assert "_auth_user_id" not in client.session


def test_an_unchanged_user_stays_signed_in(client, directory, no_mfa):
    client.post("/sign-in/", {"username": "health-visitor", "password": "demo-password-1"})
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]
