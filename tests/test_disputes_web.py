"""Workbench: a clerk processes an objection and a repair end to end; queues, overview, inbox, files."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes.models import Attachment, Objection, RepairApplication
from registry.models import RecordStatus
from sanctions.models import ListEntry

from .conftest import login
from .disputes_fixtures import *  # noqa: F403  (fixtures)
from .disputes_fixtures import APPLICANT_ID, PDF

pytestmark = pytest.mark.django_db


def _applicant(kind, target_id, **extra):
    return {
        "target_kind": kind,
        "target_id": target_id,
        "applicant_name": "扎西",
        "applicant_id_number": APPLICANT_ID,
        "applicant_phone": "13800000000",
        **extra,
    }


def test_objection_end_to_end_in_workbench(listed_penalty, clerk_a, reviewer_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    penalty, entry = listed_penalty
    clerk = login(clerk_a)
    page = clerk.get("/workbench/disputes/objections/new/")
    assert page.status_code == 200 and "受理异议申请" in page.content.decode()
    response = clerk.post(
        "/workbench/disputes/objections/new/",
        _applicant(
            "penalty", penalty.pk, reason="处罚决定已被复议撤销", attachments=SimpleUploadedFile("复议.pdf", PDF)
        ),
        follow=True,
    )
    text = response.content.decode()
    objection = Objection.objects.get()
    assert objection.tracking_number in text and "查询码" in text
    entry.refresh_from_db()
    assert entry.is_suspended
    queue = clerk.get("/workbench/disputes/objections/").content.decode()
    assert objection.tracking_number in queue and "剩余" in queue
    # the attachment is served only through the permission-checked view
    attachment = Attachment.objects.get()
    download = clerk.get(f"/workbench/disputes/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # a clerk sees the form only when a reviewer; the reviewer decides
    assert "作出决定" not in clerk.get(f"/workbench/disputes/objections/{objection.pk}/").content.decode()
    reviewer = login(reviewer_a)
    response = reviewer.post(
        f"/workbench/disputes/objections/{objection.pk}/",
        {"do": "decide", "decision": "uphold", "reasons": "经核实信息无误"},
        follow=True,
    )
    assert "处理决定已作出" in response.content.decode()
    objection.refresh_from_db()
    entry.refresh_from_db()
    assert objection.decision == "uphold" and not entry.is_suspended
    inbox = clerk.get("/workbench/disputes/inbox/").content.decode()
    assert objection.tracking_number in inbox


def test_repair_end_to_end_in_workbench(penalty, clerk_a, reviewer_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    clerk = login(clerk_a)
    early = penalty.repairable_from - timedelta(days=1)
    with mock.patch("django.utils.timezone.localdate", return_value=early):
        check = clerk.get(f"/workbench/disputes/repairs/?target_kind=penalty&target_id={penalty.pk}").content.decode()
        assert f"{penalty.repairable_from:%Y年%m月%d日}" in check
        refused = clerk.post(
            "/workbench/disputes/repairs/new/", _applicant("penalty", penalty.pk, statement="已缴纳罚款并完成整改。")
        )
        assert refused.status_code == 200 and "最早可于" in refused.content.decode()
    with mock.patch("django.utils.timezone.localdate", return_value=penalty.repairable_from):
        clerk.post(
            "/workbench/disputes/repairs/new/",
            _applicant(
                "penalty",
                penalty.pk,
                statement="已缴纳罚款并完成整改。",
                commitment=SimpleUploadedFile("承诺书.pdf", PDF),
                proof=SimpleUploadedFile("凭证.png", b"\x89PNG\r\n\x1a\nxx"),
            ),
        )
        app = RepairApplication.objects.get()
        assert sorted(app.attachments.values_list("kind", flat=True)) == ["commitment", "proof"]
        clerk.post(f"/workbench/disputes/repairs/{app.pk}/", {"do": "accept", "accept": "1"})
        app.refresh_from_db()
        assert app.status == "accepted"
        response = login(reviewer_a).post(
            f"/workbench/disputes/repairs/{app.pk}/",
            {"do": "decide", "approve": "1", "reasons": "已履行法定义务"},
            follow=True,
        )
    assert "修复决定已作出" in response.content.decode()
    penalty.refresh_from_db()
    assert penalty.status == RecordStatus.REPAIRED


def test_other_department_cannot_see_or_download(penalty, file_objection, clerk_b, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    objection = file_objection("penalty", penalty.pk, attachments=[SimpleUploadedFile("a.pdf", PDF)])
    other = login(clerk_b)
    assert other.get(f"/workbench/disputes/objections/{objection.pk}/").status_code == 404
    attachment = Attachment.objects.get()
    assert other.get(f"/workbench/disputes/attachments/{attachment.pk}/").status_code == 403
    assert objection.tracking_number not in other.get("/workbench/disputes/objections/").content.decode()


def test_coordinator_overview_shows_overdue_and_reroutes(penalty, file_objection, coordinator, clerk_a, dept_b):
    objection = file_objection("penalty", penalty.pk)
    coord = login(coordinator)
    with mock.patch("django.utils.timezone.localdate", return_value=objection.due_date + timedelta(days=3)):
        page = coord.get("/workbench/disputes/overdue/").content.decode()
        queue = coord.get("/workbench/disputes/objections/").content.decode()
    assert objection.tracking_number in page and "已逾期" in page
    assert re.search(r'class="overdue"', queue)
    assert login(clerk_a).get("/workbench/disputes/overdue/").status_code == 403
    coord.post(
        f"/workbench/disputes/objections/{objection.pk}/",
        {"do": "route", "department": dept_b.pk, "reason": "税务数据"},
    )
    objection.refresh_from_db()
    assert objection.department == dept_b


def test_entry_objection_from_workbench_shows_suspension(make_subject, make_measure, make_entry, clerk_a, dept_a):
    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject())
    login(clerk_a).post(
        "/workbench/disputes/objections/new/", _applicant("entry", entry.pk, reason="认定事实有误，请核实")
    )
    entry.refresh_from_db()
    assert entry.is_suspended and entry.status == ListEntry.Status.PUBLISHED


def test_demo_is_idempotent(listed_penalty, license_input):
    from django.core.management import call_command

    from disputes import demo
    from registry import services as registry_services

    from .conftest import GLOBAL_SCOPE

    registry_services.record_upsert(scope=GLOBAL_SCOPE, kind="license", data=license_input())
    call_command("load_disputes_demo")
    first = demo.demo_counts()
    assert first["objections"] >= 2
    call_command("load_disputes_demo")
    assert demo.demo_counts() == first
