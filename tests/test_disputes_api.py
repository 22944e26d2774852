"""API: /api/v1/objections/ and /api/v1/repairs/ with decisions; auth, scopes, errors."""

import base64
from unittest import mock

import pytest

from disputes import selectors
from disputes.models import Objection, RepairApplication
from registry.models import RecordStatus
from sanctions.models import ListEntry

from .disputes_fixtures import *  # noqa: F403  (fixtures)
from .disputes_fixtures import APPLICANT_ID, PDF

pytestmark = pytest.mark.django_db


def _objection_body(target_id, **extra):
    body = {
        "target_kind": "penalty",
        "target_id": target_id,
        "applicant_name": "扎西",
        "applicant_id_number": APPLICANT_ID,
        "applicant_phone": "13800000000",
        "reason": "处罚决定已被撤销，公示信息有误。",
        "attachments": [{"kind": "evidence", "name": "决定书.pdf", "content_base64": base64.b64encode(PDF).decode()}],
    }
    body.update(extra)
    return body


def test_objection_create_list_decide(listed_penalty, make_api_client, dept_a):
    penalty, entry = listed_penalty
    api, _ = make_api_client(department=dept_a)
    response = api.post("/api/v1/objections/", _objection_body(penalty.pk), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["tracking_number"].startswith("YY") and len(data["query_code"]) == 8
    assert data["applicant_id_masked"].startswith(APPLICANT_ID[:6]) and APPLICANT_ID not in str(data)
    entry.refresh_from_db()
    assert entry.is_suspended
    listing = api.get("/api/v1/objections/?status=open").json()
    assert listing["results"][0]["tracking_number"] == data["tracking_number"]
    assert "query_code" not in listing["results"][0]
    number = data["tracking_number"]
    response = api.post(
        f"/api/v1/objections/{number}/decision/", {"decision": "revoke", "reasons": "已撤销"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["decision"] == "revoke"
    entry.refresh_from_db()
    penalty.refresh_from_db()
    assert entry.status == ListEntry.Status.REMOVED and penalty.status == RecordStatus.WITHDRAWN
    again = api.post(f"/api/v1/objections/{number}/decision/", {"decision": "uphold", "reasons": "维持"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid"


def test_objection_bad_input_is_400_in_chinese(penalty, make_api_client, dept_a):
    api, _ = make_api_client(department=dept_a)
    for body in (
        {},
        _objection_body(penalty.pk, applicant_id_number="123"),
        _objection_body(999999),
        _objection_body(penalty.pk, attachments=[{"name": "a.exe", "content_base64": "TVo="}]),
        _objection_body(penalty.pk, attachments=[{"name": "a.pdf", "content_base64": "%%%"}]),
        _objection_body(penalty.pk, target_kind="x"),
        ["not", "an", "object"],
    ):
        response = api.post("/api/v1/objections/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == "invalid"
    assert not Objection.objects.exists()


def test_scopes_and_department_visibility(penalty, make_api_client, dept_a, dept_b):
    reader, _ = make_api_client(department=dept_a, scopes=("read",))
    assert reader.post("/api/v1/objections/", _objection_body(penalty.pk), format="json").status_code == 403
    writer, _ = make_api_client(department=dept_a)
    number = writer.post("/api/v1/objections/", _objection_body(penalty.pk), format="json").json()["tracking_number"]
    other, _ = make_api_client(department=dept_b)
    assert other.get("/api/v1/objections/").json()["results"] == []
    assert other.get(f"/api/v1/objections/{number}/").status_code == 404
    response = other.post(
        f"/api/v1/objections/{number}/decision/", {"decision": "uphold", "reasons": "x"}, format="json"
    )
    assert response.status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/objections/").status_code == 401


def test_repair_api_refusal_then_accept_and_approve(penalty, make_api_client, dept_a):
    api, _ = make_api_client(department=dept_a)
    body = {
        "target_kind": "penalty",
        "target_id": penalty.pk,
        "applicant_name": "扎西",
        "applicant_id_number": APPLICANT_ID,
        "applicant_phone": "13800000000",
        "statement": "已缴纳罚款并完成整改，作出信用承诺。",
    }
    with mock.patch("django.utils.timezone.localdate", return_value=penalty.repairable_from.replace(day=1)):
        refused = api.post("/api/v1/repairs/", body, format="json")
    assert refused.status_code == 400
    assert f"{penalty.repairable_from:%Y年%m月%d日}" in refused.json()["errors"]["target_id"][0]
    with mock.patch("django.utils.timezone.localdate", return_value=penalty.repairable_from):
        created = api.post("/api/v1/repairs/", body, format="json")
        assert created.status_code == 201, created.json()
        number = created.json()["tracking_number"]
        accepted = api.post(f"/api/v1/repairs/{number}/decision/", {"action": "accept"}, format="json")
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        approved = api.post(
            f"/api/v1/repairs/{number}/decision/", {"action": "approve", "reasons": "已履行"}, format="json"
        )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    penalty.refresh_from_db()
    assert penalty.status == RecordStatus.REPAIRED
    assert selectors.repair_statements(penalty.subject)[0]["tracking_number"] == number
    bad = api.post(f"/api/v1/repairs/{number}/decision/", {"action": "dance"}, format="json")
    assert bad.status_code == 400
    assert RepairApplication.objects.get(tracking_number=number).status == "approved"
