"""Sanctions services (every state change), one module per purpose, re-exported here.

Web forms, the API, the sweeps and the demo loader all call these; nothing else writes (SPEC §6–§8).
Status moves are conditional UPDATEs (``filter(pk=..., status=old).update(...)``): when two people
act at once exactly one succeeds and the other gets a clear message. Every change is audited.
"""

from .changes import (
    CHANGE_FEED_LOCK,
    WEBHOOK_LEASE,
    WEBHOOK_MAX_ATTEMPTS,
    WEBHOOK_TIMEOUT,
    entry_payload,
    subscription_matches,
    webhook_backoff,
    webhook_deliver_due,
    webhook_signature,
)
from .checks import _check_log_insert as _check_log_insert  # used by bench/floors.py
from .checks import check_perform
from .enforcement import task_create, task_feedback, tasks_recompute_provisional, tasks_sweep_overdue
from .entries import (
    ANSWERABLE_ROLES,
    ENTRY_CORRECTABLE,
    REVIEWER_ROLES,
    entries_sweep_expired,
    entry_correct,
    entry_create,
    entry_notify,
    entry_publish,
    entry_remove,
    entry_resume,
    entry_review,
    entry_submit,
    entry_suspend,
)
from .measures import (
    MEASURE_FIELDS,
    measure_create,
    measure_publish,
    measure_retire,
    measure_revise,
    measure_update,
    memorandum_create,
)

__all__ = [
    "ANSWERABLE_ROLES",
    "CHANGE_FEED_LOCK",
    "ENTRY_CORRECTABLE",
    "MEASURE_FIELDS",
    "REVIEWER_ROLES",
    "WEBHOOK_LEASE",
    "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_TIMEOUT",
    "check_perform",
    "entries_sweep_expired",
    "entry_correct",
    "entry_create",
    "entry_notify",
    "entry_payload",
    "entry_publish",
    "entry_remove",
    "entry_resume",
    "entry_review",
    "entry_submit",
    "entry_suspend",
    "measure_create",
    "measure_publish",
    "measure_retire",
    "measure_revise",
    "measure_update",
    "memorandum_create",
    "subscription_matches",
    "task_create",
    "task_feedback",
    "tasks_recompute_provisional",
    "tasks_sweep_overdue",
    "webhook_backoff",
    "webhook_deliver_due",
    "webhook_signature",
]
