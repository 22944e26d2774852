"""Enqueueing Celery tasks safely: only after the surrounding transaction commits."""

import logging

from django.db import transaction

logger = logging.getLogger("creditsys.queue")


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Send ``task`` once the current transaction commits; nothing is sent for rolled-back work.

    If the broker is down the error is logged, not raised: the state that matters is already in the
    database and the beat sweeps pick it up, so a web request never fails because Redis is away.
    """

    def send():
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:  # noqa: BLE001 - the sweep is the safety net
            logger.exception("could not enqueue %s; the periodic sweep will handle it", task.name)

    transaction.on_commit(send)
