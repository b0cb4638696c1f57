"""Journey: a partnership analyst signs in and reads the partnership figures (accessible throughout)."""

from __future__ import annotations

import pytest

from tests.governance.scenario import ingest, notify, person, rec

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_analyst_reaches_the_partnership_figures_from_home(page, live_server, directory, no_mfa, axe_check,
                                                                screenshot):
    ingest(rec("H-1", agency="housing", kind="tenancy",
               people=[person("p1", "household_member", "Ann", "Zyxwvut", "1990-01-01")]))
    for _ in range(6):
        notify("housing", "H-1", to="health_visiting")
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Partnership figures").click()
    page.get_by_role("heading", level=1, name="Partnership figures").wait_for()
    assert page.get_by_role("cell", name="health_visiting").count() + page.get_by_role(
        "rowheader", name="health_visiting").count() == 1
    axe_check(page)
    screenshot(page, "partnership-figures")
