"""Throttle failed logins per username and per client address (SPEC §14).

Counters live in the shared cache (Redis in production), so every web process sees them.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from creditsys.cache import count_hit


def _keys(username: str, ip: str) -> list[str]:
    user_key = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:24]
    return [f"login-fail:user:{user_key}", f"login-fail:ip:{ip}"]


def is_locked(username: str, ip: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    user_key, ip_key = _keys(username, ip)
    # The address may try a few accounts; a single account is locked after `limit` failures.
    return (cache.get(user_key) or 0) >= limit or (cache.get(ip_key) or 0) >= limit * 4


def record_failure(username: str, ip: str) -> None:
    for key in _keys(username, ip):
        count_hit(key, settings.LOGIN_LOCKOUT_SECONDS)


def reset(username: str, ip: str) -> None:
    cache.delete(_keys(username, ip)[0])
