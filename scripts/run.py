"""`make run`: migrate, load demo data, then run web + Celery worker (with embedded beat).

Everything runs on the embedded default unless DATABASE_URL / REDIS_URL are set. Ctrl-C stops
every process started here.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
DEMO_COMMANDS = [
    ("registry/management/commands/load_demo.py", "load_demo"),
    ("sanctions/management/commands/load_sanctions_demo.py", "load_sanctions_demo"),
    ("disputes/management/commands/load_disputes_demo.py", "load_disputes_demo"),
    ("publicity/management/commands/load_publicity_demo.py", "load_publicity_demo"),
]


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.environ.setdefault("DEBUG", "1")
    var = Path(os.environ.get("CREDITSYS_VAR_DIR", ROOT / "var"))
    for sub in ("broker", "broker-control", "cache", "uploads"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    # Demo data, lowest layer first (each loader is idempotent).
    for command in DEMO_COMMANDS:
        if (ROOT / command[0]).exists():
            manage(command[1])

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditsys.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from registry.demo import DEMO_API_KEY, DEMO_PASSWORD

    procs = [
        subprocess.Popen([PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], cwd=ROOT),
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "creditsys",
                "worker",
                "-B",
                "--loglevel=INFO",
                "--concurrency=1",
                "--pool=solo",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
            cwd=ROOT,
        ),
    ]
    base = f"http://{HOST}:{PORT}"
    print(
        f"""
============================================================
 creditsys is starting (embedded default: SQLite + filesystem broker under {var})
   Public site   {base}/
   Workbench     {base}/workbench/
   Admin         {base}/admin/
   API docs      {base}/api/docs/      (schema: {base}/api/schema/)
 Demo logins (password for all: {DEMO_PASSWORD})
   admin          system administrator (also the Django admin)
   xinyongban     city credit office coordinator
   scjg_luru      clerk, market regulation bureau
   scjg_shenhe    reviewer, market regulation bureau
   shuiwu_luru    clerk, tax bureau
   xian_xyb       county credit office coordinator
 Demo API key (read, write, check):
   curl -H "Authorization: Bearer {DEMO_API_KEY}" {base}/api/v1/subjects/?q=雪域
 Press Ctrl-C to stop everything.
============================================================
""",
        flush=True,
    )

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        return 0

    stopping = []
    # Ctrl-C reaches every process of the terminal's group; here it only means "stop the rest".
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping and all(p.poll() is None for p in procs):
        time.sleep(0.5)
    if not stopping:
        print("a process exited unexpectedly; stopping the others", file=sys.stderr)
        stop()
        return 1
    print("stopping…", flush=True)
    return stop()


if __name__ == "__main__":
    sys.exit(main())
