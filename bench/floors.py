"""The benchmark's floors, served by the app under test when it starts with ``BENCH_FLOOR=1``
(``bench/run.py`` sets it; ``creditsys/urls.py`` routes these only then, never in a deployment).

- ``/bench/floor``: the cheapest Django JSON response through the full middleware stack — what any
  page or API call costs at least on this server.
- ``/api/v1/bench/check-floor``: what any check (应查必查) costs at least — the key check, the read of
  the subject with its flags (the check's own prepared statement) and the INSERT of its log row (查询留痕),
  run through psycopg, with no answer built: the two statements every logged check needs. It is a
  short path like the plain check (``SHORT_PATHS``): the same middleware around it. The check API's
  throughput can at best approach this one's.
"""

import psycopg
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone

from creditsys.api.authentication import authenticate_key
from creditsys.crypto import lookup_hmac
from creditsys.ids import uuid7
from registry.validators import classify_code
from sanctions.selectors import _CHECK_SUBJECTS, clean_period_start, mask_code
from sanctions.services import _check_log_insert


def floor(request):
    return JsonResponse({"ok": True})


def check_floor(request):
    client = authenticate_key(request.headers.get("Authorization", "").removeprefix("Bearer "))
    code = request.GET.get("code", "").strip()
    readings = classify_code(code)
    statement = _CHECK_SUBJECTS.statement(
        usccs=[value for kind, value in readings if kind == "uscc"],
        hmacs=[lookup_hmac(value) for kind, value in readings if kind != "uscc"],
        since=clean_period_start(timezone.localdate()),
    )
    if statement is None:
        return HttpResponse("the check floor needs PostgreSQL", status=501)
    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)  # server-side binding, as the check's statements
    subject_id = None
    if readings:
        rows = cursor.execute(*statement, prepare=True, binary=True).fetchall()
        subject_id = rows[0][0] if rows else None
    fields, insert = _check_log_insert()
    values = {
        "check_id": uuid7(),
        "checked_at": timezone.now(),
        "matter": request.GET.get("matter", "")[:200],
        "code": mask_code(code),
        "found": subject_id is not None,
        "entry_count": 0,
        "measure_count": 0,
        "summary": "",
        "subject_id": subject_id,
        "channel": "api",
        "user_id": None,
        "api_client_id": client.pk,
        "department_id": client.department_id,
        "region_id": client.region_id,
    }
    cursor.execute(insert, [values[f.attname] for f in fields], prepare=True)
    cursor.close()
    return JsonResponse({"found": subject_id is not None, "check_id": str(values["check_id"])})


urlpatterns = [
    path("bench/floor", floor, name="bench-floor"),
    path("api/v1/bench/check-floor", check_floor, name="bench-check-floor"),
]
