"""Celery tasks: thin wrappers around the sweeps in ``sanctions.services`` (beat runs them)."""

from celery import shared_task

from creditsys import context

from . import services


@shared_task(name="sanctions.tasks.sweep_overdue_tasks")
def sweep_overdue_tasks() -> dict:
    with context.acting(actor="beat", channel="task"):
        return services.tasks_sweep_overdue()


@shared_task(name="sanctions.tasks.sweep_expired_entries")
def sweep_expired_entries() -> dict:
    with context.acting(actor="beat", channel="task"):
        return services.entries_sweep_expired()


@shared_task(name="sanctions.tasks.deliver_webhooks")
def deliver_webhooks() -> dict:
    with context.acting(actor="beat", channel="task"):
        return services.webhook_deliver_due()
