import pytest
from rest_framework.test import APIClient

from mobile_api.models import ApiToken


@pytest.fixture
def api(city):
    """api("inspector1") → an APIClient sending that user's token."""

    def client_for(username=None):
        client = APIClient()
        if username:
            _, raw = ApiToken.issue(city.user(username))
            client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
            client.raw_token = raw
        return client

    return client_for
