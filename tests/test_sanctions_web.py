"""Workbench: the whole cycle propose → review → notify → publish → inbox → feedback → statistics."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from sanctions.models import CheckLog, EnforcementTask, ListEntry, Measure

from .conftest import login
from .sanctions_fixtures import *  # noqa: F403  (fixtures)

pytestmark = pytest.mark.django_db


def test_whole_cycle_in_the_workbench(
    make_subject, make_measure, dept_a, dept_b, clerk_a, reviewer_a, clerk_b, coordinator
):
    make_measure("P-B", departments=[dept_b], name="限制参加政府采购活动")
    subject = make_subject()
    clerk, reviewer, other, coord = login(clerk_a), login(reviewer_a), login(clerk_b), login(coordinator)
    r = clerk.post(
        "/workbench/sanctions/entries/new/",
        {
            "subject_code": subject.uscc,
            "list_type": "black",
            "category": "market_order",
            "basis_document": "林市监认〔2026〕3号",
            "legal_basis": "《某法》第一条",
            "facts": "串通投标<script>",
            "decision_date": "2026-02-02",
            "submit": "1",
        },
    )
    entry = ListEntry.objects.get()
    assert r.status_code == 302 and entry.status == "under_review"
    clerk.post(f"/workbench/sanctions/entries/{entry.pk}/approve/")
    entry.refresh_from_db()
    assert entry.status == "under_review"  # the proposer cannot approve
    reviewer.post(f"/workbench/sanctions/entries/{entry.pk}/approve/", {"note": "同意"})
    clerk.post(f"/workbench/sanctions/entries/{entry.pk}/notify/")
    notice = clerk.get(f"/workbench/sanctions/entries/{entry.pk}/notice/")
    text = notice.content.decode()
    assert "陈述" in text and "限制参加政府采购活动" in text and "&lt;script&gt;" in text
    clerk.post(f"/workbench/sanctions/entries/{entry.pk}/publish/", {"statement_waived": "on"})
    entry.refresh_from_db()
    assert entry.status == "published"
    inbox = other.get("/workbench/sanctions/tasks/")
    assert "限制参加政府采购活动" in inbox.content.decode()
    assert "限制参加政府采购活动" not in clerk.get("/workbench/sanctions/tasks/").content.decode()
    task = EnforcementTask.objects.get()
    assert clerk.get(f"/workbench/sanctions/tasks/{task.pk}/").status_code == 404
    r = other.post(
        f"/workbench/sanctions/tasks/{task.pk}/",
        {"outcome": "applied", "matter_name": "政府采购资格审查", "action_date": "2026-02-20", "result": "已限制"},
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.status == "answered"
    stats = coord.get("/workbench/sanctions/stats/")
    assert stats.status_code == 200 and "<svg" in stats.content.decode() and "100.0%" in stats.content.decode()
    assert clerk.get("/workbench/sanctions/stats/").status_code == 403
    export = coord.get("/workbench/sanctions/stats/export.xlsx")
    wb = load_workbook(BytesIO(export.content))
    rows = list(wb["各部门任务"].values)
    assert rows[1][1] == dept_b.name and rows[1][2] == 1 and rows[1][3] == 1


def test_check_page_logs_and_answers(make_subject, make_measure, make_entry, dept_a, clerk_a):
    make_measure("P-A", departments=[dept_a], name="从严审核行政许可")
    entry = make_entry(make_subject())
    r = login(clerk_a).post(
        "/workbench/sanctions/check/", {"matter": "行政许可", "codes": f"{entry.subject.uscc}\nnot-a-code"}
    )
    body = r.content.decode()
    assert "从严审核行政许可" in body and "黑名单" in body and "未找到" in body
    assert CheckLog.objects.filter(user=clerk_a, matter="行政许可").count() == 2


@pytest.mark.django_db(transaction=True)  # the public page cache is refreshed on commit
def test_measure_catalogue_pages(make_measure, dept_a, coordinator, clerk_a, client):
    make_measure("P-PUB", departments=[dept_a], name="公开的措施")
    coord = login(coordinator)
    r = coord.post(
        "/workbench/sanctions/measures/new/",
        {
            "code": "P-NEW",
            "name": "新措施",
            "kind": "punishment",
            "national_class": "2",
            "binding": "recommended",
            "legal_basis": "《某条例》第三条",
            "list_types": ["black"],
            "subject_kinds": ["organization"],
            "implementing_departments": [dept_a.pk],
        },
    )
    measure = Measure.objects.get(code="P-NEW")
    assert r.status_code == 302 and measure.status == "draft"
    public = client.get("/measures/").content.decode()
    assert "联合奖惩措施清单" in public and "新措施" not in public
    assert login(clerk_a).post(f"/workbench/sanctions/measures/{measure.pk}/publish/").status_code == 403
    coord.post(f"/workbench/sanctions/measures/{measure.pk}/publish/")
    measure.refresh_from_db()
    assert measure.status == "published"
    assert "新措施" in client.get("/measures/").content.decode()
    for url in [
        "/workbench/sanctions/measures/",
        f"/workbench/sanctions/measures/{measure.pk}/",
        "/workbench/sanctions/entries/",
        "/workbench/sanctions/check/",
    ]:
        assert coord.get(url).status_code == 200


def test_workbench_entry_scoping(make_subject, make_entry, county, other_county, county_coordinator):
    mine = make_entry(make_subject("巴宜公司", region=county))
    other = make_entry(make_subject("工布江达公司", region=other_county))
    web = login(county_coordinator)
    assert web.get(f"/workbench/sanctions/entries/{mine.pk}/").status_code == 200
    assert web.get(f"/workbench/sanctions/entries/{other.pk}/").status_code == 404
    assert "工布江达公司" not in web.get("/workbench/sanctions/entries/").content.decode()


def test_demo_loader_is_idempotent(db):
    from registry import demo as registry_demo
    from sanctions import demo

    registry_demo.load(subjects=30)
    first = demo.load()
    assert first["measures"] == 56 and first["entries"] > 0

    def counts():
        answered = EnforcementTask.objects.filter(status="answered").count()
        return Measure.objects.count(), ListEntry.objects.count(), EnforcementTask.objects.count(), answered

    before = counts()
    second = demo.load()
    assert second == {"measures": 0, "memoranda": 0, "entries": 0}
    assert before == counts()
