"""Properties of ingest (hypothesis): order, repetition and corruption of a feed.

* Any interleaving, duplication and reordering of a valid feed, split over any number of commands,
  ends in the same stored state as the feed applied once in order.
* Corrupting one line quarantines that line only: the rest ends as if the line had never been sent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmash.intake.services import ingest_files
from tests.intake.records import line, record, write_feed
from tests.intake.stored_state import stored_state

pytestmark = pytest.mark.django_db

PEOPLE = [
    [{"ref": "p1", "role": "victim", "given_names": "Ann"}, {"ref": "p2", "role": "perpetrator"}],
    [{"ref": "p1", "role": "victim", "given_names": "Anne"}],
    [{"ref": "p1", "role": "victim", "given_names": "Anne"}, {"ref": "c1", "role": "child_present"}],
]


def valid_feed() -> list[bytes]:
    """Three records with several versions (a later one drops a person, one withdraws), and a one-off."""
    lines = []
    for number, record_id in enumerate(("DA-1", "DA-2", "DA-3")):
        for version in (1, 2, 3):
            lines.append(line(record(
                record_id, version, kind="da_incident", people=PEOPLE[(version + number) % 3],
                recorded_at=f"2024-12-0{2 + version}T0{number}:00:00Z",
                withdrawn=(record_id == "DA-3" and version == 3),
                details={"officer_risk": ["standard", "medium", "high"][version - 1]})))
    lines.append(line(record("ED-1", agency="ed", kind="ed_attendance", recorded_at="2024-12-02T09:00:00+01:00")))
    return lines


FEED = valid_feed()


def run(commands: list[list[bytes]]) -> dict[str, Any]:
    """Ingest each command's lines as one file and return the stored state, leaving the database as it was."""
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        for index, lines in enumerate(commands):
            ingest_files([write_feed(Path(folder) / f"feed-{index}.jsonl", lines)], backfill=index % 2 == 0)
        state = stored_state()
        transaction.set_rollback(True)
    return state


def in_order_state() -> dict[str, Any]:
    return run([FEED])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_interleaving_duplication_and_reordering_ends_in_the_same_state(data):
    expected = in_order_state()
    lines = data.draw(st.lists(st.sampled_from(FEED), min_size=0, max_size=3 * len(FEED)))
    lines = FEED + lines  # every line at least once, some several times
    shuffled = data.draw(st.permutations(lines))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=4)))
    commands, start = [], 0
    for cut in [*cuts, len(shuffled)]:
        commands.append(list(shuffled[start:cut]))
        start = cut
    # Quarantine is empty for a valid feed; file names differ between runs, so compare the rest.
    assert run([c for c in commands if c]) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(FEED) - 1), position=st.integers(0), byte=st.integers(0xF5, 0xFF))
def test_a_byte_that_is_never_utf8_quarantines_that_line_only(index, position, byte):
    corrupted = bytearray(FEED[index])
    corrupted[position % len(corrupted)] = byte
    check_corruption_is_confined(index, bytes(corrupted), must_quarantine=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(FEED) - 1), cut=st.integers(1))
def test_a_truncated_line_quarantines_that_line_only(index, cut):
    check_corruption_is_confined(index, FEED[index][: 1 + cut % (len(FEED[index]) - 1)], must_quarantine=True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(FEED) - 1), position=st.integers(0),
       byte=st.integers(0, 255).filter(lambda b: b not in (0x0A, 0x0D)))
def test_any_single_byte_change_affects_that_line_only(index, position, byte):
    corrupted = bytearray(FEED[index])
    corrupted[position % len(corrupted)] = byte
    check_corruption_is_confined(index, bytes(corrupted), must_quarantine=False)


def check_corruption_is_confined(index: int, corrupted: bytes, *, must_quarantine: bool) -> None:
    feed = list(FEED)
    feed[index] = corrupted
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        report = ingest_files([write_feed(Path(folder) / "feed.jsonl", feed)], backfill=True)
        state = stored_state()
        transaction.set_rollback(True)
    quarantined = {r.line for r in report.results if r.outcome == "quarantined"}
    if must_quarantine or quarantined:
        assert quarantined == {index + 1}
        without = run([FEED[:index] + FEED[index + 1:]])
        assert state["records"] == without["records"] and state["mentions"] == without["mentions"]
        assert len(state["quarantine"]) == 1
    else:
        # Still a valid record (a changed letter in a name, say): stored like any other line.
        assert len(report.results) == len(FEED)
