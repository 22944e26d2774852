"""Workbench: a clerk enters, corrects, withdraws, imports, records commitments; repair notice PDF."""

import io
from datetime import date
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from registry import services
from registry.models import Commitment, ImportJob, PenaltyRecord, RecordStatus
from registry.scoping import scope_for

from .conftest import login


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 20)):
        yield


def test_clerk_enters_corrects_and_withdraws(web_a, penalty_input, clerk_b):
    data = {k: v for k, v in penalty_input().items() if k not in ("authority_name", "source_name")}
    data.update(subject_category="organization", severity="general", disclosure="public")
    r = web_a.post("/workbench/records/penalty/new/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    record = PenaltyRecord.objects.get()
    detail = web_a.get(r.url)
    assert "林芝雪域建筑工程有限公司" in detail.content.decode()
    # Correction: the form is prefilled; the reason is required and history is kept.
    form = web_a.get(f"/workbench/records/penalty/{record.pk}/correct/")
    assert form.status_code == 200
    r = web_a.post(
        f"/workbench/records/penalty/{record.pk}/correct/", {**data, "fine_amount": "0.7", "reason": "金额笔误"}
    )
    assert r.status_code == 302
    record.refresh_from_db()
    assert record.version == 2 and record.revisions.count() == 2
    page = web_a.get(f"/workbench/records/penalty/{record.pk}/").content.decode()
    assert "金额笔误" in page and "v1" in page
    # Another department's clerk neither sees nor withdraws it.
    other = login(clerk_b)
    assert other.get(f"/workbench/records/penalty/{record.pk}/").status_code == 404
    assert "林芝雪域" not in other.get("/workbench/records/penalty/").content.decode()
    r = web_a.post(f"/workbench/records/penalty/{record.pk}/withdraw/", {"reason": "行政复议撤销"})
    record.refresh_from_db()
    assert record.status == RecordStatus.WITHDRAWN and record.status_reason == "行政复议撤销"


def test_list_filters_and_late_flag(web_a, clerk_a, penalty_input):
    scope = scope_for(clerk_a)
    services.record_upsert(
        scope=scope, kind="penalty", data=penalty_input(document_number="L-1"), today=date(2026, 11, 20)
    )
    page = web_a.get("/workbench/records/penalty/?late=on&status=published").content.decode()
    assert "L-1" in page and "迟报" in page
    assert "L-1" not in web_a.get("/workbench/records/penalty/?date_from=2026-06-01").content.decode()
    assert web_a.get("/workbench/records/license/").status_code == 200


def test_import_page_upload_progress_and_template(
    web_a, settings, tmp_path, penalty_input, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    r = web_a.get("/workbench/imports/template/penalty.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    with mock.patch("registry.tasks.import_run.apply_async") as delay, django_capture_on_commit_callbacks(execute=True):
        r = web_a.post(
            "/workbench/imports/",
            {"kind": "penalty", "file": SimpleUploadedFile("a.xlsx", r.content)},
        )
    assert r.status_code == 302
    job = ImportJob.objects.get()
    delay.assert_called_once_with(args=(job.pk,), kwargs={})
    page = web_a.get(r.url).content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page
    services.import_job_run(job_id=job.pk)
    assert web_a.get(f"/workbench/imports/{job.pk}/?format=json").json()["status"] == "done"
    bad = web_a.post("/workbench/imports/", {"kind": "penalty", "file": SimpleUploadedFile("a.txt", b"x")})
    assert bad.status_code == 200 and "xlsx" in bad.content.decode()


def test_commitment_pages(web_a, make_subject):
    subject = make_subject()
    r = web_a.post(
        "/workbench/commitments/new/",
        {
            "subject_code": subject.uscc,
            "number": "GZ-1",
            "kind": "notification",
            "matter": "食品经营许可（告知承诺）",
            "content": "承诺符合许可条件。",
            "commitment_date": "2026-11-01",
            "due_date": "2026-12-01",
            "disclosure": "public",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    c = Commitment.objects.get()
    assert "GZ-1" in web_a.get("/workbench/commitments/").content.decode()
    web_a.post(f"/workbench/commitments/{c.pk}/status/", {"status": "fulfilled", "note": ""})
    c.refresh_from_db()
    assert c.status == Commitment.Status.FULFILLED


def test_repair_notice_pdf_has_chinese_name_as_text(web_a, clerk_a, penalty_input):
    record = services.record_upsert(
        scope=scope_for(clerk_a), kind="penalty", data=penalty_input(), today=date(2026, 11, 20)
    ).record
    html = web_a.get(f"/workbench/penalties/{record.pk}/repair-notice/").content.decode()
    assert "信用修复告知书" in html and "2026年6月2日" in html  # earliest repair date (3 months)
    r = web_a.get(f"/workbench/penalties/{record.pk}/repair-notice/?format=pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "林芝雪域建筑工程有限公司" in text
    assert "信用修复" in text
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("CJK" in f or "Noto" in f or "WenQuanYi" in f for f in fonts), fonts
