"""Ingest use case: outcomes, order, quarantine, atomicity and the pipeline hook."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.intake import services
from openmash.intake.models import DataQualityTask, Mention, Quarantine, Record, RecordVersion
from openmash.intake.services import FeedError, ingest_files, ingest_items, resubmit_quarantined
from openmash.platform.audit import Actor, verify_trail
from openmash.platform.models import AuditEvent
from tests.conftest import SAMPLES, SHARED
from tests.intake.records import line, record, write_feed

pytestmark = pytest.mark.django_db


def counts(report):
    data = report.as_json()
    return {k: data[k] for k in ("new", "updated", "duplicate", "stale", "quarantined", "warnings")}


def test_the_public_bad_feed_gives_exactly_the_expected_outcome(tmp_path, pipeline):
    # With the configured stages, as deployed: linking and routing run inside each record's transaction.
    expected_file = SAMPLES / "bad_expected.json"
    if not expected_file.exists():
        pytest.skip("the public sample is not beside this checkout")
    expected = json.loads(expected_file.read_text())
    base = ingest_files([SAMPLES / "bad_base.jsonl"], backfill=True)
    assert counts(base) == expected["base_counts"] and base.exit_code == 0
    report = ingest_files([SAMPLES / "bad.jsonl"], backfill=True)
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps(report.as_json()))
    evaluation = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "eval_ingest.py"), str(expected_file), str(summary),
         "--exit-code", str(report.exit_code)], capture_output=True, text=True, check=False)
    assert evaluation.returncode == 0, evaluation.stdout
    assert counts(report) == expected["counts"]
    # Every listed line has a reason a person can act on, and nothing of a quarantined record is stored.
    by_line = {row["line"]: row for row in report.as_json()["quarantined_lines"]}
    for entry in expected["lines"]:
        if entry["expect"] == "quarantined":
            assert len(by_line[entry["line"]]["problems"]) >= len(entry["problems"])
    for gone in expected["links_must_exclude"]:
        assert not Record.objects.filter(agency=gone["agency"], record_id=gone["record_id"]).exists()
    for kept in expected["links_must_include"]:
        refs = set(Mention.objects.filter(record__agency=kept["agency"], record__record_id=kept["record_id"],
                                          active=True).values_list("ref", flat=True))
        assert refs == set(kept["person_refs"])


def test_versions_are_new_updated_duplicate_or_stale(tmp_path):
    ingest_files([write_feed(tmp_path / "a.jsonl", [record(version=2, recorded_at="2024-12-03T00:00:00Z")])],
                 backfill=True)
    feed = write_feed(tmp_path / "b.jsonl", [
        record(version=1, recorded_at="2024-12-02T03:00:00Z"),
        record(version=2, recorded_at="2024-12-03T00:00:00Z"),
        record(version=2, recorded_at="2024-12-03T00:00:00Z", narrative="changed"),
        record(version=3, recorded_at="2024-12-04T00:00:00Z"),
    ])
    report = ingest_files([feed], backfill=True)
    assert [r.outcome for r in report.ordered()] == ["stale", "duplicate", "duplicate", "updated"]
    assert report.as_json()["conflicting_duplicates"] == [
        {"file": str(feed), "line": 3, "record_id": "POL-1", "agency": "police"}]
    stored = Record.objects.get()
    assert stored.current.version == 3
    assert list(stored.versions.order_by("version").values_list("version", flat=True)) == [2, 3]


def test_the_batch_is_processed_in_recorded_at_order_across_files(tmp_path):
    first = write_feed(tmp_path / "1.jsonl", [record(version=2, recorded_at="2024-12-05T00:00:00Z")])
    second = write_feed(tmp_path / "2.jsonl", [record(version=1, recorded_at="2024-12-04T00:00:00Z")])
    report = ingest_files([first, second], backfill=False)
    assert {(r.source, r.outcome) for r in report.results} == {(str(second), "new"), (str(first), "updated")}


def test_ties_keep_file_order_then_line_order(tmp_path):
    same = "2024-12-05T00:00:00Z"
    a = write_feed(tmp_path / "a.jsonl", [record("X", recorded_at=same), record("Y", recorded_at=same)])
    b = write_feed(tmp_path / "b.jsonl", [record("Z", recorded_at=same)])
    ingest_files([b, a], backfill=True)
    order = list(RecordVersion.objects.order_by("seq").values_list("record__record_id", flat=True))
    assert order == ["Z", "X", "Y"]


def test_seq_is_the_processing_order_and_grows_across_commands(tmp_path):
    ingest_files([write_feed(tmp_path / "a.jsonl", [record("A", recorded_at="2024-12-09T00:00:00Z"),
                                                    record("B", recorded_at="2024-12-02T05:00:00Z")])], backfill=True)
    ingest_files([write_feed(tmp_path / "b.jsonl", [record("C", recorded_at="2024-12-02T04:00:00Z")])], backfill=True)
    assert list(RecordVersion.objects.order_by("seq").values_list("record__record_id", flat=True)) == ["B", "A", "C"]


def test_gzip_is_read_by_its_magic_bytes_and_blank_lines_count(tmp_path):
    feed = write_feed(tmp_path / "named-plain.jsonl", [record("A"), b"", b"   ", b"{broken"], compress=True)
    report = ingest_files([feed], backfill=True)
    assert [(r.line, r.outcome) for r in report.ordered()] == [(1, "new"), (4, "quarantined")]


def test_a_crlf_feed_and_a_missing_final_newline_are_read(tmp_path):
    feed = tmp_path / "crlf.jsonl"
    feed.write_bytes(line(record("A")) + b"\r\n" + line(record("B")))
    assert counts(ingest_files([feed], backfill=True))["new"] == 2


def test_an_unreadable_file_stops_the_command_before_anything_is_stored(tmp_path):
    good = write_feed(tmp_path / "good.jsonl", [record("A")])
    with pytest.raises(FeedError, match="cannot open"):
        ingest_files([good, tmp_path / "missing.jsonl"], backfill=True)
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(FeedError, match="does not decompress"):
        ingest_files([good, broken], backfill=True)
    assert not Record.objects.exists()


def test_people_follow_the_latest_version(tmp_path):
    two = [{"ref": "p1", "role": "victim", "given_names": "Ann"}, {"ref": "p2", "role": "perpetrator"}]
    one = [{"ref": "p1", "role": "victim", "given_names": "Anne"}]
    ingest_files([write_feed(tmp_path / "a.jsonl", [
        record(version=1, people=two), record(version=2, people=one, recorded_at="2024-12-03T00:00:00Z")])],
        backfill=True)
    mentions = {m.ref: m for m in Mention.objects.select_related("version")}
    assert mentions["p1"].active and mentions["p1"].data["given_names"] == "Anne" and mentions["p1"].version.version == 2
    assert not mentions["p2"].active and mentions["p2"].version.version == 1
    assert mentions["p1"].as_domain().given_names == "Anne"


def test_a_withdrawal_withdraws_the_record_and_is_audited(tmp_path):
    ingest_files([write_feed(tmp_path / "a.jsonl", [
        record(version=1), record(version=2, withdrawn=True, recorded_at="2024-12-03T00:00:00Z")])], backfill=True)
    stored = Record.objects.get()
    assert stored.withdrawn and stored.current.withdrawn
    assert AuditEvent.objects.filter(action="record.withdrawn", object_id="police/POL-1").count() == 1


def test_every_stored_record_and_quarantined_line_is_audited_on_an_intact_chain(tmp_path):
    ingest_files([write_feed(tmp_path / "a.jsonl", [record("A"), record("B"), b"nope", record("A")])], backfill=True)
    actions = sorted(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["record.quarantined", "record.stored", "record.stored"]
    assert verify_trail() == []


def test_warnings_are_stored_and_reported(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [record(people=[
        {"ref": "p1", "role": "subject", "nhs_number": "1234567890"}])])
    report = ingest_files([feed], backfill=True).as_json()
    assert report["warnings"] == 1 and "not a valid NHS number" in report["warning_lines"][0]["warnings"][0]
    assert RecordVersion.objects.get().warnings == report["warning_lines"][0]["warnings"]


def test_quarantine_keeps_every_problem_and_is_not_duplicated_by_a_rerun(tmp_path):
    bad = record("Q1", kind="nope")
    del bad["people"]
    feed = write_feed(tmp_path / "a.jsonl", [bad])
    first = ingest_files([feed], backfill=True)
    again = ingest_files([feed], backfill=True)
    assert first.quarantined == again.quarantined == 1
    row = Quarantine.objects.get()
    assert (row.line, row.agency, row.record_id, len(row.problems)) == (1, "police", "Q1", 2)
    assert bytes(row.raw) == line(bad)
    assert not Record.objects.exists()


def test_quarantined_safeguarding_lines_become_a_front_door_task_due_in_an_hour(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [
        record("S1", kind="da_incident", version="x"),
        record("S2", kind="ed_attendance", version="x"),
        b'{"kind": ',
    ])
    ingest_files([feed], backfill=True)
    tasks = {t.quarantine.line: t for t in DataQualityTask.objects.select_related("quarantine")}
    assert set(tasks) == {1, 3}  # the ED record is not a safeguarding kind; an unreadable kind is
    task = tasks[1]
    assert task.kind == "QUARANTINED_SAFEGUARDING_RECORD" and task.agency == "police"
    assert task.due_at - task.quarantine.received_at == services.QUARANTINE_TASK_DUE


def test_pipeline_stages_see_each_version_in_order_with_the_mode(tmp_path, settings):
    seen: list[tuple[str, int, bool, int]] = []

    def stage(version, *, live):
        # Processed-before is exact: nothing later in the batch is in the database yet.
        later = RecordVersion.objects.filter(seq__gt=version.seq).count()
        seen.append((version.record.record_id, version.version, live, later))

    settings.OPENMASH_PIPELINE_STAGES = ["tests.intake.test_services.STAGE"]
    globals()["STAGE"] = stage
    feed = write_feed(tmp_path / "a.jsonl", [
        record("B", recorded_at="2024-12-04T00:00:00Z"), record("A", recorded_at="2024-12-03T00:00:00Z"),
        record("A", recorded_at="2024-12-03T00:00:00Z")])
    ingest_files([feed], backfill=True)
    ingest_files([write_feed(tmp_path / "b.jsonl", [record("C")])], backfill=False)
    assert seen == [("A", 1, False, 0), ("B", 1, False, 0), ("C", 1, True, 0)]


def test_a_record_a_stage_fails_on_is_held_and_the_rest_of_the_feed_goes_on(tmp_path, settings):
    def stage(version, *, live):
        if version.record.record_id == "BAD":
            raise RuntimeError("boom")

    settings.OPENMASH_PIPELINE_STAGES = ["tests.intake.test_services.FAILING"]
    globals()["FAILING"] = stage
    feed = write_feed(tmp_path / "a.jsonl", [record("A"), record("BAD"), record("C")])
    report = ingest_files([feed], backfill=True)
    assert [r.outcome for r in report.ordered()] == ["new", "quarantined", "new"]
    assert "internal error: RuntimeError: boom" in report.ordered()[1].problems[0]
    assert sorted(Record.objects.values_list("record_id", flat=True)) == ["A", "C"]


def test_a_backfill_writes_in_bulk(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [record(f"R{i}") for i in range(200)])
    with CaptureQueriesContext(connection) as queries:
        ingest_files([feed], backfill=True)
    assert Record.objects.count() == 200 and Mention.objects.count() == 200
    assert len(queries) < 40


def test_api_items_are_one_batch_in_recorded_at_order():
    actor = Actor.system("test")
    report = ingest_items([record(version=2, recorded_at="2024-12-05T00:00:00Z"), record(version=1), "x"],
                          source="api:police:niche", actor=actor)
    assert [(r.line, r.outcome) for r in report.ordered()] == [(1, "updated"), (2, "new"), (3, "quarantined")]


def test_a_corrected_record_can_be_resubmitted_from_quarantine(tmp_path):
    bad = record("Q1", occurred_at="31/12/2024 23:10")
    ingest_files([write_feed(tmp_path / "a.jsonl", [bad])], backfill=True)
    row = Quarantine.objects.get()
    still_bad = resubmit_quarantined(row, json.dumps(record("Q1", version="1")), actor=Actor.system("test"))
    assert not still_bad.accepted and "version is not an integer" in still_bad.problems[0]
    assert not Record.objects.exists() and Quarantine.objects.count() == 1
    fixed = resubmit_quarantined(row, json.dumps(record("Q1")), actor=Actor.system("test"))
    assert fixed.accepted and fixed.result.outcome == "new"
    row.refresh_from_db()
    assert row.resolved_at is not None and "re-submitted as police/Q1 v1: new" in row.resolution
    assert Record.objects.get().current.source_file == f"quarantine:{row.pk}"


def test_progress_is_reported_per_chunk(tmp_path):
    calls = []
    feed = write_feed(tmp_path / "a.jsonl", [record(f"R{i}") for i in range(5)])
    ingest_files([feed], backfill=True, progress=lambda done, total: calls.append((done, total)), chunk_size=2)
    assert calls == [(2, 5), (4, 5), (5, 5)]



def test_an_unavailable_database_stops_the_command_instead_of_holding_records(tmp_path, monkeypatch):
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_store", locked)
    with pytest.raises(OperationalError):
        ingest_files([write_feed(tmp_path / "a.jsonl", [record("A"), record("B")])], backfill=True)
    assert not Quarantine.objects.exists()


def test_stages_get_each_version_as_the_database_holds_it(tmp_path, settings):
    seen = []

    def stage(version, *, live):
        stored = RecordVersion.objects.select_related("record").get(pk=version.pk)
        fields = [f.attname for f in RecordVersion._meta.concrete_fields]
        seen.append(all(getattr(version, f) == getattr(stored, f) for f in fields)
                    and version.recorded_at.tzinfo == stored.recorded_at.tzinfo
                    and (version.record.agency, version.record.record_id, version.record.kind,
                         version.record.current_id, version.record.withdrawn)
                    == (stored.record.agency, stored.record.record_id, stored.record.kind,
                        stored.record.current_id, stored.record.withdrawn))

    settings.OPENMASH_PIPELINE_STAGES = ["tests.intake.test_services.SAME"]
    globals()["SAME"] = stage
    feed = write_feed(tmp_path / "a.jsonl", [
        record("A", occurred_at="2024-12-02T01:00:00+01:00", recorded_at="2024-12-02T02:30:00.5+01:00"),
        record("A", version=2, recorded_at="2024-12-03T00:00:00Z", kind="police_incident"),
        record("B", version=1.0, withdrawn=True)])
    ingest_files([feed], backfill=True)
    assert seen == [True, True, True]


def test_a_record_updated_twice_within_one_staged_chunk_keeps_one_mention_per_person(tmp_path, settings, caplog):
    settings.OPENMASH_PIPELINE_STAGES = ["tests.intake.test_services.NOTHING"]
    globals()["NOTHING"] = lambda version, *, live: None
    ann = {"ref": "p1", "role": "subject", "given_names": "Ann", "family_name": "Smith", "date_of_birth": "1990-01-01"}
    bob = {"ref": "p2", "role": "other_adult", "given_names": "Bob", "family_name": "Smith"}
    feed = write_feed(tmp_path / "a.jsonl", [
        record("A", people=[ann, bob], recorded_at="2024-12-02T02:00:00Z"),
        record("A", version=2, people=[{**ann, "given_names": "Anne"}], recorded_at="2024-12-03T00:00:00Z"),
        record("A", version=3, people=[ann, bob], recorded_at="2024-12-04T00:00:00Z")])
    report = ingest_files([feed], backfill=True)
    assert [r.outcome for r in report.ordered()] == ["new", "updated", "updated"]
    assert "retrying one record at a time" not in caplog.text  # the chunk went through whole
    mentions = {m.ref: m for m in Mention.objects.select_related("version")}
    assert set(mentions) == {"p1", "p2"} and all(m.active and m.version.version == 3 for m in mentions.values())
    assert mentions["p1"].data["given_names"] == "Ann"
    assert Record.objects.get().current.version == 3
    assert not verify_trail()


def test_a_staged_backfill_commits_in_chunks_and_a_failing_chunk_is_redone_record_by_record(tmp_path, settings):
    def stage(version, *, live):
        if version.record.record_id == "R3":
            raise RuntimeError("boom")

    settings.OPENMASH_PIPELINE_STAGES = ["tests.intake.test_services.FAILS_ON_R3"]
    globals()["FAILS_ON_R3"] = stage
    feed = write_feed(tmp_path / "a.jsonl", [record(f"R{i}") for i in range(6)])
    report = ingest_files([feed], backfill=True, chunk_size=3)
    assert [r.outcome for r in report.ordered()] == ["new", "new", "new", "quarantined", "new", "new"]
    assert sorted(Record.objects.values_list("record_id", flat=True)) == ["R0", "R1", "R2", "R4", "R5"]
    assert list(RecordVersion.objects.order_by("seq").values_list("record__record_id", flat=True)) == [
        "R0", "R1", "R2", "R4", "R5"]
    assert AuditEvent.objects.filter(action="record.stored").count() == 5 and not verify_trail()
