"""Excel/CSV import of 双公示 records in the national template layout (SPEC §5).

Files are read in streaming mode (openpyxl ``read_only``; ``csv`` line by line) so memory does not
grow with the file. Rows are upserted a chunk at a time by ``record_upsert_many``, which judges each
row exactly as the ``record_upsert`` of the forms and the API (the same functions) but writes the
chunk with a constant number of queries: a valid row is saved whole, a rejected row not at all.
On PostgreSQL two chunks are written at once, each by its own forked process and connection
(``creditsys.parallel``), so that the Python of both runs on both cores.
Progress and counts live on the ``ImportJob`` row; a re-run of the same job (worker killed) gives the
same records because every row is an idempotent upsert.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from creditsys import audit, context
from creditsys.parallel import Writers, parallel_writes_possible

from ..models import ImportJob, User
from ..record_fields import COLUMNS, TEMPLATE_NOTES, header_map, labels
from ..scoping import Scope, scope_for_user
from ..validators import normalize_code
from .records import CREATED, UNCHANGED, UPDATED, record_upsert_many

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".xlsx", ".csv")
# Rows per transaction; progress is stored after each chunk. 500 rather than 200: the per-chunk costs
# (commit, audit-chain lock, subject and record lookups) weigh less, memory stays flat (~10 MB more).
CHUNK_ROWS = 500
KEEP_ERRORS = 200
# Chunks written at the same time, each in its own process and transaction (``creditsys.parallel``):
# two for two cores (the parent reads the file, PostgreSQL fits in between).
WRITER_PROCESSES = 2
DEADLOCK_RETRIES = 3
DEADLOCK_DETECTED = "40P01"


# --- templates --------------------------------------------------------------------------------


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "行政处罚" if kind == "penalty" else "行政许可"
    ws.append([label for _name, label, _req in COLUMNS[kind]])
    for cell, (_name, _label, required) in zip(ws[1], COLUMNS[kind], strict=True):
        cell.font = Font(bold=True, color="C0392B" if required else "000000")
        cell.fill = PatternFill("solid", fgColor="EEF2F7")
        ws.column_dimensions[cell.column_letter].width = 18
    notes = wb.create_sheet("填写说明")
    notes.append(["红色列为必填项；第一行为表头，请勿修改；从第二行起每行一条记录。"])
    for line in TEMPLATE_NOTES[kind]:
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv(kind: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow([label for _name, label, _req in COLUMNS[kind]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- reading ----------------------------------------------------------------------------------


def _clean_cell(value):
    if isinstance(value, str):
        return value.strip()
    return value


def _rows_from_sheet(rows: Iterator, kind: str) -> Iterator[tuple[int, dict, list]]:
    """(row number, {field: value}, raw values) for each non-empty data row."""
    mapping = header_map(kind)
    fields: list[str | None] | None = None
    for number, raw in enumerate(rows, start=1):
        values = [_clean_cell(v) for v in raw]
        if not any(v not in (None, "") for v in values):
            continue
        if fields is None:
            fields = [mapping.get(str(v).strip()) if v is not None else None for v in values]
            if not any(fields):
                raise ValidationError({"file": ["第一行不是模板表头，请使用系统提供的导入模板。"]})
            missing = [label for name, label, req in COLUMNS[kind] if req and name not in fields]
            missing = [m for m in missing if m not in ("数据来源单位", "数据来源单位统一社会信用代码")]
            if missing:
                raise ValidationError({"file": [f"表头缺少必填列：{'、'.join(missing)}。"]})
            continue
        data = {f: v for f, v in zip(fields, values, strict=False) if f}
        yield number, data, values


def _open_rows(path: Path) -> Iterator:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            yield from wb.worksheets[0].iter_rows(values_only=True)
        finally:
            wb.close()
        return
    with open(path, "rb") as probe:
        head = probe.read(65536)
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        encoding = "gb18030"  # spreadsheets saved as CSV on Chinese Windows
    with open(path, encoding=encoding, newline="", errors="replace") as fh:
        yield from csv.reader(fh)


def _count_rows(path: Path) -> int | None:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            rows = wb.worksheets[0].max_row
        finally:
            wb.close()
        return max(0, rows - 1) if rows else None
    with open(path, "rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


# --- jobs -------------------------------------------------------------------------------------


@transaction.atomic
def import_job_create(*, user: User, kind: str, uploaded_file) -> ImportJob:
    """Store the upload (outside the web root) and queue the import after commit."""
    if kind not in COLUMNS:
        raise ValidationError({"kind": ["数据类别无效。"]})
    name = Path(uploaded_file.name or "").name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise ValidationError({"file": ["只接受 .xlsx 或 .csv 文件（请使用导入模板）。"]})
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [f"文件不能超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请分批导入。"]})
    scope = scope_for_user(user)
    if scope.department is None and not scope.is_global:
        raise PermissionDenied("您的账号未关联部门，不能导入。")
    job = ImportJob(kind=kind, original_name=name[:200], department=scope.department, created_by=user)
    job.file.save(f"{kind}{Path(name).suffix.lower()}", uploaded_file, save=False)
    job.save()
    audit.record(action="create", instance=job, after={"kind": kind, "file": name})
    from creditsys.queue import enqueue_after_commit

    from ..tasks import import_run

    enqueue_after_commit(import_run, job.pk)  # a broker outage is logged; the job stays queued
    return job


def _reason(kind: str, exc: ValidationError) -> str:
    names = labels(kind)
    parts = []
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
    for field, messages in items:
        label = names.get(field, "")
        for message in messages:
            parts.append(message if not label or label in message else f"{label}：{message}")
    return "；".join(parts)


# A job "running" this long without finishing is taken to have lost its worker.
STALE_RUNNING = timedelta(hours=1)
# A queued job not picked up after this long was probably never sent (broker down): send it again.
REQUEUE_AFTER = timedelta(minutes=2)


def import_jobs_requeue(*, now=None) -> list[int]:
    """Beat sweep: re-send jobs that were never picked up or whose worker died (idempotent)."""
    from creditsys.queue import enqueue_after_commit

    from ..tasks import import_run

    now = now or timezone.now()
    ids = list(
        ImportJob.objects.filter(
            Q(status=ImportJob.Status.QUEUED, created_at__lt=now - REQUEUE_AFTER)
            | Q(status=ImportJob.Status.RUNNING, started_at__lt=now - STALE_RUNNING)
        ).values_list("pk", flat=True)[:100]
    )
    for job_id in ids:
        enqueue_after_commit(import_run, job_id)
    return ids


def _chunks(rows, size: int):
    """Lists of up to ``size`` rows from a (streamed) iterator, without reading ahead further."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _file_key(data: dict) -> tuple[str, str]:
    """A row's (issuing department, 文书号) as written in the file: a repeat in one file is an error."""
    return normalize_code(str(data.get("authority_uscc") or "")), str(data.get("document_number") or "").strip()


def import_job_run(*, job_id: int) -> ImportJob:
    """Run (or re-run) an import job. Safe to call twice: rows are idempotent upserts."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    # Claim the job: a queued one, or a running one whose worker died (no progress for too long).
    # A second delivery of the same task finds it claimed and returns.
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=timezone.now() - STALE_RUNNING
    )
    claimed = ImportJob.objects.filter(claimable, pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        total_rows=_count_rows(Path(job.file.path)),
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        rejected_count=0,
    )
    job.refresh_from_db()
    if not claimed:
        return job
    return _JobRun(job).run()


class _JobRun:
    """One run of a claimed job: its chunks, counts, error report and the rows seen so far."""

    def __init__(self, job: ImportJob):
        self.job = job
        user = job.created_by
        self.user = user
        self.scope: Scope = scope_for_user(user) if user else Scope("import", job.department, (), False)
        self.reason = f"批量导入：{job.original_name}"
        self.counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, "rejected": 0}
        self.processed = 0
        self.kept_errors: list[dict] = []
        # (department, 文书号) → the file row that had it, keyed by a 128-bit digest of the two: the one
        # thing an import keeps per row, 133 bytes instead of 312 for the two strings (a collision,
        # which would reject a row as a repeat, has a chance below 10⁻²⁶ even in a million rows).
        self.seen: dict[bytes, int] = {}
        # Departments by USCC, kept for the whole job by each writer process (its own copy).
        self.departments: dict = {}
        self.order = [name for name, _l, _r in COLUMNS[job.kind]]
        self.report = tempfile.TemporaryFile(mode="w+", encoding="utf-8-sig", newline="")
        self.report_rows = csv.writer(self.report)
        self.report_rows.writerow(["行号", "错误原因", *[label for _n, label, _r in COLUMNS[job.kind]]])

    def run(self) -> ImportJob:
        job, user = self.job, self.user
        actor = f"import:{user.username}" if user else "import"
        in_flight: deque[tuple[int, Future]] = deque()
        try:
            with (
                context.acting(actor=actor, actor_id=user.pk if user else None, channel="task"),
                Writers(WRITER_PROCESSES if parallel_writes_possible() else 0, self._write) as writers,
            ):
                try:
                    for chunk in _chunks(_rows_from_sheet(_open_rows(Path(job.file.path)), job.kind), CHUNK_ROWS):
                        batch, repeated = self._without_repeats(chunk)
                        in_flight.append((len(chunk), writers.submit(batch, repeated, len(chunk))))
                        if len(in_flight) > writers.count:
                            self._settle(*in_flight.popleft())
                    while in_flight:
                        self._settle(*in_flight.popleft())
                finally:
                    # On a failure: account for the chunks still in flight that did commit, so that
                    # the counts and the report say what was written; the job shows the first failure.
                    while in_flight:
                        try:
                            self._settle(*in_flight.popleft())
                        except Exception:  # noqa: BLE001, S112 — a later chunk's failure, after the first one
                            continue
        except ValidationError as exc:
            job.status, job.message = ImportJob.Status.FAILED, _reason(job.kind, exc)
        except Exception as exc:  # noqa: BLE001 — a broken file must end the job visibly, never hang it
            job.status, job.message = ImportJob.Status.FAILED, f"文件无法读取：{type(exc).__name__}"
        else:
            job.status = ImportJob.Status.DONE
            job.message = ""
        return self._finish()

    def _without_repeats(self, chunk) -> tuple[list[tuple[int, dict]], list]:
        """The chunk's rows to write, and those rejected as repeating an earlier row's 文书号.

        So chunks written at the same time never touch the same record; a new subject in both is
        created by whichever holds the audit chain's lock first and found by the other
        (``record_upsert_many``).
        """
        batch: list[tuple[int, dict]] = []
        repeated: list[tuple[int, dict, ValidationError]] = []
        for number, data, _raw in chunk:
            authority, document_number = _file_key(data)
            if document_number:
                key = hashlib.blake2b(f"{authority}\x1f{document_number}".encode(), digest_size=16).digest()
                if key in self.seen:
                    exc = ValidationError({"document_number": [f"与文件第{self.seen[key]}行的文书号重复。"]})
                    repeated.append((number, data, exc))
                    continue
                self.seen[key] = number
            batch.append((number, data))
        return batch, repeated

    def _write(self, batch: list[tuple[int, dict]], repeated: list, size: int) -> tuple[dict, list]:
        """Write one chunk (in a writer process, or inline): its counts and all its rejected rows."""
        attempt = 1
        while True:
            try:
                return self._write_once(batch, list(repeated), size)
            except OperationalError as exc:
                # The chunk and another writer (a clerk registering the same new subject, say) each
                # waited for a lock the other held: PostgreSQL rolled the chunk back whole, and its
                # rows are written again now that the other has gone on. (Two chunks of one import
                # cannot deadlock: they create subjects only under the audit chain's lock.)
                if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED or attempt == DEADLOCK_RETRIES:
                    raise
                logger.info("import %s: chunk retried after a deadlock", self.job.pk)
                attempt += 1

    def _write_once(self, batch: list[tuple[int, dict]], rejected: list, size: int) -> tuple[dict, list]:
        # One transaction per chunk, written in bulk (``record_upsert_many``): a rejected row writes
        # nothing. The job's counts grow in the same transaction, so they match what is committed.
        with transaction.atomic():
            results = record_upsert_many(
                scope=self.scope,
                kind=self.job.kind,
                rows=[data for _n, data in batch],
                reason=self.reason,
                departments=self.departments,
            )
            chunk_counts = dict.fromkeys(self.counts, 0)
            for (number, data), result in zip(batch, results, strict=True):
                if isinstance(result, ValidationError):
                    rejected.append((number, data, result))
                else:
                    chunk_counts[result.outcome] += 1
            chunk_counts["rejected"] = len(rejected)
            ImportJob.objects.filter(pk=self.job.pk).update(
                processed_rows=F("processed_rows") + size,
                created_count=F("created_count") + chunk_counts[CREATED],
                updated_count=F("updated_count") + chunk_counts[UPDATED],
                unchanged_count=F("unchanged_count") + chunk_counts[UNCHANGED],
                rejected_count=F("rejected_count") + chunk_counts["rejected"],
            )
        return chunk_counts, rejected

    def _settle(self, size: int, written: Future) -> None:
        """Take in a written chunk's counts and report its rejected rows, chunk by chunk in file order.

        Only once the chunk has committed (``written.result()`` raises otherwise), so a chunk that
        fails unexpectedly leaves the report and counts of the others.
        """
        chunk_counts, rejected = written.result()
        self.processed += size
        for name, value in chunk_counts.items():
            self.counts[name] += value
        for number, data, exc in sorted(rejected, key=lambda item: item[0]):
            reason_text = _reason(self.job.kind, exc)
            self.report_rows.writerow(
                [number, reason_text, *["" if data.get(n) is None else data.get(n) for n in self.order]]
            )
            if len(self.kept_errors) < KEEP_ERRORS:
                self.kept_errors.append({"row": number, "document_number": _file_key(data)[1], "reason": reason_text})

    def _finish(self) -> ImportJob:
        job, counts = self.job, self.counts
        job.processed_rows = self.processed
        job.total_rows = self.processed if job.status == ImportJob.Status.DONE else job.total_rows
        job.created_count, job.updated_count = counts[CREATED], counts[UPDATED]
        job.unchanged_count, job.rejected_count = counts[UNCHANGED], counts["rejected"]
        job.errors = self.kept_errors
        job.finished_at = timezone.now()
        if counts["rejected"]:
            self.report.seek(0)
            job.error_report.save(f"import-{job.pk}-errors.csv", File(self.report), save=False)
        self.report.close()
        job.save()
        return job
