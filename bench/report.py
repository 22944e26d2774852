"""Write bench/out/report.json and report.md from the numbers gathered by bench/run.py."""

from __future__ import annotations

import json
from pathlib import Path

FLOOR = "bare Django JSON view (floor)"
CHECK_FLOOR = "check floor: read + log, no answer"
SQL_FLOOR_FOR = {
    "check API, single code": "check:check_codes.txt",
    "public search, 1 character": "search:search_1.txt",
    "public search, 2 characters": "search:search_2.txt",
    "public search, 3+ characters": "search:search_3.txt",
    "public search, code lookup": "search:search_code.txt",
}


def _database_server_line(server: dict) -> str:
    if server.get("kind") != "own":
        where = f"{server.get('host', '?')}:{server.get('port', '?')}" if server else "?"
        return f"PostgreSQL: the external server at {where}, as it is configured."
    settings, warm = server["settings"], server.get("prewarm") or {}
    return (
        f"PostgreSQL: the benchmark's own cluster (bench/pgserver.py), reached by {server.get('connection', 'tcp 127.0.0.1')}, "
        f"shared_buffers {settings['shared_buffers']}, "
        f"max_wal_size {settings['max_wal_size']}, synchronous_commit {settings['synchronous_commit']}, planner "
        f"settings default; before the measurements {warm.get('mb', 0):,} MB of the database "
        f"({warm.get('relations', 0)} relations, smallest first) were read into shared buffers in "
        f"{warm.get('seconds', 0):g} s (not: {', '.join(warm.get('left_out') or []) or 'none'})."
    )


def _repeated(imports: list[dict]) -> bool:
    """Whether the import sizes were run more than once each (the figures are then medians)."""
    return any(len(i["runs_rows_per_s"]) > 1 for i in imports)


def _targets(report: dict) -> list[dict]:
    http = report["http"]
    floor_rps = http.get(FLOOR, {}).get("rps") or 0
    rows = []

    def add(what, target, measured, ok):
        rows.append({"target": what, "spec": target, "measured": measured, "met": bool(ok)})

    for r in http.values():
        if not r.get("requests"):  # nothing completed: every percentile is meaningless
            r["p50_ms"] = r["p95_ms"] = r["p99_ms"] = float("inf")

    check = http.get("check API, single code")
    for suffix in (" — 1 connection", ""):
        r = http.get("check API, single code" + suffix)
        if r:
            add(f"check API p99 ({r['connections']} conn.)", "≤ 20 ms", f"{r['p99_ms']:.1f} ms", r["p99_ms"] <= 20)
    if check:
        share = check["rps"] / floor_rps if floor_rps else 0
        measured = f"{share:.0%} ({check['rps']:.0f} / {floor_rps:.0f} req/s)"
        check_floor = http.get(CHECK_FLOOR)
        if check_floor and floor_rps:
            # What a check that built no answer at all would reach: the most any check can.
            measured += (
                f"; its own floor (key check, subject read, log INSERT, no answer) "
                f"{check_floor['rps'] / floor_rps:.0%}, the check {check['rps'] / check_floor['rps']:.0%} of that"
            )
        add("check API throughput", "≥ 50 % of bare view", measured, share >= 0.5)
    batch = http.get("check API, batch of 1,000")
    if batch:
        add("batch of 1,000 codes", "≤ 200 ms (p95)", f"{batch['p95_ms']:.0f} ms", batch["p95_ms"] <= 200)
    for name in ("1 character", "2 characters", "3+ characters", "code lookup"):
        for suffix in (" — 1 connection", ""):
            r = http.get(f"public search, {name}{suffix}")
            if r:
                add(
                    f"name search p95, {name} ({r['connections']} conn.)",
                    "≤ 50 ms",
                    f"{r['p95_ms']:.1f} ms",
                    r["p95_ms"] <= 50,
                )
    imports = report.get("import") or []
    if imports:
        slowest = min(i["rows_per_s"] for i in imports)
        lowest = min(min(i["runs_rows_per_s"]) for i in imports)
        measured = f"{slowest:,.0f} rows/s"
        if _repeated(imports):
            measured += f" (median of each size's runs; lowest single run {lowest:,.0f})"
        add("penalty import", "≥ 2,000 rows/s", measured, slowest >= 2000)
        if len(imports) >= 2:
            # The last two files: the smallest one ends while the process is still warming up.
            small, big = imports[-2], imports[-1]
            flat = all(
                big[key] - small[key] <= max(10.0, 0.1 * small[key]) for key in ("peak_rss_mb", "writer_peak_rss_mb")
            )
            add(
                "import memory flat in file size",
                "peak RSS independent of rows",
                ", ".join(
                    f"{i['rows']:,} rows: {i['peak_rss_mb']:.0f} MB (writers {i['writer_peak_rss_mb']:.0f} MB)"
                    for i in imports
                ),
                flat,
            )
    sweep = report.get("sweep")
    if sweep:
        plan = sweep.get("due_query_plan", "")
        indexed = "objection_next_action_idx" in plan and "Seq Scan" not in plan
        add(
            "deadline sweep O(due)",
            "cost independent of pending count",
            f"{sweep['due']:,} due of {sweep['pending']:,} pending: {sweep['sweep_seconds']:.2f} s "
            f"({sweep['ms_per_due_item']:.1f} ms/item); empty sweep {sweep['empty_sweep_ms']:.1f} ms; "
            f"due query {'index range scan' if indexed else 'NOT an index scan'}",
            indexed,
        )
    for name in ("credit report PDF (typical subject)", "credit report PDF (subject with many records)"):
        r = http.get(name)
        if r:
            add(name, "≤ 1 s (p95)", f"{r['p95_ms']:.0f} ms", r["p95_ms"] <= 1000)
    return rows


def write_report(report: dict, out: Path) -> None:
    report["targets"] = _targets(report)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    (out / "report.json").write_text(text)
    (out / f"report-{report['mode']}.json").write_text(text)
    http = report["http"]
    floor = http.get(FLOOR, {})
    lines = [
        f"# creditsys benchmark — {report['mode']} mode",
        "",
        f"Run {report['started']}, {report['machine'].get('cpus')} CPUs, "
        f"{report['machine'].get('memory_gb', '?')} GB RAM (host speed: a fixed 10,000,000-step Python loop "
        f"took {report['machine'].get('python_loop_s', '?')} s at the start, "
        f"{report['machine'].get('python_loop_s_at_end', '?')} s at the end); gunicorn {report['settings']['gunicorn_workers']} sync "
        f"workers (production settings, DEBUG off) on 127.0.0.1, wrk at {report['settings']['wrk_connections']} "
        f"connections (unless noted), {report['settings']['duration_s']:g} s per run after a warm-up; "
        "public pages requested with a unique parameter so every request misses the page cache.",
        "",
        "Data: " + ", ".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in report.get("table_rows", {}).items()),
        f"(generated in {report['generate']['timings_s'].get('total', 0):.0f} s: "
        + ", ".join(
            f"{k} {v:g} s"
            for k, v in report["generate"]["timings_s"].items()
            if k != "total" and isinstance(v, (int, float))
        )
        + ").",
        "",
        _database_server_line(report.get("database_server") or {}),
        "",
        "## HTTP endpoints",
        "",
        "CPU per request: the CPU time of the app's processes (gunicorn), PostgreSQL, Redis and wrk "
        "during the run, divided by the requests answered.",
        "",
        "| path | conc. | requests | req/s | p50 ms | p95 ms | p99 ms | errors | req/s ÷ floor | p50 ÷ floor p50 "
        "| CPU ms/request: app · PostgreSQL · Redis · wrk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in http.items():
        rps_ratio = r["rps"] / floor["rps"] if floor.get("rps") else 0
        lat_ratio = r["p50_ms"] / floor["p50_ms"] if floor.get("p50_ms") else 0
        cpu = r.get("cpu_ms_per_request") or {}
        cpu_text = " · ".join(f"{cpu.get(k, 0):.2f}" for k in ("app", "postgres", "redis", "wrk")) if cpu else "—"
        lines.append(
            f"| {name} | {r['connections']} | {r['requests']:,} | {r['rps']:,.1f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {rps_ratio:.2f} | {lat_ratio:.1f} | {cpu_text} |"
        )
    cold = [f"{name}: {', '.join(map(str, r['cold_ms']))} ms" for name, r in report["http"].items() if r.get("cold_ms")]
    if cold:
        lines += [
            "",
            "First request of each worker (the warm-up: one per worker, all at once; not in the figures above; it loads the worker's memos): "
            + "; ".join(cold)
            + ".",
        ]
    lines += [
        "",
        f"Peak RSS of a gunicorn worker: {report.get('server_peak_rss_mb', 0):.0f} MB.",
        "",
        "## Raw SQL floor (the same queries replayed through psycopg, no Django, no HTTP)",
        "",
        "| queries of | conc. | ops | ops/s | queries/op | p50 ms | p95 ms | p99 ms | HTTP p50 ÷ SQL p50 | HTTP req/s ÷ SQL ops/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, h in http.items():
        key = SQL_FLOOR_FOR.get(name.removesuffix(" — 1 connection"))
        s = report["sql_floor"].get(f"{key}@{h['connections']}") if key else None
        if not s:
            continue
        ratio = h["p50_ms"] / s["p50_ms"] if s.get("p50_ms") else 0
        lines.append(
            f"| {name} | {s['concurrency']} | {s['operations']:,} | {s['rps']:,.1f} | {s['queries_per_op']} | "
            f"{s['p50_ms']:.2f} | {s['p95_ms']:.2f} | {s['p99_ms']:.2f} | {ratio:.1f} | {h['rps'] / s['rps']:.2f} |"
        )
    lines += ["", "## Penalty import (national template CSV, in-process)", ""]
    writers = {i["writer_processes"] for i in report.get("import", [])}
    if writers:
        lines += [f"Chunks written at once (writer processes): {', '.join(map(str, sorted(writers)))}.", ""]
    if _repeated(report.get("import", [])):
        lines += ["Each size imported several times in one process (a new file and job each): the median run.", ""]
    lines += [
        "| rows | file | seconds | rows/s | every run, rows/s | created | rejected | RSS before | peak RSS | writers' peak RSS |",
        "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for i in report.get("import", []):
        runs = " / ".join(f"{r:,.0f}" for r in i["runs_rows_per_s"])
        lines.append(
            f"| {i['rows']:,} | {i['file_bytes'] / 1024:,.0f} KB | {i['seconds']:.1f} | {i['rows_per_s']:,.0f} | "
            f"{runs} | {i['created']:,} | {i['rejected']:,} | {i['rss_before_mb']:.0f} MB | {i['peak_rss_mb']:.0f} MB | "
            f"{i['writer_peak_rss_mb']:.0f} MB |"
        )
    s = report.get("sweep")
    if s:
        lines += [
            "",
            "## Deadline sweep (disputes.deadlines_sweep)",
            "",
            f"{s['due']:,} objections due among {s['pending']:,} open ones: {s['checked']:,} checked, "
            f"{s['fired']:,} events fired in {s['sweep_seconds']:.2f} s ({s['ms_per_due_item']:.1f} ms per due item); "
            f"a sweep with nothing due takes {s['empty_sweep_ms']:.1f} ms.",
            "",
            "```",
            s.get("due_query_plan", ""),
            "```",
        ]
    ex = report.get("explain", {}).get("indexes", {})
    if ex:
        lines += ["", "## Index use (EXPLAIN ANALYZE; full plans in explain.md)", ""]
        for label, names in ex.items():
            lines.append(f"- {label}: {', '.join(names) or '—'}")
    lines += ["", "## SPEC §16 targets", "", "| target | spec | measured | met |", "|---|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['spec']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    lines += ["", f"Total benchmark time: {report.get('total_seconds', 0):.0f} s.", ""]
    (out / "report.md").write_text("\n".join(lines))
    (out / f"report-{report['mode']}.md").write_text("\n".join(lines))
