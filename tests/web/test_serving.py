"""gunicorn's configuration for the pages: the application preloaded, the collector's young generation larger."""

from __future__ import annotations

import gc

from openmash.web import serving


def test_the_master_freezes_what_the_application_loaded_and_raises_the_collection_threshold():
    before = gc.get_threshold()
    try:
        serving.when_ready(server=None)
        assert gc.get_threshold() == (serving.GC_THRESHOLD, 10, 10) and gc.get_freeze_count() > 0
        assert serving.preload_app and serving.worker_class == "sync" and serving.workers >= 2
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
