"""The cache: shared through Redis when there is one, and never the reason a request fails.

It holds the API's throttle counters. In local memory each gunicorn process would count on its own (four
processes, four times the limit); in Redis they count together. When Redis is down or stops answering, a read is
a miss and a write is dropped, so requests go on unthrottled for a while rather than failing, as pages and
findings must keep working without the broker (which is the same Redis).
"""
import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_LOG_EVERY_S = 60


def _fail_open(default=None):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                now = time.monotonic()
                if now - self._last_logged > _LOG_EVERY_S:  # one line a minute, not one per request
                    self._last_logged = now
                    logger.warning("Cache unavailable (%s); going on without it", exc)
                if method.__name__ == "get":  # get(key, default=None): the caller's default
                    return args[1] if len(args) > 1 else kwargs.get("default")
                return default() if callable(default) else default
        return call
    return wrap


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, except that Redis failing reads as a miss and a write as dropped."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._last_logged = float("-inf")

    get = _fail_open()(RedisCache.get)
    set = _fail_open()(RedisCache.set)
    add = _fail_open(False)(RedisCache.add)
    touch = _fail_open(False)(RedisCache.touch)
    delete = _fail_open(False)(RedisCache.delete)
    has_key = _fail_open(False)(RedisCache.has_key)
    get_many = _fail_open(dict)(RedisCache.get_many)
    set_many = _fail_open(list)(RedisCache.set_many)
    delete_many = _fail_open()(RedisCache.delete_many)
    incr = _fail_open(0)(RedisCache.incr)

    @_fail_open(False)
    def clear(self):
        # Only our keys: RedisCache.clear() is FLUSHDB, which would also empty Celery's queue on the same database.
        client = self._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            client.delete(key)
        return True
