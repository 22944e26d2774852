# The two commands: `make run` (embedded default) and `make test` (whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3

.PHONY: run test lint format migrate demo bench bench-small clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Local development defaults (DEBUG=1) so that plain `manage.py` commands work on this machine.
.env:
	cp .env.example .env

run: $(VENV)/.installed .env
	DEBUG=$${DEBUG:-1} $(PY) scripts/run.py

migrate: $(VENV)/.installed .env
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate

demo: migrate
	set -e; for c in load_demo load_sanctions_demo load_disputes_demo load_publicity_demo; do \
	  if DEBUG=$${DEBUG:-1} $(PY) manage.py help $$c >/dev/null 2>&1; then DEBUG=$${DEBUG:-1} $(PY) manage.py $$c; fi; done

test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev .env
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Benchmark (SPEC §16; CI runs bench-small with --strict): its own PostgreSQL cluster in bench/out/pg-<mode> (port 5439,
# sized for the data; BENCH_ARGS="--pg external" for the server on 5432), Redis on 127.0.0.1, gunicorn + wrk
# (installed with apt-get when missing). Report: bench/out/report.md and report.json.
bench: $(VENV)/.installed
	$(PY) bench/run.py --mode full $(BENCH_ARGS)

bench-small: $(VENV)/.installed
	$(PY) bench/run.py --mode small $(BENCH_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache
