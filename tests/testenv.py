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
