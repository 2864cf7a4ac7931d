"""Shared helpers for the hostile-input tests (issue #8)."""
import uuid

import pytest
from rest_framework.test import APIClient


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error_shape(response, status):
    """A clear 4xx in the API's one error shape: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), body
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]


def finding_body(**overrides):
    body = {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [111.605, 40.705]},
            "category": "extension", "stage": "under_construction", "address": "村东头",
            "description": "院外加盖彩钢房", "party_name": "张三"}
    body.update(overrides)
    return body


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
