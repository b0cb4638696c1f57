"""Production settings pass Django's deployment checklist."""

from __future__ import annotations

import os
import subprocess
import sys


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {**os.environ, "OPENMASH_PRODUCTION": "1", "OPENMASH_SECRET_KEY": "k" * 20 + "Zq9!xY7@wV5#uT3$sR1%pO8^nM6&lK4*",
           "OPENMASH_ALLOWED_HOSTS": "mash.example.org", "OPENMASH_VAR_DIR": str(tmp_path),
           "OPENMASH_FIELD_KEYS": "Wd1nY1j1kLr0cY4VY1bA2b3Xf4Zc5Ud6Ve7Wf8Xg9Yh="}
    env.pop("OPENMASH_TESTING", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser journeys for Playwright, never in production
    result = subprocess.run([sys.executable, "-m", "openmash.cli", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "OPENMASH_PRODUCTION": "1", "OPENMASH_VAR_DIR": str(tmp_path)}
    env.pop("OPENMASH_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "openmash.cli", "check"], env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode != 0
    assert "OPENMASH_SECRET_KEY" in result.stderr
