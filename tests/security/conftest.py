"""Browser fixtures of the journey harness (Debian chromium, axe), shared with the security browser tests."""

from tests.journeys.conftest import axe_check, browser_type_launch_args, screenshot  # noqa: F401
