"""Excel/CSV import: good and bad rows, error report, re-import idempotent, job enqueued — issue 3."""

import csv
import io
from datetime import date
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from registry import services
from registry.models import ImportJob, PenaltyRecord
from registry.record_fields import PENALTY_COLUMNS


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 11, 20)):
        yield


def _rows(penalty_input):
    good1 = penalty_input(document_number="I-1")
    good2 = penalty_input(
        document_number="I-2", severity="严重", decision_date="2026-05-06", penalty_valid_until="2026-05-06"
    )
    bad = [
        penalty_input(document_number="I-3", uscc=""),  # missing code
        penalty_input(document_number="I-4", uscc="91540400MA6T00000X"),  # invalid code
        penalty_input(document_number="I-5", violation_facts=""),  # missing required
        penalty_input(document_number="I-6", penalty_valid_until="2026-01-01"),  # date order
        penalty_input(document_number="I-7", decision_date="2027-01-01", penalty_valid_until="2027-01-01"),  # future
        penalty_input(document_number="I-8", fine_amount="-3"),  # negative amount
        penalty_input(document_number="I-1"),  # duplicate inside the file
    ]
    return [good1, good2, *bad]


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([label for _n, label, _r in PENALTY_COLUMNS])
    for row in rows:
        ws.append([row.get(name, "") for name, _l, _r in PENALTY_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(rows, encoding: str = "gb18030") -> bytes:
    """A penalty CSV in the national template (Excel in China saves GB18030 by default)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([label for _n, label, _r in PENALTY_COLUMNS])
    for row in rows:
        w.writerow([row.get(name, "") for name, _l, _r in PENALTY_COLUMNS])
    return buf.getvalue().encode(encoding)


def _run(clerk, name, content, django_capture_on_commit_callbacks):
    with mock.patch("registry.tasks.import_run.apply_async") as delay, django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(user=clerk, kind="penalty", uploaded_file=SimpleUploadedFile(name, content))
    delay.assert_called_once_with(args=(job.pk,), kwargs={})
    return services.import_job_run(job_id=job.pk)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_import_good_and_bad_rows_then_reimport(fmt, clerk_a, penalty_input, django_capture_on_commit_callbacks):
    content = (_xlsx if fmt == "xlsx" else _csv)(_rows(penalty_input))
    job = _run(clerk_a, f"处罚.{fmt}", content, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.rejected_count, job.processed_rows) == (2, 7, 9)
    assert job.percent == 100
    reasons = {e["document_number"]: e["reason"] for e in job.errors}
    assert "统一社会信用代码" in reasons["I-3"]
    assert "校验位" in reasons["I-4"]
    assert "违法事实为必填项" in reasons["I-5"]
    assert "不能早于处罚决定日期" in reasons["I-6"]
    assert "晚于今天" in reasons["I-7"]
    assert "负数" in reasons["I-8"]
    assert "重复" in reasons["I-1"]
    report = job.error_report.read().decode("utf-8-sig")
    assert report.count("\n") == 8 and "行号" in report
    assert PenaltyRecord.objects.count() == 2
    versions = list(PenaltyRecord.objects.values_list("pk", "version", "updated_at"))

    again = _run(clerk_a, f"处罚.{fmt}", content, django_capture_on_commit_callbacks)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(PenaltyRecord.objects.values_list("pk", "version", "updated_at")) == versions
    # Running the same job twice (a worker killed and restarted) changes nothing either.
    assert services.import_job_run(job_id=again.pk).unchanged_count == 2


def test_wrong_header_fails_job_visibly(clerk_a, django_capture_on_commit_callbacks):
    job = _run(clerk_a, "x.csv", b"a,b\n1,2\n", django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED and "模板" in job.message


def test_upload_type_allow_list(clerk_a):
    with pytest.raises(Exception, match="xlsx"):
        services.import_job_create(user=clerk_a, kind="penalty", uploaded_file=SimpleUploadedFile("x.exe", b"MZ"))


def test_template_has_national_headers():
    wb = load_workbook(io.BytesIO(services.template_xlsx("penalty")), read_only=True)
    header = next(wb.worksheets[0].iter_rows(values_only=True))
    assert header[0] == "行政相对人名称" and "行政处罚决定书文号" in header and "失信程度" in header
    assert services.template_csv("license").decode("utf-8-sig").startswith("行政相对人名称,")


def test_job_lost_by_the_broker_is_requeued_and_claimed_once(
    clerk_a, penalty_input, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    content = _csv(_rows(penalty_input)[:2])
    with mock.patch("registry.tasks.import_run.apply_async", side_effect=ConnectionError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.import_job_create(
                user=clerk_a, kind="penalty", uploaded_file=SimpleUploadedFile("p.csv", content)
            )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED  # the upload was kept; nothing was lost
    assert services.import_jobs_requeue() == []  # too early: it may still be on its way
    later = timezone.now() + timedelta(minutes=3)
    with mock.patch("registry.tasks.import_run.apply_async") as send, django_capture_on_commit_callbacks(execute=True):
        assert services.import_jobs_requeue(now=later) == [job.pk]
    send.assert_called_once_with(args=(job.pk,), kwargs={})
    done = services.import_job_run(job_id=job.pk)
    assert done.status == ImportJob.Status.DONE and done.created_count == 2
    # A duplicate delivery finds the job finished and does nothing.
    assert services.import_job_run(job_id=job.pk).created_count == 2
    assert services.import_jobs_requeue(now=later) == []
