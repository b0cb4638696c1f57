"""Partnership figures: counts that identify no one, for analysts and inspectors only, each view audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from openmash.accounts.models import User
from openmash.governance.domain import partnership_rules as rules
from openmash.platform.models import AuditEvent
from tests.governance.scenario import ingest, notify, person, rec

UTC = dt.UTC


# --- the rules (pure) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, None), (4, None), (5, 5), (120, 120)])
def test_counts_from_1_to_4_are_suppressed_and_0_is_shown(count, shown):
    assert rules.cell(count).value == shown


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it_so_the_total_gives_nothing_away():
    row = rules.table_row("2025-01", [3, 9, 20])
    assert [c.value for c in row.cells] == [None, None, 20]
    assert row.total.value == 32


def test_two_suppressed_cells_need_nothing_more():
    row = rules.table_row("2025-01", [3, 2, 20])
    assert [c.value for c in row.cells] == [None, None, 20]


def test_a_small_total_is_suppressed_too():
    assert rules.table_row("2025-01", [3, 0, 0]).total.suppressed


def test_rates_and_medians_need_5_cases():
    assert rules.rate(3, 4) is None and rules.rate(4, 5) == 80
    assert rules.median_hours([dt.timedelta(hours=h) for h in (1, 2, 3, 4)]) is None
    assert rules.median_hours([dt.timedelta(hours=h) for h in (1, 2, 3, 4, 50)]) == 3.0


def test_months_are_local_and_latest_first():
    incidents = [(dt.datetime(2025, 3, 31, 23, 30, tzinfo=UTC), "high"),  # 1 April in London (BST)
                 (dt.datetime(2025, 1, 15, tzinfo=UTC), "standard")]
    assert [r.label for r in rules.by_month_and_level(incidents)] == ["2025-04", "2025-01"]


def test_only_the_latest_months_are_kept():
    incidents = [(dt.datetime(2024, m, 10, tzinfo=UTC), "medium") for m in range(1, 13)]
    assert [r.label for r in rules.by_month_and_level(incidents, months=3)] == ["2024-12", "2024-11", "2024-10"]


# --- the page ----------------------------------------------------------------------------------------------------


@pytest.fixture
def partnership(db, directory, no_mfa):
    ingest(rec("H-1", agency="housing", kind="tenancy",
               people=[person("p1", "household_member", "Ann", "Zyxwvut", "1990-01-01")]))
    for n in range(6):
        notice = notify("housing", "H-1", to="health_visiting")
        if n < 3:
            notice.acknowledged_at = timezone.now()
            notice.save(update_fields=["acknowledged_at"])
    notify("housing", "H-1", to="school")


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["analyst", "auditor"])
def test_analysts_and_inspectors_see_the_figures_and_each_view_is_audited(client, partnership, username):
    client.force_login(User.objects.get(username=username))
    page = client.get("/governance/partnership/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Partnership figures" in text and "50%" in text  # 3 of 6 health visiting notifications acknowledged
    assert "fewer than 5" in text  # one notification to schools
    assert "Zyxwvut" not in text
    event = AuditEvent.objects.get(action="figures.viewed")
    assert event.actor == username and event.details == {}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["triage", "manager", "social-worker", "police", "admin"])
def test_nobody_else_sees_them(client, partnership, username):
    client.force_login(User.objects.get(username=username))
    assert client.get("/governance/partnership/").status_code == 403
    assert not AuditEvent.objects.filter(action="figures.viewed").exists()


@pytest.mark.django_db
def test_the_analysts_home_page_leads_to_them(client, directory, no_mfa):
    client.force_login(User.objects.get(username="analyst"))
    assert 'href="/governance/partnership/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_page_renders_in_polish(client, partnership):
    client.force_login(User.objects.get(username="analyst"))
    text = client.get("/governance/partnership/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Dane partnerstwa" in text and "mniej niż 5" in text
