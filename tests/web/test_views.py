"""Sign-in, MFA and role home pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.accounts.models import User

ROLE_HOME_HEADINGS = {
    "triage": "Front-door triage",
    "manager": "Team management",
    "health-visitor": "Your team&#x27;s work",
    "marac": "MARAC coordination",
    "analyst": "Partnership analysis",
    "auditor": "Audit and inspection",
    "admin": "System administration",
}


@pytest.mark.django_db
def test_the_sign_in_page_renders_with_govuk_frontend(client):
    response = client.get(reverse("web:sign-in"))
    assert response.status_code == 200
    assert b"govuk-frontend.min.css" in response.content
    assert "Content-Security-Policy" in response.headers
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("username, heading", ROLE_HOME_HEADINGS.items())
def test_each_demo_user_reaches_their_role_home_page(client, directory, no_mfa, username, heading):
    response = client.post(reverse("web:sign-in"), {"username": username, "password": "demo-password-1"}, follow=True)
    assert response.status_code == 200
    assert heading in response.content.decode()
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_wrong_password_shows_an_error_summary(client, directory):
    response = client.post(reverse("web:sign-in"), {"username": "triage", "password": "wrong"})
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    assert response.content.decode().count("<title>Error:") == 1


@pytest.mark.django_db
def test_repeated_failures_lock_the_account(client, directory, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("web:sign-in"), {"username": "triage", "password": "wrong"})
    response = client.post(reverse("web:sign-in"), {"username": "triage", "password": "demo-password-1"})
    assert response.status_code == 429


@pytest.mark.django_db
def test_outside_demo_mode_a_user_must_pass_totp_before_anything_else(client, directory):
    client.post(reverse("web:sign-in"), {"username": "triage", "password": "demo-password-1"})
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and response.url == reverse("web:mfa")
    setup = client.get(reverse("web:mfa"))
    assert b"data:image/svg+xml;base64," in setup.content
    device = TOTPDevice.objects.get(user__username="triage")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(reverse("web:mfa"), {"token": code})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_totp_code_is_refused(client, directory):
    client.post(reverse("web:sign-in"), {"username": "triage", "password": "demo-password-1"})
    client.get(reverse("web:mfa"))
    response = client.post(reverse("web:mfa"), {"token": "000000"})
    assert response.status_code == 200 and b"govuk-error-summary" in response.content


@pytest.mark.django_db
def test_a_disabled_user_loses_their_session_at_the_next_request(client, directory, no_mfa):
    client.post(reverse("web:sign-in"), {"username": "triage", "password": "demo-password-1"})
    assert client.get(reverse("web:home")).status_code == 200
    User.objects.filter(username="triage").update(is_active=False)
    assert client.get(reverse("web:home")).status_code == 302


@pytest.mark.django_db
def test_an_idle_session_ends(client, directory, no_mfa, settings):
    client.post(reverse("web:sign-in"), {"username": "triage", "password": "demo-password-1"})
    session = client.session
    session["last_seen"] = 0
    session.save()
    assert client.get(reverse("web:home")).status_code == 302
