"""``openmash ingest`` and ``openmash quarantine`` as an operator runs them: exit codes, report, messages,
and crash safety (the process killed mid-file, then re-run)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.intake.records import record, write_feed

ROOT = Path(__file__).resolve().parents[2]
REPORT_KEYS = {"new", "updated", "duplicate", "stale", "quarantined", "warnings", "quarantined_lines",
               "warning_lines", "conflicting_duplicates"}


def ingest(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    except CommandError as exc:
        code, err = exc.returncode, io.StringIO(str(exc))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_exit_zero_and_the_report_has_exactly_the_contract_keys(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [record("A"), record("B")])
    report = tmp_path / "report.json"
    code, out, err = ingest("--backfill", "--report", str(report), str(feed))
    data = json.loads(report.read_text())
    assert code == 0 and set(data) == REPORT_KEYS and data["new"] == 2
    assert "new 2" in out and "processed 2 of 2 lines" in err  # plain progress lines when not on a terminal


@pytest.mark.django_db
def test_exit_one_when_a_line_is_quarantined_with_its_reasons_printed(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [record("A"), b"", record("B", kind="nope")])
    code, out, _ = ingest(str(feed), "--report", str(tmp_path / "r.json"))
    assert code == 1
    assert f"quarantined {feed}:3 police/B: unknown kind 'nope'" in out
    line = json.loads((tmp_path / "r.json").read_text())["quarantined_lines"][0]
    assert (line["line"], line["record_id"], line["agency"]) == (3, "B", "police")


@pytest.mark.django_db
def test_exit_two_for_an_unreadable_file_and_nothing_is_ingested(tmp_path):
    from openmash.intake.models import Record

    feed = write_feed(tmp_path / "a.jsonl", [record("A")])
    code, _, err = ingest(str(feed), str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot open" in err and "missing.jsonl" in err and "nothing was ingested" in err
    assert not Record.objects.exists()


@pytest.mark.django_db
def test_exit_two_when_the_report_cannot_be_written(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [record("A")])
    code, _, err = ingest("--report", str(tmp_path / "no" / "such" / "dir.json"), str(feed))
    assert code == 2 and "cannot write the report" in err


def cli(*args: str, env: dict[str, str], check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "openmash.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=check, timeout=300)


def env_for(database: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(OPENMASH_DATABASE_URL=f"sqlite:///{database}", OPENMASH_VAR_DIR=str(tmp_path / "var"),
               PYTHONPATH=str(ROOT), OPENMASH_PIPELINE_STAGES="")  # storage on its own
    return env


def test_exit_two_with_one_line_when_the_database_is_not_set_up(tmp_path):
    feed = write_feed(tmp_path / "a.jsonl", [record("A")])
    result = cli("ingest", str(feed), env=env_for(tmp_path / "empty.sqlite3", tmp_path))
    assert result.returncode == 2
    assert "the database is not set up" in result.stderr and "openmash migrate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    unreachable = env_for(tmp_path / "x", tmp_path) | {"OPENMASH_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = cli("ingest", str(feed), env=unreachable)
    assert result.returncode == 2 and "cannot reach the database" in result.stderr


def big_feed(path: Path, count: int) -> Path:
    lines = []
    for i in range(count):
        lines.append(record(f"R{i:05d}", recorded_at=f"2024-12-{2 + i % 20:02d}T{i % 24:02d}:00:00Z"))
        if i % 5 == 0:  # some records updated later in the same feed
            lines.append(record(f"R{i:05d}", 2, recorded_at="2024-12-25T00:00:00Z",
                                people=[{"ref": "p9", "role": "victim"}]))
    lines.insert(count // 2, b"{not json")
    return write_feed(path, lines)


def count_versions(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("select count(*) from intake_recordversion").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def stored(database: Path, tmp_path: Path) -> dict:
    env = env_for(database, tmp_path)
    out = subprocess.run([sys.executable, "-m", "tests.intake.stored_state"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=300).stdout
    with sqlite3.connect(database) as db:
        audited = db.execute("select action, object_id from platform_auditevent where action like 'record.%' "
                             "order by action, object_id").fetchall()
    return {**json.loads(out), "audited": audited}


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "count", "after"), [("--backfill", 3000, 600), ("--live", 400, 60)])
def test_killing_the_process_mid_file_and_re_running_ends_as_one_clean_run(tmp_path, mode, count, after):
    template = tmp_path / "template.sqlite3"
    cli("migrate", "-v0", "--skip-checks", env=env_for(template, tmp_path), check=True)
    killed, clean = tmp_path / "killed.sqlite3", tmp_path / "clean.sqlite3"
    shutil.copy(template, killed)
    shutil.copy(template, clean)
    feed = big_feed(tmp_path / "feed.jsonl", count)
    args = ["ingest", *([mode] if mode == "--backfill" else []), str(feed)]

    process = subprocess.Popen([sys.executable, "-m", "openmash.cli", *args], env=env_for(killed, tmp_path),
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count_versions(killed) < after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    part = count_versions(killed)
    assert 0 < part < count * 6 // 5, "the kill must land mid-file"

    assert cli(*args, env=env_for(killed, tmp_path)).returncode == 1  # the one bad line
    assert cli(*args, env=env_for(clean, tmp_path)).returncode == 1
    assert stored(killed, tmp_path) == stored(clean, tmp_path)


@pytest.mark.django_db
def test_quarantine_list_show_and_export(tmp_path):
    from openmash.platform.models import AuditEvent

    feed = write_feed(tmp_path / "a.jsonl", [record("A", kind="nope"), b"\xff{}"])
    ingest(str(feed))
    out = io.StringIO()
    call_command("quarantine", "list", stdout=out)
    listing = out.getvalue()
    assert "police/A  unknown kind 'nope'" in listing and "2 quarantined line(s)" in listing
    from openmash.intake.models import Quarantine

    first = Quarantine.objects.get(line=1)
    out = io.StringIO()
    call_command("quarantine", "show", str(first.pk), stdout=out)
    assert "unknown kind 'nope'" in out.getvalue() and '"record_id": "A"' in out.getvalue()
    assert AuditEvent.objects.filter(action="quarantine.viewed", object_id=str(first.pk)).exists()
    target = tmp_path / "q.jsonl"
    call_command("quarantine", "export", "--output", str(target), stdout=io.StringIO())
    rows = [json.loads(x) for x in target.read_text().splitlines()]
    assert [r["line"] for r in rows] == [1, 2] and rows[1]["raw_base64"] == "/3t9"
    with pytest.raises(CommandError, match="no quarantined line"):
        call_command("quarantine", "show", "999999", stdout=io.StringIO())


def test_a_terminal_gets_a_progress_bar_and_a_log_gets_tenths():
    from openmash.intake.management.commands.ingest import _progress_for

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with _progress_for(screen) as progress:
        for done in range(0, 101, 25):
            progress(done, 100)
    assert "ingesting" in screen.getvalue() and "100/100" in screen.getvalue()
    log = io.StringIO()
    with _progress_for(log) as progress:
        for done in range(1, 101):
            progress(done, 100)
    lines = log.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1] == "processed 100 of 100 lines"
