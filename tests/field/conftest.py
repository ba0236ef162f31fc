from tests.mobile_api.conftest import api  # noqa: F401 (the handset API client fixture)
