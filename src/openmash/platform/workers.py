"""Worker processes for CPU-bound batch work, started fresh rather than forked.

A forked child inherits a copy of every lock the parent held in its other threads at the moment of the fork;
after DuckDB, Arrow or Splink have run threads in the parent (``openmash link train`` then ``link rebuild`` in one
process), the children died in libc on their first task and the parent waited for them for ever. A spawned
worker starts a new interpreter: slower to start (about a second), never in that state. And a pool of
``concurrent.futures`` raises ``BrokenProcessPool`` when a worker dies, where ``multiprocessing.Pool`` waits.

This module imports nothing from Django at import time: it is what a new worker imports first.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def setup_django() -> None:
    """A worker's initializer: Django set up as in the parent (same settings module, same environment)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    import django

    django.setup()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh processes with Django set up, for work that needs no database connection."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=setup_django)
