"""The benchmark's own PostgreSQL server: a cluster in ``bench/out/pg-<mode>``, configured as a
database server sized for its data would be, started for a run and stopped after it.

Why not the machine's server: its configuration is PostgreSQL's default (``shared_buffers = 128MB``)
and belongs to whoever installed it. With 128 MB of buffers the 7.5 GB data set lives in the OS page
cache, and on the virtual machines this project is measured on the host trims that cache (seen: 8.9 GB
cached after reading the database, 4.0 GB ten minutes later), so a measurement after another one read
its pages from the virtual disk: the first penalty import of a full run made 769–948 rows/s where the
same file made 2,100–2,700 alone (2026-12-07). A deployment gives PostgreSQL memory for its data
(docs/performance.md, "Scaling past one machine"); so does the benchmark, in code, the same way on
every machine. ``--pg external`` runs against a server given by ``--pg-host``/``--pg-port`` instead.

The planner settings stay PostgreSQL's defaults, so the plans are the ones a default server chooses
(the EXPLAIN section of the report).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path


def memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def server_settings(mode: str) -> dict[str, str]:
    """postgresql.conf of the benchmark's server (passed on the command line: visible here, not in a file)."""
    mem_mb = memory_bytes() // 2**20
    # A quarter of the memory for shared buffers (PostgreSQL's own guidance for a dedicated server),
    # at most 8 GB; the small data set needs little.
    shared = min(mem_mb // 4, 8192) if mode == "full" else 256
    return {
        "listen_addresses": "127.0.0.1",
        "max_connections": "100",
        "shared_buffers": f"{shared}MB",
        "effective_cache_size": f"{max(mem_mb // 2, 4096)}MB",
        "maintenance_work_mem": "1GB" if mode == "full" else "256MB",  # the generator's index builds
        "work_mem": "16MB",
        # Checkpoints by time, not every few seconds while the generator loads gigabytes.
        "max_wal_size": "8GB" if mode == "full" else "1GB",
        "checkpoint_timeout": "15min",
        "checkpoint_completion_target": "0.9",
        # lz4, not "on" (pglz): after a checkpoint every first change of a page writes the whole page
        # to the WAL, and pglz-compressing those pages made the first 2,000-row import after one
        # 1,218-1,429 rows/s against 2,404 with lz4 and 2,747 uncompressed (27 / 25 / 41 MB of WAL).
        "wal_compression": "lz4",
        # Durable commits as in production: every check log and import chunk waits for its WAL flush.
        "synchronous_commit": "on",
        "fsync": "on",
        "full_page_writes": "on",
        "logging_collector": "off",
        "log_checkpoints": "on",
        "log_min_duration_statement": "-1",
    }


def pg_bindir() -> Path | None:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


class PostgresServer:
    """``with PostgresServer(datadir, port, mode):`` — a running cluster (created on first use)."""

    def __init__(self, datadir: Path, port: int, mode: str, log=print):
        self.datadir = datadir
        self.port = port
        self.mode = mode
        self.log = log
        self.bindir = pg_bindir()
        if self.bindir is None:
            raise SystemExit("PostgreSQL's server programs (initdb, pg_ctl) were not found; use --pg external")
        # PostgreSQL refuses to run as root: the cluster then belongs to the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.created = False  # by this run: it holds no generated data yet

    @property
    def logfile(self) -> Path:
        return self.datadir.parent / f"{self.datadir.name}.log"

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [*self.as_user, *cmd], capture_output=True, text=True, timeout=timeout, cwd="/", check=False
        )
        if proc.returncode != 0:
            raise SystemExit(
                f"{' '.join(cmd[:2])} failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        return proc

    def exists(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def create(self) -> None:
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        self.datadir.mkdir(parents=True)
        if self.as_user:
            shutil.chown(self.datadir, "postgres", "postgres")
        self.datadir.chmod(0o700)
        self.log(f"initdb {self.datadir}")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        self.created = True

    def start(self) -> None:
        if not self.exists():
            self.create()
        settings = server_settings(self.mode)
        options = " ".join(f"-c {k}={v}" for k, v in settings.items())
        options += f" -c port={self.port} -c unix_socket_directories={self.datadir}"
        if self.as_user and not self.logfile.exists():
            self.logfile.touch()
            shutil.chown(self.logfile, "postgres", "postgres")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile), "-o", options,
                  "-w", "-t", "120", "start", timeout=180)  # fmt: skip
        self.log(f"PostgreSQL on 127.0.0.1:{self.port} (shared_buffers {settings['shared_buffers']})")

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop", timeout=300)

    def __enter__(self):
        self.stop()  # a server left running by an interrupted run, perhaps with other settings
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def checkpoint(url: str, *, log=print) -> None:
    """Write out what the generator loaded (``CHECKPOINT``), so that no checkpoint of the load's
    gigabytes runs during the measurements (seen: one started by WAL volume during the load spread
    its writes over 597 s and ended during the first import), then let the OS write its dirty pages
    to disk (``sync``), so that the kernel's writeback of those gigabytes does not run under the
    first measurement (the run after which this was added saw check p99 351 ms in its first measurement;
    the cause was not proven)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    written = time.perf_counter()
    os.sync()
    done = time.perf_counter()
    log(f"checkpoint after generation: {written - started:.1f} s, then sync {done - written:.1f} s")


def prewarm(url: str, *, fill: float = 0.9, log=print) -> dict:
    """Read the database into shared buffers, smallest relations first, until ``fill`` of them is used.

    A server that has been serving a while holds its working set; a benchmark that starts right
    after a restart would measure its first reads of every page instead. Smallest first: indexes
    and the small, hot tables before the large record heaps, which do not all fit and are read
    through their indexes a few rows at a time. Returns what was read.
    """
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        buffers, block_size = conn.execute(
            "SELECT setting::bigint, current_setting('block_size')::int FROM pg_settings WHERE name = 'shared_buffers'"
        ).fetchone()
        rows = conn.execute(
            "SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't', 'm')"
            " AND pg_relation_size(c.oid) > 0 ORDER BY 2, 1"
        ).fetchall()
        budget, read, relations, left_out = int(buffers * fill), 0, 0, []
        for name, blocks in rows:
            if read + blocks > budget:
                left_out.append(name)
                continue
            read += conn.execute("SELECT pg_prewarm(%s::regclass)", (name,)).fetchone()[0]
            relations += 1
    result = {
        "blocks": read,
        "mb": round(read * block_size / 2**20),
        "relations": relations,
        "left_out": left_out,
        "seconds": round(time.perf_counter() - started, 1),
    }
    log(
        f"prewarmed {result['mb']:,} MB ({relations} relations) in {result['seconds']} s; not: {', '.join(left_out) or '-'}"
    )
    return result
