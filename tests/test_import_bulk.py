"""The bulk path of the import (``record_upsert_many``): the same results as ``record_upsert`` row by
row, a valid audit chain, the side effects of saves, a constant number of queries per chunk, and
chunks that fail without losing what was already imported.
"""

import csv
import io
from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from creditsys import audit
from creditsys.models import AuditEvent
from publicity import cache as page_cache
from registry import services
from registry.demo import make_id_number, make_uscc
from registry.models import ImportJob, PenaltyRecord, RecordRevision, Subject
from registry.scoping import scope_for
from registry.services import imports as import_service
from registry.services import records as record_service

from .conftest import GLOBAL_SCOPE
from .test_import import _csv

TODAY = date(2026, 11, 20)
# Ids, timestamps and encrypted values (random IV) differ between two runs of the same rows.
VOLATILE = {
    "id",
    "created_at",
    "updated_at",
    "status_changed_at",
    "subject_id",
    "penalty_id",
    "license_id",
    "legal_rep_id_encrypted",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        yield


def _outcome(result):
    if isinstance(result, ValidationError):
        return result.message_dict
    return result.outcome


def _row_by_row(scope, kind, rows):
    results = []
    for data in rows:
        try:
            with transaction.atomic():
                results.append(services.record_upsert(scope=scope, kind=kind, data=data, reason="导入", today=TODAY))
        except ValidationError as exc:
            results.append(exc)
    return results


def _strip(data):
    return {k: v for k, v in (data or {}).items() if k not in VOLATILE} if data is not None else None


def _state(since_audit_id):
    """Everything the rows wrote, without ids and timestamps (they differ between two runs)."""
    records = []
    for model in record_service.MODELS.values():
        for record in model.objects.select_related("subject").order_by("document_number"):
            snap = audit.snapshot(record)
            records.append((model.__name__, record.subject.code, record.subject.kind, _strip(snap)))
    revisions = sorted(
        (r.version, r.action, r.reason, r.actor, r.channel, str(sorted(_strip(r.data).items())))
        for r in RecordRevision.objects.all()
    )
    events = [
        (e.action, e.object_type, e.object_repr, e.reason, e.actor, e.channel, _strip(e.before), _strip(e.after))
        for e in AuditEvent.objects.filter(pk__gt=since_audit_id).order_by("object_type", "object_repr", "action")
    ]
    subjects = sorted(
        (s.kind, s.name, s.code, s.region_id, s.managing_department_id, s.legal_representative, s.search_text)
        for s in Subject.objects.all()
    )
    return records, revisions, sorted(map(str, events)), subjects


def _both_ways(scope, kind, rows):
    """Run the rows through record_upsert one by one, roll back, then through the bulk path."""
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        single = [_outcome(r) for r in _row_by_row(scope, kind, rows)]
        single_state = _state(start)
        transaction.set_rollback(True)
    with transaction.atomic():
        bulk = [_outcome(r) for r in services.record_upsert_many(scope=scope, kind=kind, rows=rows, reason="导入")]
    return single, single_state, bulk, _state(start)


def _mixed_rows(penalty_input, dept_a, dept_b):
    person = make_id_number("540402", date(1985, 5, 6), 17)
    new_org = make_uscc("9", "1", "540400", 777)
    return [
        penalty_input(),  # existing, unchanged
        penalty_input(document_number="OLD-2", fine_amount="0.8"),  # existing, corrected
        penalty_input(document_number="OLD-3", fine_amount="0.9"),  # existing but withdrawn
        penalty_input(
            document_number="OLD-B", department=dept_b, source_uscc=dept_a.uscc, source_name=dept_a.name
        ),  # another department's record
        penalty_input(
            document_number="N-1", severity="轻微", decision_date="2026-05-06", penalty_valid_until="2026-05-06"
        ),  # not published; rule set of 2026-04-01
        penalty_input(document_number="N-2", severity="严重", decision_date="2025-01-06"),  # late, old rule set
        penalty_input(document_number="N-3", subject_name="林芝新办商贸有限公司", uscc=new_org),  # new subject
        penalty_input(document_number="N-4", subject_name="林芝新办商贸有限公司", uscc=new_org),  # …matched again
        penalty_input(
            document_number="N-5",
            subject_name="王建国",
            subject_category="自然人",
            uscc="",
            legal_representative="",
            id_number=person,
        ),
        penalty_input(document_number="N-6", subject_category="个体工商户"),  # kind differs from the registered
        penalty_input(document_number="N-7", uscc="91540400MA6T00000X"),  # invalid code
        penalty_input(document_number="N-8", violation_facts="", fine_amount="-1"),  # two errors
        penalty_input(document_number="N-9", authority_uscc="11540400000099990X", source_uscc=""),  # unknown dept
        penalty_input(document_number="N-10", department=dept_b),  # not the clerk's department
        penalty_input(
            document_number="N-11",
            department=dept_b,
            source_uscc=dept_a.uscc,
            source_name=dept_a.name,
            subject_name="林芝外部门商贸有限公司",
            uscc=make_uscc("9", "1", "540400", 778),
        ),  # allowed as provider, but may not register dept_b's subject
        penalty_input(document_number="N-12", legal_rep_id_number=make_id_number("540402", date(1970, 2, 3), 5)),
        penalty_input(document_number="N 13"),  # the same key twice (文书号 normalised): the later row
        penalty_input(document_number="N\u300013", fine_amount="0.7"),  # …updates the earlier one
        penalty_input(document_number="N-14", publication_deadline="2026-12-01"),
        penalty_input(document_number="N-15", publication_deadline="2026-04-01"),  # outside the window
    ]


def test_bulk_results_identical_to_record_upsert(penalty_input, clerk_a, dept_a, dept_b):
    services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(), today=TODAY)
    services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number="OLD-2"))
    withdrawn = services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number="OLD-3"))
    services.record_withdraw(scope=GLOBAL_SCOPE, record=withdrawn.record, reason="行政复议决定撤销")
    services.record_upsert(
        scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number="OLD-B", department=dept_b)
    )
    rows = _mixed_rows(penalty_input, dept_a, dept_b)

    single, single_state, bulk, bulk_state = _both_ways(scope_for(clerk_a), "penalty", rows)

    assert bulk == single
    assert bulk_state == single_state
    assert single[:4] == ["unchanged", "updated", single[2], single[3]]
    assert "已撤销" in single[2]["document_number"][0] and "不属于本部门" in single[3]["document_number"][0]
    assert single[4:9] == ["created"] * 5
    assert "不一致" in single[9]["subject_category"][0]
    assert set(single[11]) == {"violation_facts", "fine_amount"}
    assert "无法登记新主体" in single[14]["subject_name"][0]
    assert single[16:18] == ["created", "updated"]
    late = PenaltyRecord.objects.get(document_number="N-2")
    assert late.is_late and late.rule_set != PenaltyRecord.objects.get(document_number="N-1").rule_set
    assert not PenaltyRecord.objects.get(document_number="N-1").published
    assert PenaltyRecord.objects.get(document_number="N 13").version == 2
    assert audit.verify_chain()[0]


def test_bulk_licences_identical_to_record_upsert(license_input, clerk_a):
    services.record_upsert(scope=GLOBAL_SCOPE, kind="license", data=license_input(), today=TODAY)
    rows = [
        license_input(),
        license_input(document_number="L-1", valid_until="长期"),
        license_input(document_number="L-2", category="特许", current_status="无效"),
        license_input(document_number="L-3", valid_from="2026-03-01", valid_until="2026-02-01"),
        license_input(document_number="L-4", category="随便"),
    ]
    single, single_state, bulk, bulk_state = _both_ways(scope_for(clerk_a), "license", rows)
    assert bulk == single and bulk_state == single_state
    assert single[:3] == ["unchanged", "created", "created"]


def test_concurrent_insert_falls_back_to_row_by_row(penalty_input):
    rows = [penalty_input(document_number=f"C-{i}") for i in range(3)]
    real = record_service._write_batch
    calls = []

    def racing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(*args, **kwargs)  # writes, then the unique key "collides" and the batch rolls back
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(*args, **kwargs)

    with mock.patch.object(record_service, "_write_batch", racing):
        results = services.record_upsert_many(scope=GLOBAL_SCOPE, kind="penalty", rows=rows, today=TODAY)
    assert [r.outcome for r in results] == ["created"] * 3
    assert PenaltyRecord.objects.count() == 3 and RecordRevision.objects.count() == 3
    assert audit.verify_chain()[0]


# --- the import job -------------------------------------------------------------------------------


def _job(user, rows, name="处罚.csv"):
    with mock.patch("registry.tasks.import_run.apply_async"):
        return services.import_job_create(
            user=user, kind="penalty", uploaded_file=SimpleUploadedFile(name, _csv(rows, "utf-8-sig"))
        )


def _report(job):
    job.error_report.open("rb")
    try:
        return list(csv.reader(io.StringIO(job.error_report.read().decode("utf-8-sig"))))
    finally:
        job.error_report.close()


def test_import_mixed_rows_update_unchanged_and_report(clerk_a, penalty_input, django_capture_on_commit_callbacks):
    services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number="E-1"))
    services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number="E-2"))
    before = PenaltyRecord.objects.get(document_number="E-2")
    revisions, events = RecordRevision.objects.count(), AuditEvent.objects.count()
    rows = [
        penalty_input(document_number="E-1", fine_amount="0.9"),  # row 2: update
        penalty_input(document_number="E-2"),  # row 3: unchanged
        penalty_input(document_number="E-3", uscc="123"),  # row 4: rejected
        penalty_input(document_number="E-4"),  # row 5: new
        penalty_input(document_number="E-3"),  # row 6: the 文书号 of row 4 again
        penalty_input(
            document_number="E-5", decision_date="2027-01-01", penalty_valid_until="2027-01-01"
        ),  # row 7: rejected
    ]
    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)

    assert job.status == ImportJob.Status.DONE, job.message
    counts = (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count, job.processed_rows)
    assert counts == (1, 1, 1, 3, 6)
    report = _report(job)
    assert [line[0] for line in report[1:]] == ["4", "6", "7"]
    assert "统一社会信用代码" in report[1][1] and "与文件第4行的文书号重复" in report[2][1]
    assert report[3][1] == "处罚决定日期不能晚于今天。" and report[3][2] == rows[5]["subject_name"]
    assert [e["row"] for e in job.errors] == [4, 6, 7]
    updated = PenaltyRecord.objects.get(document_number="E-1")
    assert updated.version == 2 and str(updated.fine_amount.normalize()) == "0.9"
    assert updated.revisions.filter(action="correct", reason="批量导入：处罚.csv").count() == 1
    unchanged = PenaltyRecord.objects.get(document_number="E-2")
    assert (unchanged.version, unchanged.updated_at) == (before.version, before.updated_at)
    assert RecordRevision.objects.count() == revisions + 2  # E-1 corrected, E-4 created; E-2 untouched
    assert AuditEvent.objects.count() == events + 3  # the job, E-1 corrected, E-4 created
    ok, checked, _message = audit.verify_chain()
    assert ok and checked == AuditEvent.objects.count()


@pytest.mark.django_db(transaction=True)
def test_import_signals_and_public_cache(clerk_a, penalty_input, monkeypatch):
    """Real commits here: the public page cache is bumped when a chunk commits, not before.

    Chunks written inline, so that the signals are seen here (writer processes: test_import_parallel).
    """
    monkeypatch.setattr(import_service, "WRITER_PROCESSES", 0)
    services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number="S-1"))
    job = _job(clerk_a, [penalty_input(document_number="S-1", fine_amount="0.9"), penalty_input(document_number="S-2")])
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((sender.__name__, getattr(instance, "document_number", instance.pk and "audit"), created))

    post_save.connect(receiver, sender=PenaltyRecord, dispatch_uid="test-bulk-records")
    post_save.connect(receiver, sender=AuditEvent, dispatch_uid="test-bulk-audit")
    version = page_cache.current_version()
    real = import_service.record_upsert_many

    def before_commit(**kwargs):
        results = real(**kwargs)
        assert page_cache.current_version() == version  # written, not committed: no bump yet
        return results

    try:
        with mock.patch.object(import_service, "record_upsert_many", before_commit):
            services.import_job_run(job_id=job.pk)
    finally:
        post_save.disconnect(sender=PenaltyRecord, dispatch_uid="test-bulk-records")
        post_save.disconnect(sender=AuditEvent, dispatch_uid="test-bulk-audit")
    assert ("PenaltyRecord", "S-2", True) in seen and ("PenaltyRecord", "S-1", False) in seen
    assert seen.count(("AuditEvent", "audit", True)) == 2
    assert page_cache.current_version() != version


def test_import_new_subjects_keep_the_audit_chain(clerk_a, penalty_input):
    rows = [
        penalty_input(
            document_number=f"P-{i}", subject_name=f"林芝新设{i}号有限公司", uscc=make_uscc("9", "1", "540400", 900 + i)
        )
        for i in range(5)
    ]
    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)
    assert job.created_count == 5
    assert Subject.objects.filter(name__startswith="林芝新设").count() == 5
    assert Subject.objects.get(name="林芝新设3号有限公司").search_text  # search fields set by the service
    ok, checked, _message = audit.verify_chain()
    assert ok and checked == AuditEvent.objects.count()


def test_failed_chunk_keeps_earlier_chunks_and_their_report(clerk_a, penalty_input, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 3)
    rows = [penalty_input(document_number=f"F-{i}") for i in range(7)]
    rows[1] = penalty_input(document_number="F-1", uscc="bad")  # rejected in the first chunk
    rows[4] = penalty_input(document_number="F-4", uscc="bad")  # rejected in the failing chunk
    real = import_service.record_upsert_many
    calls = []

    def second_chunk_breaks(**kwargs):
        calls.append(1)
        results = real(**kwargs)  # the chunk's rows are written…
        if len(calls) == 2:
            raise RuntimeError("database went away")  # …then it fails before committing
        return results

    monkeypatch.setattr(import_service, "record_upsert_many", second_chunk_breaks)
    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)

    assert job.status == ImportJob.Status.FAILED and "RuntimeError" in job.message
    assert (job.processed_rows, job.created_count, job.rejected_count) == (3, 2, 1)
    assert sorted(PenaltyRecord.objects.values_list("document_number", flat=True)) == ["F-0", "F-2"]
    assert [line[0] for line in _report(job)[1:]] == ["3"]  # row 3 = F-1 (the header is row 1)
    assert audit.verify_chain()[0]
    stored = ImportJob.objects.get(pk=job.pk)
    assert (stored.processed_rows, stored.created_count) == (3, 2)


def test_progress_is_stored_after_each_chunk(clerk_a, penalty_input, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    rows = [penalty_input(document_number=f"G-{i}") for i in range(5)]
    job = _job(clerk_a, rows)
    progress = []
    real = import_service.record_upsert_many

    def watch(**kwargs):
        progress.append(ImportJob.objects.get(pk=job.pk).processed_rows)
        return real(**kwargs)

    monkeypatch.setattr(import_service, "record_upsert_many", watch)
    done = services.import_job_run(job_id=job.pk)
    assert progress == [0, 2, 4]
    assert done.processed_rows == 5 and done.percent == 100


def test_rejected_rows_and_repeats_across_chunks(clerk_a, penalty_input, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    rows = [
        penalty_input(document_number="H-1"),
        penalty_input(document_number="H-2", uscc="123"),  # rejected by cleaning
        penalty_input(document_number="H-3"),
        penalty_input(document_number="H-1"),  # the 文书号 of row 2 again, in a later chunk
        penalty_input(document_number="H-5"),
    ]
    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.rejected_count, job.processed_rows) == (3, 2, 5)
    assert [e["row"] for e in job.errors] == [3, 5]
    assert sorted(
        PenaltyRecord.objects.filter(document_number__startswith="H-").values_list("document_number", flat=True)
    ) == [
        "H-1",
        "H-3",
        "H-5",
    ]


def test_unreadable_file_fails_the_job(clerk_a, penalty_input, monkeypatch):
    def broken(rows, kind):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        yield  # a generator, like the real one

    monkeypatch.setattr(import_service, "_rows_from_sheet", broken)
    job = services.import_job_run(job_id=_job(clerk_a, [penalty_input(document_number="J-1")]).pk)
    assert job.status == ImportJob.Status.FAILED and "UnicodeDecodeError" in job.message


# --- queries per chunk ----------------------------------------------------------------------------


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_chunk_queries_do_not_grow_with_rows(postgres, clerk_a, penalty_input, make_subject):
    subjects = [make_subject(f"林芝计数{i}号有限公司") for i in range(3)]
    for tag, n in (("A", 2), ("B", 7)):
        for i in range(n):
            for kind in ("Q", "U"):
                data = penalty_input(document_number=f"{tag}-{kind}-{i}")
                services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=data)
    scope = scope_for(clerk_a)

    def run(tag, n):
        rows = []
        for i in range(n):
            subject = subjects[i % len(subjects)]
            rows += [
                penalty_input(document_number=f"{tag}-N-{i}", subject_name=subject.name, uscc=subject.uscc),
                penalty_input(document_number=f"{tag}-Q-{i}", fine_amount="0.9"),  # updated
                penalty_input(document_number=f"{tag}-U-{i}"),  # unchanged
                penalty_input(document_number=f"{tag}-X-{i}", uscc="bad"),  # rejected
            ]
        with transaction.atomic():
            results = services.record_upsert_many(scope=scope, kind="penalty", rows=rows, departments={})
        assert [_outcome(r) if not isinstance(r, ValidationError) else "rejected" for r in results] == [
            "created",
            "updated",
            "unchanged",
            "rejected",
        ] * n

    small, large = _queries(lambda: run("A", 2)), _queries(lambda: run("B", 7))
    assert small == large
    # departments, subjects, existing records (locked), records INSERT + UPDATE, revisions, the audit
    # chain's lock, tip and INSERT, and the savepoints around the batch and the caller's transaction.
    assert large == 13


def test_import_job_queries_do_not_grow_with_rows(postgres, clerk_a, penalty_input, make_subject):
    subject = make_subject("林芝计数有限公司")

    def rows(tag, n):
        return [
            penalty_input(document_number=f"{tag}-{i}", subject_name=subject.name, uscc=subject.uscc) for i in range(n)
        ]

    warm_job, small_job, large_job = (
        _job(clerk_a, rows("W", 1)),
        _job(clerk_a, rows("J", 5)),
        _job(clerk_a, rows("K", 150)),
    )
    services.import_job_run(job_id=warm_job.pk)  # per-process memos (working-day calendar) filled
    small = _queries(lambda: services.import_job_run(job_id=small_job.pk))
    large = _queries(lambda: services.import_job_run(job_id=large_job.pk))
    assert small == large
    assert PenaltyRecord.objects.count() == 156


@pytest.mark.parametrize("prepared", [True, False])
def test_subjects_by_key_finds_by_uscc_and_id_hmac(make_subject, settings, prepared):
    from creditsys import crypto
    from registry.selectors import subjects_by_key

    settings.DB_PREPARED_STATEMENTS = prepared  # False: Django's raw query (behind a transaction pooler)

    firm = make_subject("林芝雪域商贸有限公司")
    other = make_subject("林芝高原建材有限公司")
    person = make_subject("王建国", kind=Subject.Kind.NATURAL_PERSON)
    found = subjects_by_key("uscc", {firm.uscc, other.uscc, "91540400MA6T00000X"})
    assert sorted((s.pk, s.kind, s.name, s.uscc) for s in found) == sorted(
        (s.pk, s.kind, s.name, s.uscc) for s in (firm, other)
    )
    assert all(not s._state.adding for s in found)
    [match] = subjects_by_key("id_number_hmac", [person.id_number_hmac, crypto.lookup_hmac("540402198001011234")])
    assert (match.pk, match.kind, match.name) == (person.pk, Subject.Kind.NATURAL_PERSON, "王建国")
    assert match.region_id == person.region_id  # a field not read loads on access
    assert subjects_by_key("uscc", []) == []
