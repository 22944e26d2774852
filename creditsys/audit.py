"""Writing and verifying the audit log (SPEC §14).

``record()`` is called by services for every change and every read of non-public data. Rows are
chained by hash; appends are serialised (an advisory lock on PostgreSQL, the write lock on SQLite)
so that the chain has one order.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from . import context
from .models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x43524544  # 'CRED': one advisory lock for the chain


def snapshot(instance: Model, exclude: tuple[str, ...] = ()) -> dict:
    """A JSON-safe dict of a model's concrete fields (foreign keys by id)."""
    data = {}
    for f in instance._meta.concrete_fields:
        if f.attname in exclude or f.name in exclude:
            continue
        value = getattr(instance, f.attname)
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal | uuid.UUID):
            value = str(value)
        elif isinstance(value, bytes | memoryview):
            continue
        data[f.attname] = value
    return data


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the keys that changed, to keep update entries readable."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@transaction.atomic
def record(
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
    ctx = context.current()
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)[:200]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
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
        prev_hash=last or GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


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
