"""How gunicorn serves the pages: ``gunicorn -c python:openmash.web.serving openmash.config.wsgi``.

Command-line options still win over these (``--bind``, ``--workers``).

- **Sync workers, two per CPU** (``OPENMASH_WEB_WORKERS`` to change it). A page is CPU-bound Python between
  short PostgreSQL reads: a second worker per CPU covers the time one waits on the database, more only adds
  memory and queueing inside the server; threads do not run Python in parallel under the GIL.
- **The application is loaded once, in the master, before the workers are forked** (``preload_app``), and the
  objects it made (modules, URL patterns, templates, Django's registry) are then frozen out of the garbage
  collector's reach (``gc.freeze``): a collection no longer walks them, and the workers share their pages.
- **Young-generation collections every** ``OPENMASH_GC_THRESHOLD`` **allocations (default 50,000), not 700.**
  A page creates tens of thousands of short-lived objects (a child's page makes ~140,000 function calls), nearly
  all freed by reference counting as the request goes; at 700 the collector runs many times a page for almost
  nothing. Cycles are still collected, a few times a page. Measured (docs/benchmarks.md, "Casework pages under
  load"): in an in-process loop a child page's Python CPU p50 was 45–51 ms with it, 49–69 ms without (two pairs);
  under gunicorn 41 ms a page without it, 34–41 ms with it (two runs: not isolated from the run-to-run spread).
"""

from __future__ import annotations

import gc
import os
from typing import Any

workers = int(os.environ.get("OPENMASH_WEB_WORKERS", 2 * (os.cpu_count() or 1)))
worker_class = "sync"
preload_app = True
GC_THRESHOLD = int(os.environ.get("OPENMASH_GC_THRESHOLD", 50_000))


def when_ready(server: Any) -> None:
    """In the master, once the application is loaded and before any worker is forked."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)


def post_fork(server: Any, worker: Any) -> None:
    gc.set_threshold(GC_THRESHOLD, 10, 10)
