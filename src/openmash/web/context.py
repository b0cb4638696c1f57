"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def hub(request: HttpRequest) -> dict[str, Any]:
    return {"service_name": "OpenMASH", "demo_mode": settings.DEMO_MODE, "languages": settings.LANGUAGES}
