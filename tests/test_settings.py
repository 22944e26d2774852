"""Settings without an environment: code-only commands run, serving processes refuse to start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bare_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY"}}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'bare.sqlite3'}", CREDITSYS_VAR_DIR=str(tmp_path))
    return env


def test_makemigrations_check_runs_on_a_bare_checkout(tmp_path):
    env = _bare_env(tmp_path)
    env["DEBUG"] = "0"  # as without an environment, also over a developer's .env
    proc = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No changes detected" in proc.stdout


def test_a_serving_process_still_needs_its_keys(tmp_path):
    dotenv = ROOT / ".env"
    if dotenv.exists() and "SECRET_KEY" in dotenv.read_text():
        pytest.skip("a local .env provides SECRET_KEY")
    env = _bare_env(tmp_path)
    env["DEBUG"] = "0"  # also overrides a developer's .env
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'creditsys.settings'; django.setup()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "runserver"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "Set the SECRET_KEY environment variable" in proc.stderr
