"""The Redis cache backend, keeping one client object per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache operation, and
building one fills its response-callback table (about 300 entries): on the check API that cost more
than the Redis round trips themselves. A ``redis.Redis`` is safe to share between threads (each
command takes a connection from the pool) and the pool re-creates its connections after a fork.
"""

import logging

from django.core.cache.backends import redis as django_redis

logger = logging.getLogger("creditsys")


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


def count_hit(key: str, window: int) -> int:
    """Count one hit on the counter ``key``, which expires ``window`` seconds after its first hit;
    answer the new count (rate limits, login throttling).

    On Redis one round trip (``SET NX EX`` + ``INCR`` in one transaction) instead of the three of
    ``cache.add`` + ``cache.incr`` (Django's ``incr`` checks the key exists first). With the cache
    down nothing is counted (0): the site keeps answering rather than failing every request.
    """
    from django.core.cache import caches

    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            full_key = cache.make_and_validate_key(key)
            pipe = cache._cache.get_client(full_key, write=True).pipeline(transaction=True)
            pipe.set(full_key, 0, ex=window, nx=True)
            pipe.incr(full_key)
            return pipe.execute()[1]
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=window)
            return 1
    except Exception:  # noqa: BLE001 — cache down
        logger.warning("counter %s not counted: cache unavailable", key.split(":", 1)[0])
        return 0
