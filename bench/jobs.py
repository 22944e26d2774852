"""In-process measurements of the benchmark, one per subprocess (never imports locust or wrk).

    python bench/jobs.py sqlfloor --pools check:check_codes.txt,search:search_1.txt --concurrency 1,4
    python bench/jobs.py import --rows 2000 --repeats 3
    python bench/jobs.py sweep
    python bench/jobs.py explain

Each prints one line ``BENCH_JSON {...}`` for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
POOLS = Path(os.environ.get("BENCH_POOLS", OUT / "pools-small"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditsys.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402


def emit(data: dict) -> None:
    print("BENCH_JSON " + json.dumps(data, ensure_ascii=False), flush=True)


def db_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {}
    s = sorted(samples)

    def p(q):
        return s[min(len(s) - 1, int(q / 100 * len(s)))]

    return {"p50_ms": p(50) * 1000, "p95_ms": p(95) * 1000, "p99_ms": p(99) * 1000, "max_ms": s[-1] * 1000}


def rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Capture:
    """Every (sql, params, prepared) Django sends, in order; ``prepared``: run by the app as a
    server-side prepared statement (``creditsys.db.prepared_cursor``), so replayed as one."""

    def __init__(self):
        self.queries: list[tuple[str, tuple, bool]] = []

    def __call__(self, execute, sql, params, many, context):
        prepared = type(context["cursor"].cursor).__name__ == "PreparingCursor"
        self.queries.append((sql, tuple(params) if params else (), prepared))
        return execute(sql, params, many, context)


# --- the SQL floor: the app's own queries replayed through psycopg ---------------------------------


def capture_check(code: str) -> list:
    from sanctions import selectors
    from sanctions.selectors import MeasureCatalogue

    catalogue = MeasureCatalogue.load()  # loaded once per request/batch by the service, not per code
    cap = Capture()
    with connection.execute_wrapper(cap):
        selectors.check_answer(code, department_id=None, catalogue=catalogue)
    return cap.queries


def capture_search(query: str) -> list:
    from publicity import selectors

    cap = Capture()
    with connection.execute_wrapper(cap):
        selectors.search_page(query, 1)  # what the search view reads
    return cap.queries


def capture_pool(kind: str, pool: Path, samples: int) -> list:
    ops = []
    for line in [ln for ln in pool.read_text().splitlines() if ln.strip()][:samples]:
        q = parse_qs(urlsplit(line).query)
        if kind == "check":
            ops.append(capture_check(q["code"][0]))
        else:
            ops.append(capture_search(unquote(q["q"][0])))
    return ops


def replay(ops: list, concurrency: int, duration: float) -> dict:
    """The captured queries replayed through psycopg by ``concurrency`` threads for ``duration`` s."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker(k: int) -> None:
        mine = []
        # As the app: client-side binding, except the statements it prepares (generic plans).
        options = "-c plan_cache_mode=force_generic_plan"
        with psycopg.connect(
            db_url(), autocommit=True, cursor_factory=psycopg.ClientCursor, options=options, prepare_threshold=2**31
        ) as conn:
            client, server = conn.cursor(), psycopg.Cursor(conn)
            i = k * 7919
            while time.perf_counter() < deadline:
                op = ops[i % len(ops)]
                i += 1
                t = time.perf_counter()
                for sql, params, prepared in op:
                    if prepared:
                        cur = server
                        cur.execute(sql, params or None, prepare=True, binary=True)
                    else:
                        cur = client
                        cur.execute(sql, params or None)
                    if cur.description is not None:
                        cur.fetchall()
                mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {
        "operations": len(latencies),
        "rps": len(latencies) / elapsed,
        "queries_per_op": round(sum(len(o) for o in ops) / max(1, len(ops)), 1),
        "concurrency": concurrency,
        **percentiles(latencies),
    }


def sqlfloor(pools: list[str], concurrencies: list[int], duration: float, samples: int) -> None:
    """``pools``: ``kind:file`` items; one result per pool and concurrency, keyed ``kind:file@n``."""
    results = {}
    for item in pools:
        kind, name = item.split(":", 1)
        ops = capture_pool(kind, POOLS / name, samples)
        for conc in concurrencies:
            results[f"{item}@{conc}"] = {"kind": kind, **replay(ops, conc, duration)}
    emit(results)


# --- penalty import: rows/s and peak RSS ------------------------------------------------------------


IMPORT_NUMBER_PREFIX = "林市监罚〔2026〕B"  # 文书号 of the benchmark's imported penalties (removed after each run)


def write_import_file(path: Path, rows: int, run_tag: str) -> None:
    from registry.models import Department, User
    from registry.record_fields import PENALTY_COLUMNS

    subjects = json.loads((POOLS / "import_subjects.json").read_text())
    clerk_name = json.loads((POOLS / "generate.json").read_text())["clerk"]
    dept: Department = User.objects.get(username=clerk_name).department
    names = [n for n, _l, _r in PENALTY_COLUMNS]
    category = {"organization": "法人及非法人组织", "individual_business": "个体工商户"}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([label for _n, label, _r in PENALTY_COLUMNS])
        for i in range(rows):
            name, uscc, kind = subjects[i % len(subjects)]
            severity = ("轻微", "一般", "严重")[i % 3]
            day = f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}"
            row = {
                "subject_name": name,
                "subject_category": category.get(kind, "法人及非法人组织"),
                "uscc": uscc,
                "legal_representative": "张伟",
                "document_number": f"{IMPORT_NUMBER_PREFIX}{run_tag}-{i}号",
                "violation_type": "未按规定公示年度报告",
                "violation_facts": "当事人未按规定报送2025年度年度报告。",
                "legal_basis": "《企业信息公示暂行条例》第十八条",
                "categories": "警告；罚款",
                "penalty_content": "警告，并处罚款人民币伍仟元整",
                "fine_amount": "0.5",
                "decision_date": day,
                "penalty_valid_until": day,
                "authority_name": dept.name,
                "authority_uscc": dept.uscc,
                "source_name": dept.name,
                "source_uscc": dept.uscc,
                "severity": severity,
            }
            w.writerow([row.get(n, "") for n in names])


def _import_job(rows: int, tag: str):
    from django.core.files import File

    from registry.models import ImportJob, User

    path = OUT / f"import-{rows}.csv"
    write_import_file(path, rows, tag)
    clerk_name = json.loads((POOLS / "generate.json").read_text())["clerk"]
    user = User.objects.get(username=clerk_name)
    job = ImportJob(kind="penalty", original_name=path.name, department=user.department, created_by=user)
    with path.open("rb") as fh:
        job.file.save(path.name, File(fh), save=False)
    job.save()
    return job, path


def run_import(rows: int, repeats: int = 1) -> None:
    """Import a file of ``rows`` penalties ``repeats`` times (a new file and job each) in one process.

    A 2,000-row import lasts well under a second: one such run on this shared host moved by a third
    from one minute to the next, so the figure is the median of several, every run reported beside it.
    """
    from creditsys.parallel import parallel_writes_possible
    from registry.services import import_job_run
    from registry.services.imports import WRITER_PROCESSES

    # A worker that has run a job before: modules imported, memos loaded (a fresh process spends
    # a few hundred milliseconds on that, once). The warm-up job's rows are not measured.
    tags = [f"warm-{time.time_ns()}"]
    warm, _path = _import_job(20, tags[0])
    import_job_run(job_id=warm.pk)
    before = rss_kb("VmRSS")
    runs = []
    for repeat in range(repeats):
        tags.append(f"{int(time.time())}-{rows}-{repeat}")
        job, path = _import_job(rows, tags[-1])
        t = time.perf_counter()
        job = import_job_run(job_id=job.pk)
        elapsed = time.perf_counter() - t
        runs.append({"seconds": elapsed, "rows_per_s": rows / elapsed, "status": job.status, "job": job})
    middle = sorted(runs, key=lambda r: r["rows_per_s"])[len(runs) // 2]
    job = middle["job"]
    emit(
        {
            "rows": rows,
            "status": job.status,
            "message": job.message,
            "created": job.created_count,
            "rejected": job.rejected_count,
            "seconds": middle["seconds"],
            "rows_per_s": middle["rows_per_s"],
            "runs_rows_per_s": [r["rows_per_s"] for r in runs],
            "all_done": all(r["status"] == job.Status.DONE for r in runs),
            "writer_processes": WRITER_PROCESSES if parallel_writes_possible() else 0,
            "file_bytes": path.stat().st_size,
            "rss_before_mb": before / 1024,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            # The largest of the writer processes this process has forked (each shares the pages it
            # had when forked with it, so the two RSS figures overlap).
            "writer_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    )
    remove_imported(tags)


def remove_imported(tags: list[str]) -> None:
    """Delete the penalties the measured imports created, with their revisions and audit entries.

    Otherwise every ``--reuse`` run leaves 32,000 more penalties on the same 5,000 subjects: within
    three hours of runs the benchmark database held 1,052,060 of them (70 % more penalties), and two
    subjects of the report pool had 218 and 207 penalties (10-page credit reports of 1.6–2 s).
    """
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_imported (id bigint PRIMARY KEY) ON COMMIT DROP")
        for tag in tags:
            prefix = f"{IMPORT_NUMBER_PREFIX}{tag}-"
            cursor.execute(
                "INSERT INTO bench_imported SELECT id FROM registry_penaltyrecord WHERE document_number LIKE %s",
                [prefix.replace("%", r"\%").replace("_", r"\_") + "%"],
            )
        cursor.execute("DELETE FROM registry_recordrevision r USING bench_imported i WHERE r.penalty_id = i.id")
        cursor.execute(
            "DELETE FROM creditsys_auditevent a USING bench_imported i "
            "WHERE a.object_type = 'registry.penaltyrecord' AND a.object_id = i.id::text"
        )
        cursor.execute("DELETE FROM registry_penaltyrecord p USING bench_imported i WHERE p.id = i.id")


# --- deadline sweep: O(due), not O(pending) ----------------------------------------------------------


def sweep() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from disputes.models import DeadlineEvent, Objection
    from disputes.services import deadlines_sweep

    today = timezone.localdate()
    # Repeatable: the generator's first N objections are (made) due again, their events forgotten.
    n_due = json.loads((POOLS / "generate.json").read_text())["sizes"]["objections_due"]
    due_ids = list(Objection.objects.order_by("pk").values_list("pk", flat=True)[:n_due])
    DeadlineEvent.objects.filter(item_type="objection", item_id__in=due_ids).delete()
    Objection.objects.filter(pk__in=due_ids).update(
        status=Objection.Status.OPEN,
        next_action="remind",
        next_action_on=today - timedelta(days=1),
        remind_on=today - timedelta(days=1),
        due_date=today + timedelta(days=4),
    )
    pending = Objection.objects.filter(next_action_on__isnull=False).count()
    due = Objection.objects.filter(next_action_on__lte=today).count()
    cap = Capture()
    with connection.execute_wrapper(cap):
        list(
            Objection.objects.filter(next_action_on__lte=today)
            .order_by("next_action_on", "pk")
            .values_list("pk", flat=True)[:500]
        )
    sql, params, _prepared = cap.queries[0]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    t = time.perf_counter()
    fired = checked = 0
    rounds = 0
    while rounds < 100:
        rounds += 1
        counts = deadlines_sweep(today=today, limit=500)
        fired += counts["fired"]
        checked += counts["checked"]
        if counts["checked"] == 0:
            break
    busy = time.perf_counter() - t
    empties = []
    for _ in range(5):
        t = time.perf_counter()
        deadlines_sweep(today=today, limit=500)
        empties.append(time.perf_counter() - t)
    emit(
        {
            "pending": pending,
            "due": due,
            "fired": fired,
            "checked": checked,
            "sweep_seconds": busy,
            "ms_per_due_item": busy * 1000 / max(1, checked),
            "empty_sweep_ms": sorted(empties)[len(empties) // 2] * 1000,
            "due_query_plan": plan,
        }
    )


# --- EXPLAIN evidence ----------------------------------------------------------------------------------


def explain() -> None:
    pools = POOLS
    sections = []

    def first(name: str, n: int = 1) -> list[str]:
        return [ln for ln in (pools / name).read_text().splitlines() if ln.strip()][:n]

    listed_code = None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.uscc FROM sanctions_listentry e JOIN registry_subject s ON s.id = e.subject_id "
            "WHERE e.status = 'published' AND s.uscc IS NOT NULL LIMIT 1"
        )
        row = cur.fetchone()
        listed_code = row[0] if row else None
    cases = []
    if listed_code:
        cases.append(("check (listed organisation)", capture_check(listed_code)))
    for name, label in (
        ("search_1.txt", "search 1 character"),
        ("search_2.txt", "search 2 characters"),
        ("search_3.txt", "search 3+ characters"),
        ("search_code.txt", "search by code"),
    ):
        line = first(name)[0]
        q = unquote(parse_qs(urlsplit(line).query)["q"][0])
        cases.append((f"{label}: {q}", capture_search(q)))
    used: dict[str, list[str]] = {}
    with connection.cursor() as cur:
        for label, queries in cases:
            sections.append(f"## {label}\n")
            names = []
            for sql, params, _prepared in queries:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(r[0] for r in cur.fetchall())
                sections.append(f"```sql\n{cur.mogrify(sql, params) if hasattr(cur, 'mogrify') else sql}\n```\n")
                sections.append(f"```\n{plan}\n```\n")
                for ln in plan.splitlines():
                    for marker in ("Index Scan using ", "Index Only Scan using ", "Bitmap Index Scan on "):
                        if marker in ln:
                            names.append(ln.split(marker)[1].split()[0])
                    if "Seq Scan on " in ln:
                        names.append("SEQ SCAN " + ln.split("Seq Scan on ")[1].split()[0])
            used[label] = sorted(set(names))
    text = "# EXPLAIN (ANALYZE, BUFFERS) of the measured queries\n\n" + "\n".join(sections)
    (OUT / "explain.md").write_text(text)
    (OUT / f"explain-{POOLS.name.removeprefix('pools-')}.md").write_text(text)
    emit({"indexes": used})


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sqlfloor")
    p.add_argument("--pools", required=True, help="kind:file,… (kind: check or search)")
    p.add_argument("--concurrency", default="1,4", help="comma-separated")
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--samples", type=int, default=200)
    p = sub.add_parser("import")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--repeats", type=int, default=1, help="imports of that size; the median is reported")
    sub.add_parser("sweep")
    sub.add_parser("explain")
    args = parser.parse_args()
    if args.cmd == "sqlfloor":
        sqlfloor(args.pools.split(","), [int(c) for c in args.concurrency.split(",")], args.duration, args.samples)
    elif args.cmd == "import":
        run_import(args.rows, args.repeats)
    elif args.cmd == "sweep":
        sweep()
    else:
        explain()


if __name__ == "__main__":
    main()
