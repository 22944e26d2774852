"""Change feed (``ChangeEvent``) and webhook outbox: entry and measure changes become events in id
order; a published or removed entry is queued for the matching subscriptions and delivered as signed
POSTs, with exponential backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from registry.scoping import scope_for_client

from ..models import ChangeEvent, ListEntry, Measure, WebhookDelivery, WebhookSubscription

logger = logging.getLogger("creditsys.sanctions")


def _on_commit_enqueue(task_name: str) -> None:
    """Nudge a worker after commit; the beat sweep delivers anyway if the broker is down."""

    def send():
        try:
            from .. import tasks

            getattr(tasks, task_name).delay()
        except Exception:  # noqa: BLE001 - Redis down must never break the request
            logger.warning("could not enqueue %s; the beat sweep will pick it up", task_name)

    transaction.on_commit(send)


CHANGE_FEED_LOCK = 0x43484746  # 'CHGF'


def _change(kind: str, *, entry: ListEntry | None = None, measure: Measure | None = None) -> ChangeEvent:
    payload = {"event": kind}
    if entry is not None:
        payload["entry"] = entry_payload(entry)
    if measure is not None:
        payload["measure"] = {
            "code": measure.code,
            "version": measure.version,
            "name": measure.name,
            "status": measure.status,
        }
    # Ids must become visible in id order, or a client reading ``?after=<id>`` could skip an event
    # committed late by a slower transaction: serialise the inserts until commit (PostgreSQL).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_FEED_LOCK])
    change = ChangeEvent.objects.create(
        kind=kind,
        entry=entry,
        measure=measure,
        region_id=entry.region_id if entry else None,
        department_id=entry.initiating_department_id if entry else None,
        payload=payload,
    )
    if entry is not None and kind in (ChangeEvent.Kind.ENTRY_PUBLISHED, ChangeEvent.Kind.ENTRY_REMOVED):
        _queue_webhooks(change, entry)
    return change


def entry_payload(entry: ListEntry) -> dict:
    subject = entry.subject
    return {
        "id": entry.pk,
        "subject": {"name": subject.name, "code": subject.code, "kind": subject.kind},
        "list_type": entry.list_type,
        "category": entry.category,
        "status": entry.status,
        "basis_document": entry.basis_document,
        "initiating_department": entry.initiating_department.uscc,
        "region": entry.region.code,
        "decision_date": entry.decision_date.isoformat(),
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "removal_reason": entry.removal_reason,
        "suspended": entry.is_suspended,
        "source_entry": entry.source_entry_id,
    }


def subscription_matches(sub: WebhookSubscription, entry: ListEntry) -> bool:
    if sub.list_types and entry.list_type not in sub.list_types:
        return False
    if sub.department_id and sub.department_id != entry.initiating_department_id:
        return False
    if sub.region_id and entry.region_id not in sub.region.subtree_ids():
        return False
    return scope_for_client(sub.client).region_allowed(entry.region_id)


def _queue_webhooks(change: ChangeEvent, entry: ListEntry) -> None:
    now = timezone.now()
    subs = WebhookSubscription.objects.filter(is_active=True, client__is_active=True).select_related(
        "client__department__region", "client__region", "region"
    )
    queued = 0
    for sub in subs:
        if subscription_matches(sub, entry):
            WebhookDelivery.objects.get_or_create(subscription=sub, change=change, defaults={"next_attempt_at": now})
            queued += 1
    if queued:
        _on_commit_enqueue("deliver_webhooks")


WEBHOOK_MAX_ATTEMPTS = 10
WEBHOOK_LEASE = timedelta(minutes=5)
WEBHOOK_TIMEOUT = 10


def webhook_backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - admin-set URL
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
        return response.status


def webhook_deliver_due(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Deliver due outbox rows. Each row is claimed with a conditional update (a lease), so two
    sweeps never send the same row at once; failures back off exponentially."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .select_related("subscription", "change")
        .order_by("next_attempt_at", "pk")[:limit]
    )
    for delivery in due:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=now + WEBHOOK_LEASE, attempts=delivery.attempts + 1)
        if not claimed:
            continue
        attempts = delivery.attempts + 1
        body = json.dumps(
            {"id": delivery.change_id, "delivery": delivery.pk, **delivery.change.payload},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "creditsys-webhook/1",
            "X-Creditsys-Event": delivery.change.kind,
            "X-Creditsys-Delivery": str(delivery.pk),
            "X-Creditsys-Signature": webhook_signature(delivery.subscription.secret, timestamp, body),
        }
        error, code = "", None
        try:
            code = _post(delivery.subscription.url, body, headers)
        except urllib.error.HTTPError as exc:
            code, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(exc)[:500] or exc.__class__.__name__
        if code is not None and 200 <= code < 300:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.DELIVERED,
                delivered_at=timezone.now(),
                last_status_code=code,
                last_error="",
            )
            counts["delivered"] += 1
        elif attempts >= WEBHOOK_MAX_ATTEMPTS:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.FAILED, last_status_code=code, last_error=error or f"HTTP {code}"
            )
            counts["failed"] += 1
        else:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=now + webhook_backoff(attempts),
                last_status_code=code,
                last_error=error or f"HTTP {code}",
            )
            counts["retry"] += 1
    return counts
