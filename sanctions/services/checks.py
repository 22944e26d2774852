"""The check (应查必查): answer one or many codes for the asking department and log each check
(查询留痕) with as few statements as possible."""

from __future__ import annotations

import functools
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from creditsys.bulk import insert_columns
from creditsys.db import prepared_cursor
from creditsys.ids import uuid7s
from registry.models import ApiClient

from .. import selectors
from ..models import CheckLog


def _principal_fields(principal) -> dict:
    if isinstance(principal, ApiClient):
        return {
            "user": None,
            "api_client": principal,
            "department": principal.department,
            "region": principal.region or (principal.department.region if principal.department else None),
            "channel": "api",
        }
    dept = getattr(principal, "department", None)
    return {
        "user": principal,
        "api_client": None,
        "department": dept,
        "region": getattr(principal, "region", None) or (dept.region if dept else None),
        "channel": "web",
    }


def _insert_check_logs(columns: dict[str, list]) -> None:
    """Write the check logs, given as one list per column (``attname``): one INSERT, whatever their number.

    One statement in autocommit (no BEGIN/COMMIT round trips), without ``CheckLog`` instances
    (building 1,000 of them cost more than the insert). On PostgreSQL a single check is a prepared
    ``INSERT … VALUES``, a batch one ``INSERT … SELECT`` from a JSON text (``insert_columns``).
    Elsewhere (the SQLite default) the rows go through ``bulk_create``; all write the same rows.
    """
    if connection.vendor != "postgresql":
        count = len(columns["check_id"])
        logs = [CheckLog(**{name: values[i] for name, values in columns.items()}) for i in range(count)]
        with transaction.atomic():
            CheckLog.objects.bulk_create(logs)
        return
    if len(columns["check_id"]) > 1:
        insert_columns(CheckLog, columns)
        return
    fields, one_sql = _check_log_insert()
    # A prepared statement (parsed and planned once per connection) unless they are turned off.
    with prepared_cursor() if settings.DB_PREPARED_STATEMENTS else connection.cursor() as cursor:
        cursor.execute(one_sql, [columns[f.attname][0] for f in fields])


@functools.cache
def _check_log_insert() -> tuple[list, str]:
    fields = [f for f in CheckLog._meta.concrete_fields if not f.primary_key]
    table = CheckLog._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    return fields, f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608


def check_perform(*, principal, codes: list[str], matter: str, on: date | None = None) -> list[dict]:
    """Answer one or many checks for the asking department and log each one (查询留痕)."""
    matter = (matter or "").strip()
    if not matter:
        raise ValidationError({"matter": ["请填写办理事项（如：政府采购、行政许可、财政资金申请）。"]})
    if len(matter) > 200:
        raise ValidationError({"matter": ["办理事项不能超过200个字符。"]})
    if not codes:
        raise ValidationError({"codes": ["请提供至少一个代码。"]})
    if len(codes) > 1000:
        raise ValidationError({"codes": ["一次最多核查1000个代码。"]})
    who = _principal_fields(principal)
    dept = who["department"]
    results = selectors.check_answers(
        [str(code) for code in codes],
        department_id=dept.pk if dept else None,
        on=on,
        catalogue=selectors.MeasureCatalogue.current(),
    )
    count = len(results)
    check_ids = uuid7s(count)  # time-ordered: new log rows at the right edge of the index
    answers = [answer for answer, _subject in results]
    columns = {
        "check_id": check_ids,
        "checked_at": [timezone.now()] * count,
        "matter": [matter] * count,
        "code": [a["code"][:40] for a in answers],
        "found": [a["found"] for a in answers],
        "entry_count": [len(a["entries"]) for a in answers],
        "measure_count": [len(a["measures"]) for a in answers],
        "summary": [a["message"][:500] for a in answers],
        "subject_id": [subject.pk if subject is not None else None for _a, subject in results],
        "channel": [who["channel"]] * count,
    }
    for name in ("user", "api_client", "department", "region"):
        columns[f"{name}_id"] = [who[name].pk if who[name] is not None else None] * count
    _insert_check_logs(columns)
    for answer, check_id in zip(answers, check_ids, strict=True):
        answer["check_id"] = str(check_id)
        answer["matter"] = matter
    return answers
