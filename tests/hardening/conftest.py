"""Shared helpers for the hostile-input tests (issue #8)."""
import os
import signal
import time
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
            "accuracy_m": 8, "category": "extension", "stage": "under_construction", "address": "村东头",
            "description": "院外加盖彩钢房", "party_name": "张三"}
    body.update(overrides)
    return body


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class RedisServer:
    """A redis-server of a test's own, on a free port; ``hang()`` stops it with SIGSTOP, after which the kernel
    still accepts connections but nothing answers them (a hung broker, a half-open network path)."""

    def __init__(self):
        import subprocess

        from tests.worker.conftest import free_port

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        for _ in range(50):
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return
            except redis.exceptions.RedisError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def hang(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def close(self):
        os.kill(self.process.pid, signal.SIGCONT)
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.close()
