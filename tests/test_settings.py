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


def test_a_unix_socket_database_url_gives_the_socket_directory(tmp_path):
    """libpq's form for a socket directory (``%2F…`` in the host) reaches psycopg decoded;
    django-environ leaves it encoded, which psycopg would look up as a host name."""
    env = _bare_env(tmp_path)
    env.update(DEBUG="1", DATABASE_URL="postgres://postgres@%2Fvar%2Frun%2Fpostgresql:5433/creditsys")
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'creditsys.settings'; django.setup();"
        "from django.conf import settings; d = settings.DATABASES['default']; print(d['HOST'], d['PORT'], d['NAME'])"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/var/run/postgresql", "5433", "creditsys"]
