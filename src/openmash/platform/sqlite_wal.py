"""SQLite, the embedded default: the write-ahead log copied back into the database by a background thread, as
PostgreSQL's checkpointer process does, not by whichever commit crosses SQLite's threshold.

SQLite's own automatic checkpoint runs inside the COMMIT that takes the log past ``wal_autocheckpoint`` pages
(1,000 by default): that one ingest copies about 4 MB back into the database file before it returns. On the 1M
real-time bench (docs/benchmarks.md, "Real time") that put a few milliseconds on one ingest in twenty or thirty,
enough to move the identity stage's 95th percentile by 2 ms. Here each process that opens a SQLite database file
starts one daemon thread that checkpoints it every ``CHECKPOINT_SECONDS`` (PASSIVE: it never waits for, or blocks,
a reader or a writer; whatever a reader still needs is copied on a later pass). Each connection's own automatic
checkpoint stays on as a safety net, at ``SAFETY_NET_PAGES``, reached only if the thread falls behind.

A checkpoint copies; it never decides what is committed: a commit is durable in the log (``synchronous=NORMAL``:
up to the last checkpoint or the operating system's flush), and a log left behind by a stopped process is replayed
by the next connection that opens the database.
"""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import threading
from typing import Any

logger = logging.getLogger(__name__)

#: How often the thread checkpoints (seconds): the log holds at most about this long's writes.
CHECKPOINT_SECONDS = 1.0
#: Each connection's ``wal_autocheckpoint``: the commit that takes the log past this many pages (about 40 MB)
#: checkpoints itself, as SQLite does by default at 1,000, should the thread fall behind.
SAFETY_NET_PAGES = 10_000

#: The database files this process checkpoints, each with the process id that started its thread (a forked child
#: starts its own: threads do not survive a fork).
_running: dict[str, int] = {}
_lock = threading.Lock()


def connection_pragmas() -> str:
    """The pragmas each connection runs when it opens (``settings.DATABASES``'s ``init_command``)."""
    return f"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES};"


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: the first connection of this process to a SQLite database file starts its
    checkpointer (an in-memory database has no log)."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    start_checkpointer(str(connection.settings_dict["NAME"]))


def start_checkpointer(path: str, *, every: float | None = None) -> bool:
    """Start this process's checkpointer of the database file at ``path`` unless it runs; True when started."""
    with _lock:
        if _running.get(path) == os.getpid():
            return False
        _running[path] = os.getpid()
    stop = threading.Event()
    thread = threading.Thread(target=_checkpoint_until, args=(path, every or CHECKPOINT_SECONDS, stop),
                              name="openmash-sqlite-checkpoint", daemon=True)
    thread.start()
    atexit.register(_stop, stop, thread)
    return True


def _stop(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    thread.join(timeout=5)


def _checkpoint_until(path: str, every: float, stop: threading.Event) -> None:
    """Checkpoint ``path`` every ``every`` seconds until ``stop``, on a connection of its own. The sqlite3 module
    lets go of the interpreter while SQLite copies, so the process's other threads run meanwhile."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        while not stop.wait(every):
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as error:  # the file gone or locked for longer than the timeout: try again later
                logger.warning("SQLite checkpoint of %s failed: %s", path, error)
    finally:
        connection.close()
