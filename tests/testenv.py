"""Loaded with `-p tests.testenv` (pyproject addopts) before pytest-django reads the settings.

Tests run with production-like defaults (DEBUG off) and a throwaway key.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEBUG", "0")
# Plain static files straight from the apps: the tests run no collectstatic (production's hashed,
# compressed files are tested by tests/citymgmt/test_static_release.py in a subprocess).
os.environ.setdefault("PLAIN_STATIC_FILES", "1")
# Photos written by tests go to a throwaway folder, not the checkout.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="citymgmt-test-media-"))
# No connection pool in the test process: tests start threads of their own (concurrency tests, the
# cluster tests' writers) that never hand their connection back, and a pool of 4 ran dry after them
# (every later test: "couldn't get a connection after 3.00 sec"). Servers the tests start get the
# production pool back (tests/live.py, tests/cluster.py).
# Our own channel names on a shared Redis: two test runs side by side (pub/sub channels are not per
# database number) heard each other's board events. Servers the tests start inherit it.
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"citymgmt-test-{os.getpid()}")
TEST_PROCESS_POOL_MAX = os.environ.get("DATABASE_POOL_MAX")
os.environ["DATABASE_POOL_MAX"] = "0"
