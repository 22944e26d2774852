"""Writing and verifying the audit log (SPEC §14).

``record()`` is called by services for every change and every read of non-public data. Rows are
chained by hash; appends are serialised (an advisory lock on PostgreSQL, the write lock on SQLite)
so that the chain has one order.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import uuid
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_save
from django.utils import timezone

from . import context
from .bulk import attribute_reader, bulk_insert, instance_builder
from .models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x43524544  # 'CRED': one advisory lock for the chain


@functools.cache
def _snapshot_fields(model: type[Model], exclude: tuple[str, ...]) -> tuple[tuple[str, ...], Callable]:
    """The attnames a snapshot holds, and a function reading them all at once (bulk writers
    snapshot every row)."""
    attnames = tuple(
        f.attname for f in model._meta.concrete_fields if f.attname not in exclude and f.name not in exclude
    )
    return attnames, attribute_reader(attnames)


_JSON_PLAIN = frozenset({str, int, bool, type(None)})
_ISO_FORMATTED = (datetime.datetime, datetime.date, datetime.time)
_STRINGIFIED = (decimal.Decimal, uuid.UUID)
_SKIPPED = (bytes, memoryview)


def snapshot(instance: Model, exclude: tuple[str, ...] = ()) -> dict:
    """A JSON-safe dict of a model's concrete fields (foreign keys by id)."""
    attnames, read = _snapshot_fields(type(instance), tuple(exclude))
    data = {}
    for attname, value in zip(attnames, read(instance), strict=True):
        if type(value) in _JSON_PLAIN:  # most fields: no conversion
            data[attname] = value
            continue
        if isinstance(value, _ISO_FORMATTED):
            value = value.isoformat()
        elif isinstance(value, _STRINGIFIED):
            value = str(value)
        elif isinstance(value, _SKIPPED):
            continue
        data[attname] = value
    return data


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the keys that changed, to keep update entries readable."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _event(
    *,
    action: str,
    instance: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    subject_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """An unsaved event in the current request/task context, chained by ``record`` or ``record_many``."""
    ctx = context.current()
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)[:200]
    return instance_builder(AuditEvent)(
        created_at=timezone.now(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        subject_id=subject_id,
        actor_id=ctx.actor_id,
        actor=ctx.actor or "system",
        channel=ctx.channel,
        request_id=ctx.request_id,
        ip=ctx.ip,
        reason=reason[:500],
        before=before,
        after=after,
    )


def lock_chain() -> None:
    """Take the chain's lock, held to the end of the transaction (taking it again is free).

    Appends take it anyway; a writer takes it earlier when it must not hold other locks while
    waiting for it (the import's chunks create subjects only while holding it).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _chain_tip() -> str:
    """Take the chain's lock (held to the end of the transaction) and return the last hash."""
    lock_chain()
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


@transaction.atomic
def record(**fields) -> AuditEvent:
    """Append one event; ``fields`` as ``_event`` (action, instance, subject_id, before, after, …)."""
    event = _event(**fields)
    event.prev_hash = _chain_tip()
    event.hash = event.compute_hash()
    event.save()
    return event


@transaction.atomic(savepoint=False)
def record_many(entries: list[dict]) -> list[AuditEvent]:
    """Append several events in order with one lock and one INSERT (bulk writers such as the import).

    Each entry takes the arguments of ``record``. The rows get ascending ids in list order, so the
    chain verifies as if they had been recorded one by one; ``post_save`` is sent for each, as
    ``record`` would (listeners such as the public page cache react to audited changes).
    """
    events = [_event(**entry) for entry in entries]
    if not events:
        return []
    prev = _chain_tip()
    for event in events:
        event.prev_hash = prev
        event.hash = prev = event.compute_hash()
    bulk_insert(events)
    for event in events:
        post_save.send(
            sender=AuditEvent, instance=event, created=True, update_fields=None, raw=False, using=connection.alias
        )
    return events


def verify_chain() -> tuple[bool, int, str]:
    """Walk the whole chain; returns (ok, rows checked, message)."""
    prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return False, checked, f"第 {event.pk} 条的前序哈希不连续（记录被删除或插入）"
        if event.compute_hash() != event.hash:
            return False, checked, f"第 {event.pk} 条的内容与哈希不符（记录被篡改）"
        prev = event.hash
        checked += 1
    return True, checked, f"审计日志完整，共校验 {checked} 条"
