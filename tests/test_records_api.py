"""API: bulk upsert responses, filters and scoping for /api/v1/penalties/ and /licenses/ — issue 3."""

from datetime import date
from unittest import mock

import pytest

from registry.demo import make_uscc
from registry.models import PenaltyRecord


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 20)):
        yield


def test_single_post_created_then_unchanged_then_updated(make_api_client, dept_a, penalty_input):
    api, _ = make_api_client(department=dept_a)
    r = api.post("/api/v1/penalties/", penalty_input(), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["outcome"] == "created"
    r = api.post("/api/v1/penalties/", penalty_input(), format="json")
    assert (r.status_code, r.json()["outcome"]) == (200, "unchanged")
    r = api.post("/api/v1/penalties/", penalty_input(fine_amount="1"), format="json")
    assert (r.status_code, r.json()["outcome"]) == (200, "updated")


def test_single_post_rejected_is_400_with_chinese_field_errors(make_api_client, dept_a, penalty_input):
    api, _ = make_api_client(department=dept_a)
    r = api.post("/api/v1/penalties/", penalty_input(decision_date="2026-13-01", fine_amount={"x": 1}), format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert "fine_amount" in body["errors"]


def test_bulk_post_answers_per_item(make_api_client, dept_a, penalty_input):
    api, _ = make_api_client(department=dept_a)
    api.post("/api/v1/penalties/", penalty_input(document_number="A-1"), format="json")
    items = [
        penalty_input(document_number="A-1"),  # unchanged
        penalty_input(document_number="A-2"),  # created
        penalty_input(document_number="A-3", severity="天大"),  # rejected
        "not an object",  # rejected
    ]
    r = api.post("/api/v1/penalties/", items, format="json")
    assert r.status_code == 200
    body = r.json()
    assert [x["outcome"] for x in body["results"]] == ["unchanged", "created", "rejected", "rejected"]
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 1, "rejected": 2}
    assert "severity" in body["results"][2]["errors"]
    assert PenaltyRecord.objects.count() == 2


def test_department_client_writes_and_reads_only_its_own(make_api_client, dept_a, dept_b, penalty_input):
    api_a, _ = make_api_client(department=dept_a)
    api_b, _ = make_api_client(department=dept_b)
    r = api_b.post("/api/v1/penalties/", penalty_input(), format="json")  # issued by dept_a
    assert r.status_code == 400
    assert "authority_uscc" in r.json()["errors"]
    api_a.post("/api/v1/penalties/", penalty_input(), format="json")
    api_b.post("/api/v1/penalties/", penalty_input(department=dept_b, document_number="B-1"), format="json")
    assert [x["document_number"] for x in api_a.get("/api/v1/penalties/").json()["results"]] == [
        penalty_input()["document_number"]
    ]
    assert [x["document_number"] for x in api_b.get("/api/v1/penalties/").json()["results"]] == ["B-1"]


def test_read_scope_cannot_post(make_api_client, dept_a, penalty_input):
    api, _ = make_api_client(department=dept_a, scopes=["read"])
    assert api.post("/api/v1/penalties/", penalty_input(), format="json").status_code == 403


def test_get_filters(make_api_client, city, dept_a, penalty_input, license_input):
    api, _ = make_api_client(region=city)
    api.post(
        "/api/v1/penalties/",
        [
            penalty_input(document_number="F-1", decision_date="2026-01-05", penalty_valid_until="2026-01-05"),
            penalty_input(
                document_number="F-2",
                decision_date="2026-06-05",
                penalty_valid_until="2026-06-05",
                uscc=make_uscc("9", "1", "540400", 777),
            ),
        ],
        format="json",
    )
    uscc = penalty_input()["uscc"]

    def docs(query):
        r = api.get("/api/v1/penalties/" + query)
        assert r.status_code == 200, r.json()
        return sorted(x["document_number"] for x in r.json()["results"])

    assert docs("") == ["F-1", "F-2"]
    assert docs(f"?subject={uscc}") == ["F-1"]
    assert docs(f"?department={dept_a.uscc}") == docs("")
    assert docs("?decision_date_from=2026-02-01") == ["F-2"]
    assert docs("?decision_date_to=2026-02-01") == ["F-1"]
    assert docs("?updated_after=2999-01-01T00:00:00Z") == []
    r = api.post("/api/v1/licenses/", license_input(), format="json")
    assert r.status_code == 201, r.json()
    assert api.get(f"/api/v1/licenses/?subject={uscc}").json()["count"] == 1
