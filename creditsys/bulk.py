"""One-statement INSERT and UPDATE of many model instances (``bulk_insert``, ``bulk_update``), for
bulk writers such as the record import (records, their revisions and their audit entries).
"""

from __future__ import annotations

import json

import orjson
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


def _json_safe(field) -> bool:
    return field.get_internal_type() in _JSON_SAFE_TYPES and getattr(field, "encoder", None) is None


# orjson writes what ``json.dumps(..., default=str)`` writes, 10–20 times faster (the rows of a chunk
# are hundreds of kilobytes): dates and times go through ``str`` as well (orjson's own format puts a
# "T" in datetimes, and audit documents are hashed as written); anything orjson refuses (integers
# beyond 64 bits) falls back to the standard library.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _dumps(rows: list[dict]) -> str:
    try:
        return orjson.dumps(rows, default=str, option=_ORJSON_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(rows, ensure_ascii=False, default=str)


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
    names = [(f.column, f.attname) for f in fields]
    rows = []
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, add=True)
        rows.append({column: getattr(obj, attname) for column, attname in names})
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 (names from the model)
        f"FROM json_populate_recordset(NULL::{table}, %s::json) WITH ORDINALITY AS r "
        f"ORDER BY r.ordinality RETURNING {quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        # str(): dates and times in ISO form with full precision, decimals exactly (the types above).
        cursor.execute(sql, [_dumps(rows)])
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk_value in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = alias


def bulk_update(objs: list[Model], fields: list[str]) -> None:
    """Write ``fields`` of saved instances of one model in ONE statement (``auto_now`` fields are
    stamped, as ``save()`` would; no signals).

    Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per field and row —
    for wide rows (a 双公示 record has 50 columns) compiling it costs tens of milliseconds per row.
    Here the new values travel as one JSON text, joined on the primary key. Other databases, or
    column types this does not know: ``bulk_update``.
    """
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    pk = model._meta.pk
    targets = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql" or not all(_json_safe(f) for f in [pk, *targets]):
        for field in targets:
            if getattr(field, "auto_now", False):
                for obj in objs:
                    field.pre_save(obj, add=False)
        model._default_manager.db_manager(alias).bulk_update(objs, fields)
        return
    names = [(f.column, f.attname) for f in [pk, *targets]]
    rows = []
    for obj in objs:
        for field in targets:
            if getattr(field, "auto_now", False):
                field.pre_save(obj, add=False)
        rows.append({column: getattr(obj, attname) for column, attname in names})
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in targets)
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 (names from the model)
        f"FROM json_populate_recordset(NULL::{table}, %s::json) AS r WHERE {table}.{quote(pk.column)} = r.{quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_dumps(rows)])


def insert_columns(model: type[Model], columns: dict[str, list]) -> None:
    """Insert rows given column by column (``attname`` → one value per row) in ONE statement,
    without building model instances (PostgreSQL; the check log of a batch check).

    The rows travel as one JSON text like ``bulk_insert``'s: as column arrays, psycopg dumped each
    of their 14,000 elements in Python (a fifth of a 1,000-code batch check). No defaults, no
    ``auto_now`` and no signals: give every column the table needs.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    names = [fields[attname].column for attname in columns]
    table = quote(model._meta.db_table)
    column_sql = ", ".join(quote(name) for name in names)
    sql = (
        f"INSERT INTO {table} ({column_sql}) SELECT {column_sql} "  # noqa: S608 (names from the model)
        f"FROM json_populate_recordset(NULL::{table}, %s::json)"
    )
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_dumps(rows)])
