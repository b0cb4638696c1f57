"""Browser journeys: Playwright driving Debian's chromium against a live server, axe on every page."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

AXE = Path(__file__).with_name("axe.min.js")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def pytest_collection_modifyitems(items):
    for item in items:
        if "journeys" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def axe_check():
    """Run axe-core on the current page; fail on any serious or critical violation."""
    source = AXE.read_text(encoding="utf-8")

    def check(page) -> list[dict]:
        page.evaluate(source)  # evaluate is not an inline <script>, so the page's strict CSP stays on
        result = page.evaluate("async () => JSON.stringify((await axe.run()).violations)")
        violations = [v for v in json.loads(result) if v["impact"] in {"serious", "critical"}]
        if violations:
            page.screenshot(path="/tmp/axe-fail.png")
        assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations]
        return violations

    return check


@pytest.fixture
def screenshot(request):
    """Save a screenshot under the folder given by --screenshots (make screenshots), else do nothing."""
    folder = request.config.getoption("--screenshots")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
