"""Template tags of the casework pages: rows, tags and lists built in Python are escaped and read right."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from openmash.casework.domain.triage import clock
from openmash.casework.templatetags.casework_tags import (
    SOURCES_SHOWN,
    clock_tag,
    level_tag,
    open_span_items,
    queue_rows,
    record_refs,
)

DECIDED = dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english():
    """The words below are English (another test in the same process may have left a language active)."""
    with translation.override("en-gb"):
        yield


def test_a_homes_records_fold_away_past_the_first_few_and_are_escaped():
    few = str(record_refs([("police", "R1"), ("csc", "<b>")]))
    assert "R1" in few and "&lt;b&gt;" in few and "<details" not in few
    many = str(record_refs([("police", f"R{i}") for i in range(SOURCES_SHOWN + 3)]))
    shown, folded = many.split("<details", 1)
    assert f"R{SOURCES_SHOWN - 1}," in shown and f"R{SOURCES_SHOWN}" not in shown
    assert f"{SOURCES_SHOWN + 3} records in all" in folded and f"R{SOURCES_SHOWN + 2}" in folded


def test_open_plans_read_kind_agency_since_and_facts_escaped():
    entry = SimpleNamespace(kind="cp_plan", agency="csc", occurred_at=DECIDED, facts=[("category", "<neglect>")])
    html = str(open_span_items([entry]))
    assert html.startswith("<li>") and "since 4 Mar 2025" in html and "&lt;neglect&gt;" in html


def test_a_clock_is_red_when_overdue_and_says_so_without_a_deadline():
    overdue = str(clock_tag(clock(DECIDED - dt.timedelta(hours=2), DECIDED)))
    assert 'class="openmash-overdue"' in overdue and "2 h 0 min overdue" in overdue
    assert str(clock_tag(None)) == '<span class="">No deadline</span>'


def test_a_level_tag_is_coloured_by_level_and_empty_without_one():
    assert "govuk-tag--red" in level_tag("high") and ">High risk<" in level_tag("high")
    assert "govuk-tag--grey" in level_tag("standard") and level_tag(None) == ""


def _queue(**row):
    fields = {"agency": "police", "record_id": "Q<1>", "level": "high", "youngest_age": 3, "children": 2, "area": "",
              "recorded_at": DECIDED, "clock": clock(DECIDED - dt.timedelta(hours=2), DECIDED), "assignee": "",
              "assignee_username": ""}
    return SimpleNamespace(rows=[SimpleNamespace(**(fields | row))])


def _context(queue, *, can_claim=True, officers=None, username="triage"):
    form = SimpleNamespace(fields={"assignee": SimpleNamespace(choices=officers)}) if officers else None
    return {"queue": queue, "user": SimpleNamespace(username=username), "can_claim": can_claim, "assign_form": form,
            "csrf_token": "tok", "request": SimpleNamespace(get_full_path=lambda: "/triage/?page=2&x=<y>")}


def test_queue_rows_are_escaped_marked_overdue_and_carry_the_claim_form_with_its_token():
    html = str(queue_rows(_context(_queue())))
    assert 'class="govuk-table__row openmash-row--overdue"' in html
    assert 'href="/incidents/police/Q%3C1%3E/"' in html and ">Q&lt;1&gt;</a>" in html
    assert 'action="/triage/police/Q%3C1%3E/claim/"' in html and 'value="tok"' in html
    assert 'name="next" value="/triage/?page=2&amp;x=&lt;y&gt;"' in html
    assert ">–</td>" in html and "assignee" not in html  # no area, nobody allocated, no assign form


def test_queue_rows_offer_no_claim_of_ones_own_and_select_the_current_assignee():
    mine = _queue(assignee="Tia Triage", assignee_username="triage", clock=None)
    html = str(queue_rows(_context(mine, officers=[("other", "O<ther>"), ("triage", "Tia Triage")])))
    assert "/claim/" not in html and "openmash-row--overdue" not in html
    assert '<option value="other">O&lt;ther&gt;</option><option value="triage" selected>Tia Triage</option>' in html
    assert 'for="assignee-1"' in html and "Triage officer for Q&lt;1&gt;" in html
