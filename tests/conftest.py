"""Shared fixtures: a small city (regions, departments, users, API clients) and helpers.

Tests that need PostgreSQL or Redis use the ``postgres`` / ``celery_worker_process`` fixtures:
locally they skip when the server is not configured; in CI (``CI=true``) they fail instead, so
nothing that matters is silently skipped there.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from creditsys import context, versions
from creditsys.api.authentication import generate_key
from registry.demo import make_id_number, make_uscc
from registry.models import ApiClient, Department, Region, Subject, User
from registry.scoping import Scope

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture
def postgres(db):
    need(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _isolated_context():
    """Each test starts with an empty request context and empty calendar memo and cache."""
    from django.core.cache import cache

    from creditsys import workdays

    workdays.clear_cache()
    cache.clear()
    versions.forget_recent()
    with context.acting(actor="pytest", channel="system"):
        yield


@pytest.fixture
def city(db):
    return Region.objects.create(code="540400", name="林芝市", level=Region.Level.CITY)


@pytest.fixture
def county(city):
    return Region.objects.create(code="540402", name="巴宜区", level=Region.Level.COUNTY, parent=city)


@pytest.fixture
def other_county(city):
    return Region.objects.create(code="540421", name="工布江达县", level=Region.Level.COUNTY, parent=city)


def _dept(region, serial, name, **extra):
    return Department.objects.create(
        name=name,
        short_name=name,
        uscc=make_uscc("1", "1", region.code, serial),
        region=region,
        level=Department.Level.CITY if region.parent_id is None else Department.Level.COUNTY,
        **extra,
    )


@pytest.fixture
def credit_office(city):
    return _dept(city, 1, "林芝市发展和改革委员会", is_credit_office=True)


@pytest.fixture
def dept_a(city):
    return _dept(city, 2, "林芝市市场监督管理局")


@pytest.fixture
def dept_b(city):
    return _dept(city, 3, "林芝市税务局")


@pytest.fixture
def county_dept(county):
    return _dept(county, 4, "巴宜区市场监督管理局")


def _user(username, role, department=None, region=None):
    user = User.objects.create_user(
        username=username, password="Pw-for-tests-2026", role=role, department=department, region=region
    )
    return user


@pytest.fixture
def clerk_a(dept_a):
    return _user("clerk_a", User.Role.CLERK, dept_a)


@pytest.fixture
def clerk_b(dept_b):
    return _user("clerk_b", User.Role.CLERK, dept_b)


@pytest.fixture
def reviewer_a(dept_a):
    return _user("reviewer_a", User.Role.REVIEWER, dept_a)


@pytest.fixture
def coordinator(credit_office):
    return _user("coordinator", User.Role.COORDINATOR, credit_office)


@pytest.fixture
def county_coordinator(county_dept, county):
    return _user("county_coord", User.Role.COUNTY_COORDINATOR, county_dept, county)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def web_a(clerk_a):
    return login(clerk_a)


@pytest.fixture
def make_api_client(db):
    """``make_api_client(department=..., region=..., scopes=[...])`` → (APIClient with key, ApiClient)."""

    def make(*, department=None, region=None, scopes=("read", "write", "check"), name=None):
        key, prefix, key_hash = generate_key()
        client = ApiClient.objects.create(
            name=name or f"client-{prefix}",
            department=department,
            region=region,
            scopes=list(scopes),
            key_prefix=prefix,
            key_hash=key_hash,
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return api, client

    return make


GLOBAL_SCOPE = Scope("tests", None, None, True, is_global=True)


@pytest.fixture
def make_subject(city, dept_a):
    """Create subjects directly through the service, with valid generated codes."""
    from registry import services

    counter = {"n": 0}

    def make(name="林芝雪域建筑工程有限公司", *, kind=Subject.Kind.ORGANIZATION, region=None, department=None, **extra):
        counter["n"] += 1
        region = region or city
        codes = {}
        if kind == Subject.Kind.NATURAL_PERSON:
            codes["id_number"] = make_id_number("540402", date(1980, 1, 1 + counter["n"] % 28), counter["n"])
        else:
            codes["uscc"] = make_uscc(
                "9", "1" if kind == Subject.Kind.ORGANIZATION else "2", region.code, 900 + counter["n"]
            )
        return services.subject_create(
            scope=GLOBAL_SCOPE,
            kind=kind,
            name=name,
            region=region,
            managing_department=department or dept_a,
            **codes,
            **extra,
        )

    return make


@pytest.fixture
def celery_worker_process(transactional_db, request):
    """A real Celery worker process on Redis, sharing the test database; yields its queue name.

    Tasks sent with ``apply_async(queue=<name>)`` run in that process and see committed data. Its
    pool is ``solo`` unless the test says otherwise (``@pytest.mark.celery_pool("prefork")``: one
    forked pool process, as deployed).
    """
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from django.conf import settings

    need(bool(settings.REDIS_URL), "needs Redis (set REDIS_URL)")
    need(connection.vendor == "postgresql", "a worker process needs a shared server database (set DATABASE_URL)")
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    marker = request.node.get_closest_marker("celery_pool")
    pool = marker.args[0] if marker else "solo"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL, "DEBUG": "1"}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "creditsys",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
        ],
        cwd=root,
        env=env,
    )
    try:
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- 双公示 records (issue 3) ------------------------------------------------------------------


@pytest.fixture
def penalty_input(dept_a):
    """``penalty_input(**overrides)`` → a valid national-template penalty row (service input)."""

    def make(department=None, **overrides):
        department = department or dept_a
        data = {
            "subject_name": "林芝雪域建筑工程有限公司",
            "subject_category": "法人及非法人组织",
            "uscc": make_uscc("9", "1", "540400", 4242),
            "legal_representative": "扎西",
            "document_number": "林市监罚〔2026〕1号",
            "violation_type": "未按规定公示年度报告",
            "violation_facts": "当事人未按规定报送2025年度年度报告。",
            "legal_basis": "《企业信息公示暂行条例》第十八条",
            "categories": "警告；罚款",
            "penalty_content": "警告，并处罚款人民币伍仟元整",
            "fine_amount": "0.5",
            "decision_date": "2026-03-02",
            "penalty_valid_until": "2026-03-02",
            "authority_name": department.name,
            "authority_uscc": department.uscc,
            "source_name": department.name,
            "source_uscc": department.uscc,
            "severity": "一般",
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def license_input(dept_a):
    """``license_input(**overrides)`` → a valid national-template licence row (service input)."""

    def make(department=None, **overrides):
        department = department or dept_a
        data = {
            "subject_name": "林芝雪域建筑工程有限公司",
            "subject_category": "法人及非法人组织",
            "uscc": make_uscc("9", "1", "540400", 4242),
            "legal_representative": "扎西",
            "decision_document_name": "食品经营许可决定书",
            "document_number": "林市监许〔2026〕8号",
            "category": "普通",
            "certificate_name": "食品经营许可证",
            "license_number": "JY15404000001234",
            "content": "预包装食品销售（含冷藏冷冻食品）",
            "decision_date": "2026-02-10",
            "valid_from": "2026-02-10",
            "valid_until": "2031-02-09",
            "authority_name": department.name,
            "authority_uscc": department.uscc,
            "current_status": "有效",
            "source_name": department.name,
            "source_uscc": department.uscc,
        }
        data.update(overrides)
        return data

    return make
