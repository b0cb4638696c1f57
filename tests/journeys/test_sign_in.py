"""Journey: a front-door triage officer signs in and reaches their home page (accessible throughout)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_triage_officer_signs_in_and_reaches_the_triage_home(page, live_server, directory, no_mfa, axe_check,
                                                               screenshot):
    page.goto(f"{live_server.url}/sign-in/")
    axe_check(page)
    page.get_by_label("Username").fill("triage")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Front-door triage").wait_for()
    axe_check(page)
    screenshot(page, "sign-in-triage-home")


def test_a_wrong_password_is_explained_in_an_error_summary(page, live_server, directory, axe_check):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("triage")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("There is a problem").wait_for()
    assert page.title().startswith("Error:")
    axe_check(page)


def test_the_interface_switches_to_polish(page, live_server, directory):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("button", name="Polski").click()
    assert page.locator("html").get_attribute("lang") == "pl"
