"""The benchmark's floors (bench/floors.py) answer and do the work they stand for."""

import json

import pytest
from django.test import RequestFactory

from bench import floors
from sanctions.models import CheckLog

from .sanctions_fixtures import *  # noqa: F403  (fixtures: listed …)

pytestmark = pytest.mark.django_db


def test_bare_floor_answers_json():
    r = floors.floor(RequestFactory().get("/bench/floor"))
    assert r.status_code == 200 and json.loads(r.content) == {"ok": True}


def test_check_floor_reads_the_subject_and_writes_the_log_row(postgres, listed, dept_a, make_api_client):
    _api, client = make_api_client(department=dept_a)
    key = _api._credentials["HTTP_AUTHORIZATION"]
    subject = listed[0][0]
    request = RequestFactory().get(
        "/api/v1/bench/check-floor", {"code": subject.uscc, "matter": "行政许可"}, HTTP_AUTHORIZATION=key
    )
    r = floors.check_floor(request)
    assert r.status_code == 200 and json.loads(r.content)["found"] is True
    log = CheckLog.objects.get(check_id=json.loads(r.content)["check_id"])
    assert (log.subject_id, log.found, log.api_client_id, log.department_id) == (subject.pk, True, client.pk, dept_a.pk)
    request = RequestFactory().get("/api/v1/bench/check-floor", {"code": "91110000MA0000000X"}, HTTP_AUTHORIZATION=key)
    answer = json.loads(floors.check_floor(request).content)
    assert answer["found"] is False and CheckLog.objects.get(check_id=answer["check_id"]).subject_id is None
