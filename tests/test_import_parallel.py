"""The import's chunks written by two forked processes at once (``creditsys.parallel``, PostgreSQL only).

Real commits here (``transaction=True``): each writer process has its own connection, which cannot see
a test's uncommitted rows. Inside a transaction the import runs its chunks inline (the other tests).
What a writer process does is seen here through the database or through a file it appends to
(``_Calls``): its memory is its own.
"""

import multiprocessing
import os
import time
from pathlib import Path

import psycopg.errors
import pytest
from django.db import OperationalError, connection, transaction

from creditsys import audit, context
from creditsys.models import AuditEvent
from creditsys.parallel import Writers, parallel_writes_possible
from publicity import cache as page_cache
from registry import services
from registry.demo import make_uscc
from registry.models import ImportJob, PenaltyRecord, Subject
from registry.services import imports as import_service
from registry.services import records as record_service

from .conftest import GLOBAL_SCOPE

# The bulk tests' autouse fixtures (uploads in a temporary MEDIA_ROOT, a fixed today) apply here too.
from .test_import_bulk import _job, _media, _report, _today  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres(postgres, monkeypatch):
    monkeypatch.setattr(import_service, "WRITER_PROCESSES", 2)


def _connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _settled_connections(expected: int) -> int:
    # A closed connection's backend leaves pg_stat_activity a moment after the client hung up.
    for _ in range(100):
        if (found := _connections()) <= expected:
            return found
        time.sleep(0.02)
    return found


class _Calls:
    """Lines appended by whichever process calls ``add`` (one short write each, whole), read here."""

    def __init__(self, path: Path):
        self.path = path
        path.touch()

    def add(self, *values) -> None:
        with self.path.open("a") as fh:
            fh.write("\t".join(map(str, values)) + "\n")

    def lines(self) -> list[list[str]]:
        return [line.split("\t") for line in self.path.read_text().splitlines()]


def _writer_pids(monkeypatch, tmp_path) -> _Calls:
    """The process ids that ran each chunk's ``record_upsert_many``."""
    calls = _Calls(tmp_path / "writers.txt")
    real = import_service.record_upsert_many

    def recording(**kwargs):
        calls.add(os.getpid())
        return real(**kwargs)

    monkeypatch.setattr(import_service, "record_upsert_many", recording)
    return calls


def _new_firm(i):
    return {"subject_name": f"林芝并行新设{i}号有限公司", "uscc": make_uscc("9", "1", "540400", 7700 + i)}


def test_chunks_written_at_once_give_the_job_one_writer_would(clerk_a, penalty_input, monkeypatch, tmp_path):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 3)
    for number in ("W-U", "W-C"):
        services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(document_number=number))
    rows = [penalty_input(document_number=f"W-{i}") for i in range(10)]
    rows[1] = penalty_input(document_number="W-1", uscc="123")  # rejected by cleaning (file row 3)
    rows[4] = penalty_input(document_number="W-U")  # unchanged
    rows[5] = penalty_input(document_number="W-C", fine_amount="0.9")  # corrected
    rows[7] = penalty_input(document_number="W-2")  # the 文书号 of file row 4 again (file row 9)
    for i in (2, 3, 8, 9):  # two new subjects, each in chunks written at the same time
        rows[i] = penalty_input(document_number=f"W-{i}", **_new_firm(i % 2))
    writers = _writer_pids(monkeypatch, tmp_path)
    before = _connections()
    version = page_cache.current_version()

    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)

    assert job.status == ImportJob.Status.DONE, job.message
    counts = (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count, job.processed_rows)
    assert counts == (6, 1, 1, 2, 10)
    stored = ImportJob.objects.get(pk=job.pk)
    assert (
        stored.created_count,
        stored.updated_count,
        stored.unchanged_count,
        stored.rejected_count,
        stored.processed_rows,
    ) == counts
    assert [line[0] for line in _report(job)[1:]] == ["3", "9"]  # in file order, each once
    assert [e["row"] for e in job.errors] == [3, 9]
    pids = [pid for (pid,) in writers.lines()]
    assert len(pids) == 4 and len(set(pids)) == 2 and str(os.getpid()) not in pids  # two forked writers
    assert Subject.objects.filter(name__startswith="林芝并行新设").count() == 2
    for i in (2, 3, 8, 9):
        record = PenaltyRecord.objects.select_related("subject").get(document_number=f"W-{i}")
        assert record.subject.name == _new_firm(i % 2)["subject_name"]
    assert PenaltyRecord.objects.get(document_number="W-C").version == 2
    ok, checked, message = audit.verify_chain()
    assert ok and checked == AuditEvent.objects.count(), message
    actors = set(AuditEvent.objects.filter(object_type="registry.penaltyrecord").values_list("actor", "channel"))
    assert ("import:clerk_a", "task") in actors  # the writer processes act for the importing user
    assert page_cache.current_version() != version  # their commits bumped the public pages' cache
    assert _settled_connections(before) == before  # the writer processes' connections are closed


def test_new_subjects_two_chunks_both_create_need_no_retry(clerk_a, penalty_input, monkeypatch, tmp_path):
    """Both chunks look for the same two new subjects before either has created them, and would
    create them in opposite order: without the audit chain's lock taken first, each would insert
    one and wait for the other's — a deadlock PostgreSQL breaks after a second."""
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    x, y = _new_firm(1), _new_firm(2)
    rows = [
        penalty_input(document_number="D-1", **x),
        penalty_input(document_number="D-2", **y),
        penalty_input(document_number="D-3", **y),
        penalty_input(document_number="D-4", **x),
    ]
    both_looked = multiprocessing.get_context("fork").Barrier(2, timeout=10)  # shared by the two writers
    real_find = record_service._find_subjects
    first_look = {"done": False}  # each writer process has its own copy

    def find_together(cleaned_rows):
        found = real_find(cleaned_rows)
        if not first_look["done"]:
            first_look["done"] = True
            both_looked.wait()  # each chunk has looked and found neither subject
        return found

    monkeypatch.setattr(record_service, "_find_subjects", find_together)
    fallbacks = _Calls(tmp_path / "fallbacks.txt")
    real_upsert, real_info = record_service.record_upsert, import_service.logger.info

    def row_by_row(*args, **kwargs):
        fallbacks.add("row by row")
        return real_upsert(*args, **kwargs)

    def logged(*args, **kwargs):
        fallbacks.add("logged", args[0])
        return real_info(*args, **kwargs)

    monkeypatch.setattr(record_service, "record_upsert", row_by_row)
    monkeypatch.setattr(import_service.logger, "info", logged)

    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)

    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.rejected_count) == (4, 0)
    assert Subject.objects.filter(name__in=[x["subject_name"], y["subject_name"]]).count() == 2
    assert fallbacks.lines() == []  # found after the lock: no row-by-row fallback, no retry logged
    assert audit.verify_chain()[0]


def test_chunk_rolled_back_by_a_deadlock_is_written_again(clerk_a, penalty_input, monkeypatch, tmp_path):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    rows = [penalty_input(document_number=f"R-{i}") for i in range(5)]
    real = import_service.record_upsert_many
    calls = _Calls(tmp_path / "chunks.txt")

    def deadlocked_once(**kwargs):
        first = kwargs["rows"][0]["document_number"]
        calls.add(first)
        results = real(**kwargs)
        if first == "R-0" and [c for (c,) in calls.lines()].count("R-0") == 1:
            raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")
        return results

    monkeypatch.setattr(import_service, "record_upsert_many", deadlocked_once)
    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)

    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.processed_rows) == (5, 5)
    assert sorted(c for (c,) in calls.lines()) == ["R-0", "R-0", "R-2", "R-4"]  # the rolled-back chunk, once more
    assert PenaltyRecord.objects.filter(document_number__startswith="R-").count() == 5
    assert ImportJob.objects.get(pk=job.pk).created_count == 5
    assert audit.verify_chain()[0]


def test_failed_chunk_leaves_the_counts_of_what_committed(clerk_a, penalty_input, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    rows = [penalty_input(document_number=f"K-{i}") for i in range(8)]
    rows[6] = penalty_input(document_number="K-6", uscc="bad")
    real = import_service.record_upsert_many

    def second_chunk_breaks(**kwargs):
        results = real(**kwargs)
        if kwargs["rows"][0]["document_number"] == "K-2":
            raise RuntimeError("database went away")
        return results

    monkeypatch.setattr(import_service, "record_upsert_many", second_chunk_breaks)
    job = services.import_job_run(job_id=_job(clerk_a, rows).pk)

    assert job.status == ImportJob.Status.FAILED and "RuntimeError" in job.message
    written = set(
        PenaltyRecord.objects.filter(document_number__startswith="K-").values_list("document_number", flat=True)
    )
    assert {"K-0", "K-1"} <= written and not {"K-2", "K-3"} & written  # before it: kept; it: rolled back
    stored = ImportJob.objects.get(pk=job.pk)
    # Chunks already in flight when the second failed may have committed: the counts say what did.
    assert job.created_count == stored.created_count == len(written)
    assert job.processed_rows == stored.processed_rows == len(written) + job.rejected_count
    assert [line[0] for line in _report(job)[1:]] == (["8"] if "K-7" in written else [])
    assert audit.verify_chain()[0]


def _work(i):
    if i == 3:
        raise ValueError("three")
    time.sleep(0.01 * (5 - i))  # later calls finish first
    return i, context.current().actor, os.getpid()


def test_writers_keep_order_errors_and_the_acting_user():
    with context.acting(actor="import:clerk", channel="task"), Writers(2, _work) as writers:
        futures = [writers.submit(i) for i in range(5)]
        results = [f.exception() or f.result() for f in futures]
    assert [r[0] for r in results if not isinstance(r, Exception)] == [0, 1, 2, 4]
    assert isinstance(results[3], ValueError) and str(results[3]) == "three"
    assert {r[1] for r in results if not isinstance(r, Exception)} == {"import:clerk"}
    pids = {r[2] for r in results if not isinstance(r, Exception)}
    assert len(pids) == 2 and os.getpid() not in pids
    for pid in pids:  # both exited and were waited for
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    with Writers(0, os.getpid) as inline:  # no processes: run at once, here
        assert inline.submit().result() == os.getpid()


def _unpicklable_or_gone(i):
    if i == 0:
        return lambda: None  # a result that cannot travel back
    if i == 1:
        os._exit(3)  # the writer dies mid-call
    return i


def test_writers_answer_what_cannot_come_back_and_a_writer_that_died():
    with Writers(2, _unpicklable_or_gone) as writers:
        unpicklable, died, after = writers.submit(0), writers.submit(1), writers.submit(3)
        assert isinstance(unpicklable.exception(timeout=30), RuntimeError)
        assert "function" in str(unpicklable.exception())
        assert isinstance(died.exception(timeout=30), ChildProcessError)  # not a hang
        assert after.result(timeout=30) == 3  # the other writer goes on
        for _ in range(2):  # whatever goes to the writer that died fails at once, the other answers
            results = [writers.submit(i) for i in (4, 5)]
            outcomes = [f.exception(timeout=30) or f.result() for f in results]
            assert sorted(map(type, outcomes), key=str) == sorted([int, ChildProcessError], key=str)


def test_no_writer_processes_inside_a_transaction():
    assert parallel_writes_possible()
    with transaction.atomic():
        assert not parallel_writes_possible()  # the writers could not see what this transaction wrote


@pytest.fixture
def media_for_the_worker(settings, monkeypatch):
    # The worker process reads the upload from MEDIA_ROOT: the same directory as this test's.
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)


@pytest.mark.redis
@pytest.mark.parametrize("pool", ["solo", pytest.param("prefork", marks=pytest.mark.celery_pool("prefork"))])
def test_import_task_in_a_real_worker_writes_chunks_at_once(
    pool, clerk_a, penalty_input, media_for_the_worker, celery_worker_process
):
    from registry.tasks import import_run

    rows = [penalty_input(document_number=f"C-{i}") for i in range(1_100)]  # three chunks of up to 500
    rows[700] = penalty_input(document_number="C-700", uscc="bad")
    job = _job(clerk_a, rows)

    answer = import_run.apply_async(args=[job.pk], queue=celery_worker_process).get(timeout=120)

    assert answer == {"job": job.pk, "status": ImportJob.Status.DONE, "rejected": 1}
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count, job.processed_rows, job.total_rows) == (1_099, 1, 1_100, 1_100)
    assert [e["row"] for e in job.errors] == [702]
    assert PenaltyRecord.objects.filter(document_number__startswith="C-").count() == 1_099
    assert audit.verify_chain()[0]
