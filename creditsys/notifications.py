"""Notifications and their outbox (SPEC §3): staff inbox, e-mail, messages to applicants.

``notify()`` is called inside the business transaction, so a message exists exactly when the change
it reports was committed. Its ``key`` is unique (``Notification.dedupe_key``): calling it twice for
the same event returns the first row and creates nothing. E-mails are delivered after commit by
``deliver_due()``: nudged through Celery once the transaction commits, and swept by beat every minute
so that a message survives the broker being down. Each e-mail row is locked (``SKIP LOCKED``) while it
is sent, so two workers never send the same message; failures are retried with back-off.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import audit
from .models import Notification

logger = logging.getLogger("creditsys.notifications")

MAX_ATTEMPTS = 8


def notify(
    *,
    key: str,
    channel: str,
    title: str,
    body: str = "",
    user_id: int | None = None,
    department_id: int | None = None,
    email: str = "",
    tracking_number: str = "",
    link: str = "",
    instance=None,
) -> tuple[Notification, bool]:
    """Create one notification unless one with ``key`` exists; returns ``(notification, created)``."""
    if channel not in Notification.Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    existing = Notification.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing, False
    pending = channel == Notification.Channel.EMAIL
    now = timezone.now()
    row = Notification(
        dedupe_key=key[:200],
        channel=channel,
        recipient_user_id=user_id,
        recipient_department_id=department_id,
        recipient_email=email,
        tracking_number=tracking_number,
        title=title[:200],
        body=body[:4000],
        link=link[:300],
        object_type=instance._meta.label_lower if instance is not None else "",
        object_id=str(instance.pk) if instance is not None else "",
        status=Notification.Status.PENDING if pending else Notification.Status.SENT,
        next_attempt_at=now if pending else None,
        sent_at=None if pending else now,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same event, written concurrently by another worker
        return Notification.objects.get(dedupe_key=key[:200]), False
    if pending:
        from creditsys.queue import enqueue_after_commit

        from .tasks import deliver_notifications

        enqueue_after_commit(deliver_notifications)
    return row, True


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 240))


def deliver_due(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Send pending e-mails whose time has come; safe to run twice or in several workers at once."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due = list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            qs = Notification.objects.filter(pk=pk, status=Notification.Status.PENDING)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            row = qs.first()
            if row is None:  # sent meanwhile, or another worker holds it
                continue
            row.attempts += 1
            try:
                send_mail(
                    row.title,
                    row.body,
                    settings.DEFAULT_FROM_EMAIL,
                    [row.recipient_email],
                    fail_silently=False,
                )
            except Exception as exc:  # noqa: BLE001 - any transport error is retried
                row.last_error = str(exc)[:500]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = Notification.Status.FAILED
                    counts["failed"] += 1
                    audit.record(action="event", instance=row, reason=f"邮件多次发送失败：{row.last_error}"[:500])
                else:
                    row.next_attempt_at = now + backoff(row.attempts)
                    counts["retry"] += 1
                logger.warning("mail to notification %s failed: %s", row.pk, exc)
            else:
                row.status = Notification.Status.SENT
                row.sent_at = timezone.now()
                row.last_error = ""
                counts["sent"] += 1
            row.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
    return counts


def inbox_for(user) -> QuerySet:
    """Inbox messages addressed to ``user`` or to the user's department."""
    cond = Q(recipient_user_id=user.pk)
    if getattr(user, "department_id", None):
        cond |= Q(recipient_department_id=user.department_id, recipient_user_id__isnull=True)
    return Notification.objects.filter(cond, channel=Notification.Channel.INBOX)


def mark_read(*, user, ids) -> int:
    return inbox_for(user).filter(pk__in=list(ids), read_at__isnull=True).update(read_at=timezone.now())


def applicant_messages(tracking_number: str) -> QuerySet:
    return Notification.objects.filter(
        channel=Notification.Channel.APPLICANT, tracking_number=tracking_number
    ).order_by("created_at", "pk")
