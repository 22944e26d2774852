"""Periodic system tasks (thin wrappers; the rules are in ``creditsys.calendar_alerts``)."""

from celery import shared_task

from . import context
from .calendar_alerts import next_year_calendar_status


@shared_task(name="creditsys.tasks.check_next_year_calendar")
def check_next_year_calendar() -> dict:
    with context.acting(actor="beat", channel="task"):
        return next_year_calendar_status(log=True)


@shared_task(name="creditsys.tasks.ping")
def ping(value: str) -> str:
    """Round-trip check of the broker and a worker (used by the health checks and tests)."""
    return f"pong:{value}"


@shared_task(name="creditsys.tasks.deliver_notifications")
def deliver_notifications() -> dict:
    """Outbox: send pending e-mails (also scheduled by beat, so nothing waits on the broker)."""
    from .notifications import deliver_due

    with context.acting(actor="outbox", channel="task"):
        return deliver_due()
