"""REST API of the sanctions app: list entries, measures, check, tasks, changes — and their scoping."""

from datetime import date

import pytest

from sanctions.models import CheckLog, EnforcementTask, ListEntry

from .sanctions_fixtures import *  # noqa: F403  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_subject, make_measure, make_entry, dept_a, dept_b):
    make_measure("P-A", departments=[dept_a])
    make_measure("P-B", departments=[dept_b])
    return make_entry(make_subject())


def test_list_entries_create_notify_publish_remove(make_api_client, make_subject, make_measure, dept_a, dept_b):
    make_measure("P-B", departments=[dept_b])
    subject = make_subject()
    api, _ = make_api_client(department=dept_a)
    body = {
        "subject_code": subject.uscc,
        "list_type": "black",
        "category": "market_order",
        "basis_document": "林市监认〔2026〕7号",
        "legal_basis": "《某法》第一条",
        "decision_date": "2026-02-02",
        "proposer_name": "张三",
        "reviewer_name": "张三",
    }
    r = api.post("/api/v1/list-entries/", body, format="json")
    assert r.status_code == 400 and "reviewer_name" in r.json()["errors"]
    body["reviewer_name"] = "李四"
    r = api.post("/api/v1/list-entries/", body, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["status"] == "approved"
    r = api.post(f"/api/v1/list-entries/{pk}/publish/", {}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert api.post(f"/api/v1/list-entries/{pk}/notify/").json()["status"] == "notified"
    r = api.post(f"/api/v1/list-entries/{pk}/publish/", {"statement_waived": True}, format="json")
    assert r.json()["status"] == "published"
    assert EnforcementTask.objects.filter(entry_id=pk, department=dept_b).count() == 1
    r = api.post(f"/api/v1/list-entries/{pk}/remove/", {"reason": "nonsense"}, format="json")
    assert r.status_code == 400
    r = api.post(f"/api/v1/list-entries/{pk}/remove/", {"reason": "withdrawn", "note": "撤回"}, format="json")
    assert r.json()["status"] == "removed"
    assert EnforcementTask.objects.filter(entry_id=pk, kind="lift").count() == 1


def test_list_entries_unknown_subject_and_bad_input_are_400(make_api_client, dept_a):
    api, _ = make_api_client(department=dept_a)
    r = api.post("/api/v1/list-entries/", {"subject_code": "x", "list_type": "black"}, format="json")
    assert r.status_code == 400 and r.json()["errors"]
    r = api.post(
        "/api/v1/list-entries/",
        {
            "subject_code": "91540400MA6T00000X",
            "list_type": "focus",
            "basis_document": "1",
            "legal_basis": "x",
            "decision_date": "2026-01-01",
            "proposer_name": "a",
        },
        format="json",
    )
    assert r.status_code == 400 and "subject_code" in r.json()["errors"]


def test_entry_scoping(make_api_client, make_subject, make_entry, county, other_county, county_dept, dept_b):
    in_county = make_entry(make_subject("巴宜某公司", region=county), department=county_dept)
    elsewhere = make_entry(make_subject("工布江达某公司", region=other_county))
    county_api, _ = make_api_client(region=county)
    ids = {e["id"] for e in county_api.get("/api/v1/list-entries/").json()["results"]}
    assert in_county.pk in ids and elsewhere.pk not in ids
    assert county_api.get(f"/api/v1/list-entries/{elsewhere.pk}/").status_code == 404
    assert county_api.post(f"/api/v1/list-entries/{elsewhere.pk}/remove/", {"reason": "withdrawn"}).status_code == 404
    # a city department sees city-wide but may only act on its own entries
    b_api, _ = make_api_client(department=dept_b)
    r = b_api.post(f"/api/v1/list-entries/{in_county.pk}/remove/", {"reason": "withdrawn"}, format="json")
    assert r.status_code == 403
    read_only, _ = make_api_client(region=county, scopes=["read"])
    assert read_only.post(f"/api/v1/list-entries/{in_county.pk}/notify/").status_code == 403


def test_check_endpoint_depends_on_department_and_logs(make_api_client, published, dept_a, dept_b):
    api_a, client_a = make_api_client(department=dept_a)
    api_b, _ = make_api_client(department=dept_b)
    code = published.subject.uscc
    a = api_a.get("/api/v1/check/", {"code": code, "matter": "行政许可"}).json()
    b = api_b.get("/api/v1/check/", {"code": code, "matter": "政府采购"}).json()
    assert [m["code"] for m in a["measures"]] == ["P-A"]
    assert [m["code"] for m in b["measures"]] == ["P-B"]
    log = CheckLog.objects.get(check_id=a["check_id"])
    assert log.api_client == client_a and log.matter == "行政许可" and log.channel == "api"


def test_check_bad_input_never_5xx(make_api_client, dept_a, db):
    api, _ = make_api_client(department=dept_a)
    assert api.get("/api/v1/check/", {"code": "", "matter": "x"}).status_code == 400
    assert api.get("/api/v1/check/", {"code": "91", "matter": ""}).status_code == 400
    r = api.get("/api/v1/check/", {"code": "ＡＢＣ-不是代码", "matter": "测试"})
    assert r.status_code == 200 and r.json()["found"] is False and r.json()["message"]
    r = api.get("/api/v1/check/", {"code": "x" * 5000, "matter": "测试"})
    assert r.status_code == 200 and r.json()["valid_code"] is False
    no_check, _ = make_api_client(department=dept_a, scopes=["read"])
    assert no_check.get("/api/v1/check/", {"code": "x", "matter": "y"}).status_code == 403


def test_check_batch(make_api_client, published, dept_a):
    api, _ = make_api_client(department=dept_a)
    codes = [published.subject.uscc, "91540400MA6T00000X", "bad"]
    r = api.post("/api/v1/check/batch/", {"matter": "招标投标", "codes": codes}, format="json")
    assert r.status_code == 200
    assert r.json()["count"] == 3
    assert [x["found"] for x in r.json()["results"]] == [True, False, False]
    assert CheckLog.objects.filter(matter="招标投标").count() == 3
    r = api.post("/api/v1/check/batch/", {"matter": "x", "codes": ["1"] * 1001}, format="json")
    assert r.status_code == 400 and "codes" in r.json()["errors"]


def test_measures_endpoint_lists_published_only(make_api_client, make_measure, dept_a):
    make_measure("P-PUB", departments=[dept_a])
    make_measure("P-DRAFT", departments=[dept_a], publish=False)
    api, _ = make_api_client(department=dept_a, scopes=["read"])
    codes = [m["code"] for m in api.get("/api/v1/measures/").json()["results"]]
    assert codes == ["P-PUB"]
    codes = [m["code"] for m in api.get("/api/v1/measures/", {"status": "draft"}).json()["results"]]
    assert codes == ["P-DRAFT"]


def test_tasks_inbox_feedback_and_scoping(make_api_client, published, dept_a, dept_b, county):
    api_a, client_a = make_api_client(department=dept_a)
    api_b, _ = make_api_client(department=dept_b)
    tasks_a = api_a.get("/api/v1/tasks/", {"status": "pending"}).json()["results"]
    assert [t["measure_code"] for t in tasks_a] == ["P-A"]
    task_b = EnforcementTask.objects.get(department=dept_b)
    assert api_a.get(f"/api/v1/tasks/{task_b.pk}/").status_code == 404
    assert api_a.post(f"/api/v1/tasks/{task_b.pk}/feedback/", {"outcome": "applied"}).status_code == 404
    r = api_a.post(f"/api/v1/tasks/{tasks_a[0]['id']}/feedback/", {"outcome": "applied"}, format="json")
    assert r.status_code == 400 and "matter_name" in r.json()["errors"]
    r = api_a.post(
        f"/api/v1/tasks/{tasks_a[0]['id']}/feedback/",
        {"outcome": "applied", "matter_name": "行政许可", "action_date": date.today().isoformat()},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"
    assert EnforcementTask.objects.get(pk=tasks_a[0]["id"]).answered_by_client == client_a
    county_api, _ = make_api_client(region=county)
    assert county_api.get("/api/v1/tasks/").json()["results"] == []


def test_changes_feed_is_ordered_and_scoped(make_api_client, make_subject, make_entry, county, other_county):
    a = make_entry(make_subject("巴宜甲公司", region=county))
    make_entry(make_subject("工布江达乙公司", region=other_county))
    api, _ = make_api_client(region=county)
    page = api.get("/api/v1/changes/", {"after": 0}).json()
    entry_events = [c for c in page["results"] if c["kind"].startswith("entry.")]
    assert [c["payload"]["entry"]["id"] for c in entry_events] == [a.pk]
    cursor = page["next_cursor"]
    assert api.get("/api/v1/changes/", {"after": cursor}).json()["results"] == []
    from sanctions import services

    from .conftest import GLOBAL_SCOPE

    services.entry_remove(scope=GLOBAL_SCOPE, entry=ListEntry.objects.get(pk=a.pk), reason="withdrawn")
    kinds = [c["kind"] for c in api.get("/api/v1/changes/", {"after": cursor}).json()["results"]]
    assert kinds == ["entry.removed"]
    assert api.get("/api/v1/changes/", {"after": "x"}).status_code == 400


def test_every_endpoint_needs_a_key(client, db):
    for url in ["/api/v1/list-entries/", "/api/v1/measures/", "/api/v1/tasks/", "/api/v1/changes/", "/api/v1/check/"]:
        assert client.get(url).status_code == 401
