"""Settings from the environment, checked in a fresh interpreter each time."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    test_only = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECURE_SSL_REDIRECT")
    clean = {k: v for k, v in os.environ.items() if k not in test_only}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_secret_key_is_required_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="city.example.org",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
