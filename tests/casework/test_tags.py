"""Template tags of the casework pages: rows, tags and lists built in Python are escaped and read right."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from openmash.casework.domain.triage import clock
from openmash.casework.templatetags.casework_tags import (
    SOURCES_SHOWN,
    clock_tag,
    level_tag,
    open_span_items,
    record_refs,
)

DECIDED = dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC)


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
