"""Version numbers in the shared cache behind per-process memos (measure catalogue, API clients).

A process keeps data loaded from the database for as long as the version it read with it is still
the one in the shared cache; whoever changes the data bumps the version at once and again after
commit (so a process that read the new version before the change committed cannot keep old data
under it). Without a working cache, ``current`` answers None and callers read the database.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("creditsys")


def current(key: str) -> int | None:
    try:
        version = cache.get(key)
        if version is None:
            cache.add(key, time.time_ns(), timeout=None)
            version = cache.get(key)
        return version
    except Exception:  # noqa: BLE001 — cache down: the caller reads from the database, never fails
        logger.warning("version %s unavailable (cache down): memo not used", key)
        return None


def bump(key: str) -> None:
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
