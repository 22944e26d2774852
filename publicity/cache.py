"""Caching of public pages, invalidated whenever public data changes.

Pages are cached under a site-wide version number kept in the shared cache; any save or delete of a
subject, record, commitment, list entry, measure or article bumps it, so every web process stops
serving the old pages at once. Only anonymous GET requests are cached.
"""

from __future__ import annotations

import functools
import hashlib
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse

from creditsys import versions

logger = logging.getLogger("creditsys.publicity")

VERSION_KEY = versions.register("publicity:version")
TIMEOUT = 300


def current_version() -> int | None:
    return versions.current(VERSION_KEY)


def _bump() -> None:
    versions.bump(VERSION_KEY)


def invalidate(*args, **kwargs) -> None:
    """Bump the version once the change commits, once per transaction however many rows changed."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _bump()
        return
    if not any(item[1] is _bump for item in connection.run_on_commit):
        transaction.on_commit(_bump)


def public_page(view):
    """Cache a public view's response for anonymous GETs, keyed by the data version and URL."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        version = current_version()
        if version is None:  # the shared cache is down: serve the page uncached
            return view(request, *args, **kwargs)
        digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
        key = f"publicity:page:{version}:{digest}"
        try:
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 — the cache went away since: the page, uncached
            logger.warning("page cache unavailable: serving uncached")
            return view(request, *args, **kwargs)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
            response["X-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            try:
                cache.set(key, (response.content, response["Content-Type"]), timeout=TIMEOUT)
            except Exception:  # noqa: BLE001
                logger.warning("page cache unavailable: page not stored")
        return response

    return wrapper


def _audited_change(sender, instance, created, **kwargs):
    # Every service records its changes in the audit log, bulk updates of the sweeps included.
    if created and instance.action != "read":
        invalidate()


def _connect():
    from creditsys.models import AuditEvent
    from registry.models import LicenseRecord, PenaltyRecord, Subject
    from registry.models.commitments import Commitment
    from sanctions.models import ListEntry, Measure

    from .models import Article

    for model in (Subject, LicenseRecord, PenaltyRecord, Commitment, ListEntry, Measure, Article):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"publicity-invalidate-save-{model.__name__}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"publicity-invalidate-del-{model.__name__}")
    post_save.connect(_audited_change, sender=AuditEvent, dispatch_uid="publicity-invalidate-audit")


_connect()
