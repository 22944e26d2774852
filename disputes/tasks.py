"""Celery tasks of the disputes app (thin wrappers; the rules are in ``disputes.services``)."""

from celery import shared_task

from creditsys import context

from . import services


@shared_task(name="disputes.tasks.deadlines_sweep")
def deadlines_sweep() -> dict:
    with context.acting(actor="beat", channel="task"):
        return services.deadlines_sweep()
