"""Settings from the environment, checked in a fresh interpreter each time."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    test_only = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECURE_SSL_REDIRECT", "DATABASE_POOL_MAX",
                 "CHANNEL_LAYER_PREFIX")  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if k not in test_only}
    # Never the checkout's own db.sqlite3: after `scripts/demo` it holds the demo city, whose data
    # (its calendar's years, say) the checks would judge. An empty file, unless a test names one.
    clean["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='citymgmt-manage-')}/empty.sqlite3"
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
        ALLOWED_HOSTS="city.example.org", REDIS_URL="redis://127.0.0.1:6379/0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_that_an_in_memory_channel_layer_reaches_one_process():
    production = dict(
        DEBUG="0", SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="city.example.org",
    )  # fmt: skip
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production)
    assert result.returncode != 0
    assert "citymgmt.W001" in result.stderr
    assert "reaches only its own process" in result.stderr
    # Development (DEBUG on) runs one process: no warning.
    result = run_manage("check", "--deploy", **{**production, "DEBUG": "1"})
    assert "citymgmt.W001" not in result.stdout + result.stderr


def test_channel_layer_limits_and_database_pool_come_from_settings():
    """redis-py's default pool cap (100) failed at ~100 sockets a process: the layer's pool is raised
    (REDIS_MAX_CONNECTIONS), and PostgreSQL connections come from a small per-process pool."""
    script = (
        "from django.conf import settings; from channels_redis.utils import create_pool; "
        "host = settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]; pool = create_pool(host); "
        "print(pool.max_connections, pool.connection_kwargs['socket_connect_timeout'], "
        "settings.CHANNEL_LAYERS['default']['CONFIG'].get('capacity'), "
        "settings.DATABASES['default']['OPTIONS']['pool']['max_size'], settings.DATABASES['default']['CONN_MAX_AGE'], "
        "settings.CHANNEL_LAYERS['default']['CONFIG']['prefix'])"
    )
    common = dict(DEBUG="1", DATABASE_URL="postgres://u@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/0")
    result = run_manage("shell", "--no-imports", "-c", script, **common)
    assert result.stdout.split() == ["2000", "3.0", "None", "4", "0", "asgi"], result.stderr
    result = run_manage(
        "shell", "--no-imports", "-c", script, **common, REDIS_MAX_CONNECTIONS="5000", DATABASE_POOL_MAX="8",
        CHANNEL_LAYER_BACKEND="channels_redis.core.RedisChannelLayer", CHANNEL_LAYER_CAPACITY="2000",
        CHANNEL_LAYER_PREFIX="city-b",
    )  # fmt: skip
    assert result.stdout.split() == ["5000", "3.0", "2000", "8", "0", "city-b"], result.stderr
