"""The Redis cache of production and make-run-with-Redis: shared between processes, and harmless when Redis fails."""
import time

import pytest
from django.core.cache.backends.locmem import LocMemCache

from config.cache import FailOpenRedisCache
from tests.worker.conftest import free_port


def make(url):
    return FailOpenRedisCache(url, {"KEY_PREFIX": "xuncha-test",
                                     "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})


def test_the_test_settings_keep_throttles_in_local_memory():
    from django.core.cache import caches

    assert isinstance(caches["default"], LocMemCache)


def test_two_processes_share_the_counts_and_clear_leaves_other_keys_alone():
    import redis

    url = "redis://127.0.0.1:6379/9"  # a database no test broker uses (they take 10-15)
    web_1, web_2 = make(url), make(url)
    other = redis.Redis.from_url(url)
    other.set("celery-queue-stand-in", "kept")
    try:
        web_1.set("throttle_user_1", [1.0, 2.0], 60)
        assert web_2.get("throttle_user_1") == [1.0, 2.0]
        web_2.clear()
        assert web_1.get("throttle_user_1") is None
        assert other.get("celery-queue-stand-in") == b"kept"
    finally:
        other.delete("celery-queue-stand-in")


def test_a_redis_that_is_down_or_hung_reads_as_an_empty_cache_quickly(redis_server):
    import logging

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("config.cache").addHandler(handler)
    try:
        down = make(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
        assert down.get("throttle_user_1", []) == [] and down.get("x") is None
        assert down.set("throttle_user_1", [1.0], 60) is None and down.add("k", 1) is False
    finally:
        logging.getLogger("config.cache").removeHandler(handler)
    assert len(records) == 1 and "Cache unavailable" in records[0].getMessage()  # once, not per call

    hung = make(redis_server.url)
    hung.set("ready", 1, 5)
    assert hung.get("ready") == 1
    redis_server.hang()
    started = time.monotonic()
    assert hung.get("ready", "miss") == "miss"
    assert time.monotonic() - started < 3


def test_api_requests_go_on_when_the_cache_is_down(client, users, settings):
    from django.core.cache import caches

    # Changing the setting makes Django build the caches anew (django.test.signals), and again when restored.
    settings.CACHES = {"default": {"BACKEND": "config.cache.FailOpenRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    assert isinstance(caches["default"], FailOpenRedisCache)
    client.force_login(users["inspector"])
    for _ in range(3):  # each request reads and writes its throttle history
        assert client.get("/api/v1/me/").status_code == 200


pytestmark = pytest.mark.django_db
