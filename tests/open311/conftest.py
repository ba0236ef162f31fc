import pytest


@pytest.fixture
def api_key(city):
    """A posting client (source label 12345) and its key."""
    from open311.models import ApiClient

    client = ApiClient(name="12345 平台", source_label="12345", rate_limit_per_minute=1000)
    key = client.new_key()
    client.save()
    return key


@pytest.fixture
def own_cache(settings):
    """A cache of this test's own: under xdist, another worker's cache.clear() on a shared Redis
    database would reset a rate-limit count in the middle of the test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "open311"}}
