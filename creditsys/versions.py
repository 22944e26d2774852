"""Version numbers in the shared cache behind per-process memos (measure catalogue, API clients,
the public page cache).

A process keeps data loaded from the database for as long as the version it read with it is still
the one in the shared cache; whoever changes the data bumps the version at once and again after
commit (so a process that read the new version before the change committed cannot keep old data
under it). Without a working cache, ``current`` answers None and callers read the database.

During a request (``request_snapshot``, opened by the request-context middleware) every registered
version is read in ONE cache round trip, the first time any of them is asked for, and kept for the
rest of the request: a check needs two of them, a public page one more. A web process also lets the
requests that start within ``settings.VERSIONS_MAX_AGE`` seconds of such a read use what it read:
that round trip cost a sixth of a check's CPU. So a change made in another process is seen by
requests starting at most that long after it (0.2 s by default; 0 reads them for every request);
the process that made the change sees it at once. Outside requests (tasks, commands) every call reads.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("creditsys")

_registered: set[str] = set()
_snapshot: ContextVar[dict | None] = ContextVar("creditsys_versions_snapshot", default=None)
# The versions this process's requests read last, and when (time.monotonic()).
_recent: dict = {"values": {}, "read_at": float("-inf")}


def register(key: str) -> str:
    """Declare a version key, so that a request reads it with the others."""
    _registered.add(key)
    return key


@contextmanager
def request_snapshot():
    fresh = time.monotonic() - _recent["read_at"] < settings.VERSIONS_MAX_AGE
    token = _snapshot.set(dict(_recent["values"]) if fresh else {})
    try:
        yield
    finally:
        _snapshot.reset(token)


def current(key: str) -> int | None:
    snapshot = _snapshot.get()
    if snapshot is not None and key in snapshot:
        return snapshot[key]
    keys = sorted(_registered | {key}) if snapshot is not None else [key]
    try:
        found = cache.get_many(keys)
        for missing in [k for k in keys if found.get(k) is None]:
            cache.add(missing, time.time_ns(), timeout=None)
            found[missing] = cache.get(missing)
    except Exception:  # noqa: BLE001 — cache down: the caller reads from the database, never fails
        logger.warning("version %s unavailable (cache down): memo not used", key)
        return None
    if snapshot is not None:
        snapshot.update(found)
        _recent.update(values=dict(snapshot), read_at=time.monotonic())
    return found[key]


def forget_recent() -> None:
    """Make the next request read every version (tests: the cache was emptied)."""
    _recent.update(values={}, read_at=float("-inf"))


def bump(key: str) -> None:
    snapshot = _snapshot.get()
    if snapshot is not None:
        snapshot.pop(key, None)  # this request sees its own change
    _recent["values"].pop(key, None)  # and so do the process's next requests
    try:
        cache.set(key, time.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001
        logger.warning("could not bump version %s (cache down)", key)


def changed(key: str, forget) -> None:
    """The data behind ``key`` changed: ``forget()`` here, and make every process reload it."""

    def bump_and_forget():
        forget()
        bump(key)

    bump_and_forget()
    transaction.on_commit(bump_and_forget)
