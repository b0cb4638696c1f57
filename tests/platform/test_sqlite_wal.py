"""SQLite's write-ahead log is copied back into the database by a background thread, not inside a commit."""

from __future__ import annotations

import sqlite3
import time

import pytest
from django.db import connection

from openmash.platform import sqlite_wal


def _wait_until(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_a_background_thread_copies_the_log_back_into_the_database(tmp_path):
    path = tmp_path / "hub.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # the commits below never checkpoint themselves
    writer.execute("CREATE TABLE note (body TEXT)")
    writer.execute("BEGIN")
    writer.executemany("INSERT INTO note VALUES (?)", [("x" * 1000,) for _ in range(2000)])
    writer.execute("COMMIT")
    before = path.stat().st_size
    assert before < 100_000  # everything written so far is in the log

    assert sqlite_wal.start_checkpointer(str(path), every=0.02)

    assert _wait_until(lambda: path.stat().st_size > 2_000_000), "the log was not copied back"
    assert writer.execute("SELECT count(*) FROM note").fetchone() == (2000,)
    writer.close()


def test_each_process_runs_one_checkpointer_a_database(tmp_path):
    path = str(tmp_path / "hub.sqlite3")
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").fetchall()
    assert sqlite_wal.start_checkpointer(path, every=0.05)
    assert not sqlite_wal.start_checkpointer(path, every=0.05)


@pytest.mark.django_db
def test_an_in_memory_database_has_no_log_to_copy():
    connection.ensure_connection()
    running = dict(sqlite_wal._running)
    sqlite_wal.on_connection_created(None, connection)
    assert sqlite_wal._running == running


def test_every_connection_keeps_its_own_checkpoint_as_a_safety_net():
    assert f"wal_autocheckpoint={sqlite_wal.SAFETY_NET_PAGES}" in sqlite_wal.connection_pragmas()
    assert "journal_mode=WAL" in sqlite_wal.connection_pragmas()
