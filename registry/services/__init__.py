"""Registry services (every state change), one module per purpose, re-exported here."""

from .subjects import (
    AUDIT_EXCLUDE,
    EDITABLE_FIELDS,
    may_reveal_id_numbers,
    refresh_search_fields,
    relation_add,
    relation_add_person,
    relation_end,
    subject_code_add,
    subject_create,
    subject_record_read,
    subject_reveal_id_number,
    subject_update,
)

__all__ = [
    "AUDIT_EXCLUDE",
    "EDITABLE_FIELDS",
    "may_reveal_id_numbers",
    "refresh_search_fields",
    "relation_add",
    "relation_add_person",
    "relation_end",
    "subject_code_add",
    "subject_create",
    "subject_record_read",
    "subject_reveal_id_number",
    "subject_update",
]
