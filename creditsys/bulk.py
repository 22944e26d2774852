"""One-statement INSERT of many new model instances (``bulk_insert``), for bulk writers such as the
record import (records, their revisions and their audit entries).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

from django.db import connections, router
from django.db.models import Model

# Column types whose Python values become JSON that PostgreSQL reads back as the same value.
_JSON_SAFE_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "JSONField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _json_default(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision (the audit hash covers the timestamp)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} through bulk_insert")


def _json_safe(field) -> bool:
    return field.get_internal_type() in _JSON_SAFE_TYPES and getattr(field, "encoder", None) is None


def bulk_insert(objs: list[Model]) -> None:
    """Insert new instances of one model in ONE statement and set their primary keys.

    Like ``bulk_create`` (no ``save()``, no signals; ``auto_now``/``auto_now_add`` are applied; ids
    ascend in list order) but much cheaper on PostgreSQL for wide rows and JSON columns: Django 5.2
    sends each column as an array, and with client-side binding psycopg builds every array element
    in Python (escaping JSON documents quote by quote), which cost more than the INSERT. Here all
    rows travel as ONE JSON text read by ``json_populate_recordset``. Other databases, or models
    with column types this does not know: ``bulk_create``.
    """
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    if connection.vendor != "postgresql" or len(objs) == 1 or not all(_json_safe(f) for f in fields):
        model._default_manager.db_manager(alias).bulk_create(objs)
        return
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    rows = []
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, add=True)
        rows.append({f.column: getattr(obj, f.attname) for f in fields})
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 (names from the model)
        f"FROM json_populate_recordset(NULL::{table}, %s::json) WITH ORDINALITY AS r "
        f"ORDER BY r.ordinality RETURNING {quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, ensure_ascii=False, default=_json_default)])
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk_value in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = alias
