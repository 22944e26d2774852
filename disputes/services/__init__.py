"""Disputes services (every state change), one module per purpose, re-exported here.

Objections and credit repair (SPEC §9–11). Keyword-only, atomic, audited. Filing an objection marks
its target 存在异议 (an open objection is the mark) and suspends at once every list entry depending
on it (联合惩戒措施在信息核实期间暂不执行). Decisions are taken with a conditional UPDATE on the
status: two reviewers deciding at once get exactly one decision, and its effects (correction,
withdrawal/removal with lift tasks, or the suspension lifted) are applied in the same transaction.
Deadline events are fired by ``deadlines_sweep`` (beat), once per (item, kind).
"""

from .deadlines import (
    EVENT_TEXT,
    deadlines_recompute_provisional,
    deadlines_sweep,
    plan,
    working_days_before,
)
from .intake import ALLOWED_TYPES, MAX_FILES, MAX_UPLOAD_BYTES, query_code_hash
from .objections import ACTIVE_ENTRY_STATES, dependent_entries, objection_decide, objection_file, objection_route
from .repairs import default_statement, repair_accept, repair_apply, repair_decide
from .routing import REVIEWER_ROLES, credit_office

__all__ = [
    "ACTIVE_ENTRY_STATES",
    "ALLOWED_TYPES",
    "EVENT_TEXT",
    "MAX_FILES",
    "MAX_UPLOAD_BYTES",
    "REVIEWER_ROLES",
    "credit_office",
    "deadlines_recompute_provisional",
    "deadlines_sweep",
    "default_statement",
    "dependent_entries",
    "objection_decide",
    "objection_file",
    "objection_route",
    "plan",
    "query_code_hash",
    "repair_accept",
    "repair_apply",
    "repair_decide",
    "working_days_before",
]
