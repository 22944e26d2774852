"""The check API's fast paths give the same answers as the plain ORM, and their memos never go stale.

- ``creditsys.db``: the ``__any`` lookup and querysets compiled once (``PreparedQuery``);
- the per-process memo of API clients (a revoked or narrowed key stops working at once);
- the Redis cache backend that reuses its client, and its one-round-trip hit counter;
- the public site's shell rendered once per process (navigation, fixed links, profile links).
"""

import re
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creditsys.db import PreparedQuery
from registry.models import Subject
from sanctions import selectors

from .conftest import need
from .sanctions_fixtures import *  # noqa: F403  (fixtures: listed …)
from .sanctions_fixtures import check_codes

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # outside a transaction, so that close() ends the connection
def test_prepared_statements_share_one_cursor_per_connection(postgres):
    """Statements in turn run on the connection's one cursor; one run while it still holds rows gets
    its own; a new connection gets a new cursor."""
    from creditsys.db import prepared_cursor

    with prepared_cursor() as first:
        first.execute("SELECT 1")
        with prepared_cursor() as inner:  # the shared cursor still has rows to read
            inner.execute("SELECT 2")
            assert inner.cursor is not first.cursor
            assert inner.fetchall() == [(2,)]
        assert first.fetchall() == [(1,)]
    with prepared_cursor() as again:
        assert again.cursor is first.cursor and not again.cursor.closed
        again.execute("SELECT %s::int", [3])
        assert again.fetchall() == [(3,)]
    connection.close()
    with prepared_cursor() as fresh:
        assert fresh.cursor is not first.cursor
        fresh.execute("SELECT 4")
        assert fresh.fetchall() == [(4,)]


def test_any_lookup_filters_like_in(make_subject):
    a, b, _c = (make_subject(f"林芝{i}号商贸有限公司") for i in range(3))
    codes = [a.uscc, b.uscc, "91540400MA6T00000X"]
    assert set(Subject.objects.filter(uscc__any=codes)) == set(Subject.objects.filter(uscc__in=codes)) == {a, b}
    assert not Subject.objects.filter(uscc__any=[]).exists()
    assert set(Subject.objects.filter(pk__any=[a.pk])) == {a}


def test_any_lookup_is_one_array_parameter(postgres):
    sql, params = Subject.objects.filter(uscc__any=["1", "2", "3"]).query.sql_with_params()
    assert "= ANY(%s::varchar(18)[])" in sql and params[-1] == ["1", "2", "3"]


def test_prepared_query_compiles_once_and_substitutes(postgres, make_subject):
    a, b = make_subject("林芝甲商贸有限公司"), make_subject("林芝乙商贸有限公司")
    built = []

    def build(codes, since):
        built.append(codes)
        return Subject.objects.filter(uscc__any=codes, created_at__date__gte=since).order_by("pk")

    prepared = PreparedQuery(build, codes=list[str], since=date)
    assert [s.pk for s in prepared.raw(codes=[a.uscc], since=date(2000, 1, 1))] == [a.pk]
    assert [s.pk for s in prepared.raw(codes=[a.uscc, b.uscc], since=date(2000, 1, 1))] == [a.pk, b.pk]
    assert list(prepared.raw(codes=[a.uscc], since=date(2999, 1, 1))) == []
    assert len(built) == 1  # compiled once, with markers
    assert "placeholder" in built[0][0]


def test_prepared_query_falls_back_when_a_value_is_transformed(postgres, make_subject):
    a = make_subject("林芝丙商贸有限公司")
    # ``contains`` wraps the value in %…%: the marker is not found as such, so nothing is guessed.
    prepared = PreparedQuery(lambda name: Subject.objects.filter(name__contains=name), name=str)
    found = prepared.raw(name="丙商贸")
    assert [s.pk for s in found] == [a.pk]
    assert prepared._compiled["default"] is None


def test_check_answers_equal_with_and_without_compiled_queries(listed, dept_a, monkeypatch):
    codes = check_codes(listed, 11)
    on = date(2026, 3, 2)
    prepared = [a for a, _s in selectors.check_answers(codes, department_id=dept_a.pk, on=on)]
    monkeypatch.setattr(PreparedQuery, "raw", lambda self, using="default", **values: self.build(**values))
    plain = [a for a, _s in selectors.check_answers(codes, department_id=dept_a.pk, on=on)]
    assert prepared == plain
    assert any(a["entries"] for a in prepared) and any(a["trustworthy"] for a in prepared)


def test_prepared_statements_have_one_generic_plan_and_answer_alike(postgres, listed, dept_a, settings):
    need(settings.DB_PREPARED_STATEMENTS, "needs prepared statements (DB_PREPARED_STATEMENTS is off)")
    codes = check_codes(listed, 11)
    on = date(2026, 3, 2)
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            prepared = [a for a, _s in selectors.check_answers(codes, department_id=dept_a.pk, on=on)]
    # Logged with their values like Django's own queries (psycopg keeps no text for them).
    assert all(q["sql"] and "%s" not in q["sql"] and "$1" not in q["sql"] for q in ctx.captured_queries)
    assert any(listed[0][0].uscc in q["sql"] for q in ctx.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        statements = cursor.fetchall()
    subject_query = [s for s in statements if 'FROM "registry_subject"' in s[0] and "ANY($" in s[0]]
    assert subject_query and subject_query[0][1] >= 3 and subject_query[0][2] == 0
    assert "'published'" in subject_query[0][0]  # constants are literals: the one plan knows them
    settings.DB_PREPARED_STATEMENTS = False
    plain = [a for a, _s in selectors.check_answers(codes, department_id=dept_a.pk, on=on)]
    assert prepared == plain


def test_prepared_rows_load_json_columns_as_django_does(postgres, make_subject):
    from creditsys.models import AuditEvent

    make_subject("林芝丁商贸有限公司")  # audited: an event with a JSON document
    event = AuditEvent.objects.exclude(after=None).order_by("-id").first()
    by_id = PreparedQuery(lambda ids: AuditEvent.objects.filter(pk__any=ids), ids=list[int])
    [row] = list(by_id.raw(ids=[event.pk]))
    assert row.after == event.after and isinstance(row.after, dict) and row.created_at == event.created_at
    assert by_id._compiled["default"].binary is False  # JSON read as text, as Django's adapters do
    assert by_id._compiled["default"].converters  # JSON is decoded by Django's converter, not psycopg
    columns, [values] = by_id.rows(ids=[event.pk])  # tuples: Django's converters applied too
    found = dict(zip(columns, values, strict=True))
    assert found["after"] == event.after and isinstance(found["after"], dict) and found["id"] == event.pk
    subjects = PreparedQuery(lambda ids: Subject.objects.filter(pk__any=ids), ids=list[int])
    list(subjects.raw(ids=[event.subject_id or 0]))
    assert subjects._compiled["default"].binary is True  # plain columns come back in binary


def test_prepared_rows_are_the_instances_django_would_build(postgres, make_subject):
    from django.db.models.signals import post_init

    a = make_subject("林芝戊商贸有限公司")
    by_id = PreparedQuery(lambda ids: Subject.objects.filter(pk__any=ids).only("name", "uscc"), ids=list[int])
    [fast] = list(by_id.raw(ids=[a.pk]))
    [django_built] = list(
        Subject.objects.raw(*Subject.objects.filter(pk=a.pk).only("name", "uscc").query.sql_with_params())
    )
    assert (fast.pk, fast.name, fast.uscc) == (django_built.pk, django_built.name, django_built.uscc)
    assert fast.get_deferred_fields() == django_built.get_deferred_fields() and "kind" in fast.get_deferred_fields()
    assert (fast._state.adding, fast._state.db) == (False, "default")
    assert fast.kind == a.kind  # a deferred field still loads on access
    fast.name = "林芝戊商贸（改）有限公司"
    fast.save(update_fields=["name"])  # a normal instance: saves as an update
    assert Subject.objects.get(pk=a.pk).name == "林芝戊商贸（改）有限公司"
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(listener, sender=Subject)
    try:
        list(by_id.raw(ids=[a.pk]))  # someone listens: instances built Django's way, signal sent
    finally:
        post_init.disconnect(listener, sender=Subject)
    assert seen == [a.pk]


def test_single_check_is_two_queries_once_warm(postgres, listed, dept_a, make_api_client):
    api, _client = make_api_client(department=dept_a)
    code = listed[0][0].uscc
    assert api.get("/api/v1/check/", {"code": code, "matter": "预热"}).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        r = api.get("/api/v1/check/", {"code": code, "matter": "行政许可"})
    assert r.status_code == 200 and r.json()["found"] is True
    assert r.json()["entries"] and r.json()["measures"]
    # The subject with its flags and entries, the check log: no key lookup, no catalogue.
    assert len(ctx.captured_queries) == 2, [q["sql"][:80] for q in ctx.captured_queries]


def test_api_client_memo_follows_every_change(listed, dept_a, dept_b, make_api_client):
    api, client = make_api_client(department=dept_a)
    params = {"code": listed[0][0].uscc, "matter": "行政许可"}
    assert api.get("/api/v1/check/", params).status_code == 200
    client.scopes = ["read"]
    client.save()
    assert api.get("/api/v1/check/", params).status_code == 403
    client.scopes = ["check"]
    client.save()
    assert api.get("/api/v1/check/", params).status_code == 200
    # The department the answer is computed for is the current one.
    measures = {m["code"] for m in api.get("/api/v1/check/", params).json()["measures"]}
    client.department = dept_b
    client.save()
    assert {m["code"] for m in api.get("/api/v1/check/", params).json()["measures"]} != measures
    client.is_active = False
    client.save()
    assert api.get("/api/v1/check/", params).status_code == 401


def test_api_client_memo_without_cache_reads_the_database(listed, dept_a, make_api_client, monkeypatch):
    from creditsys import versions

    api, client = make_api_client(department=dept_a)
    params = {"code": listed[0][0].uscc, "matter": "行政许可"}
    monkeypatch.setattr(versions, "current", lambda key: None)  # cache down
    assert api.get("/api/v1/check/", params).status_code == 200
    type(client).objects.filter(pk=client.pk).update(is_active=False)  # no signal: only the database knows
    assert api.get("/api/v1/check/", params).status_code == 401


@pytest.mark.redis
def test_redis_cache_backend_reuses_its_client():
    from creditsys.cache import RedisCache

    need(bool(settings.REDIS_URL), "needs Redis (set REDIS_URL)")
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-fast-paths"})
    cache.clear()
    cache.set("a", {"版本": 1})
    assert cache.get("a") == {"版本": 1}
    assert cache.add("a", 2) is False and cache.add("b", 2) is True
    assert cache.get_many(["a", "b", "c"]) == {"a": {"版本": 1}, "b": 2}
    cache.delete("a")
    assert cache.get("a") is None
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client
    cache.clear()


def test_check_logs_carry_every_column(listed, dept_a, make_api_client):
    from sanctions.models import CheckLog

    api, client = make_api_client(department=dept_a)
    codes = check_codes(listed, 11)
    r = api.post("/api/v1/check/batch/", {"codes": codes, "matter": "政府采购"}, format="json")
    assert r.status_code == 200
    answers = r.json()["results"]
    logs = {str(log.check_id): log for log in CheckLog.objects.all()}
    assert set(logs) == {a["check_id"] for a in answers}
    for answer in answers:
        log = logs[answer["check_id"]]
        assert (log.api_client_id, log.user_id, log.department_id, log.region_id, log.channel) == (
            client.pk,
            None,
            dept_a.pk,
            dept_a.region_id,
            "api",
        )
        assert (log.matter, log.code, log.found, log.summary) == (
            "政府采购",
            answer["code"],
            answer["found"],
            answer["message"],
        )
        assert (log.entry_count, log.measure_count) == (len(answer["entries"]), len(answer["measures"]))
        assert (log.subject_id is not None) == answer["found"]


def test_gunicorn_workers_freeze_the_startup_heap():
    import gc
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    thresholds = gc.get_threshold()
    try:
        config["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == config["GC_THRESHOLDS"]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_gunicorn_workers_collect_fully_between_requests(monkeypatch):
    import gc
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(args))
    every = config["FULL_COLLECTION_EVERY"]
    monkeypatch.setattr(gc, "get_count", lambda: (5, 3, every - 1))
    config["post_request"](None, None, {}, None)
    assert collected == []  # not due yet
    monkeypatch.setattr(gc, "get_count", lambda: (5, 3, every))
    config["post_request"](None, None, {}, None)
    assert collected == [()]  # a full collection, after the response


def test_versions_are_read_once_per_request(listed, dept_a, make_api_client, monkeypatch, settings):
    from django.core.cache import cache

    from creditsys import versions

    settings.VERSIONS_MAX_AGE = 0  # every request reads them (the reuse: the test below)
    api, _client = make_api_client(department=dept_a)
    params = {"code": listed[0][0].uscc, "matter": "行政许可"}
    api.get("/api/v1/check/", params)  # warm: versions exist, memos loaded
    calls, inside_get_many = [], []
    real_get_many, real_get = cache.get_many, cache.get

    def get_many(keys, *args, **kwargs):
        calls.append(list(keys))
        inside_get_many.append(True)  # locmem's get_many is a loop of get(): one call, not several
        try:
            return real_get_many(keys, *args, **kwargs)
        finally:
            inside_get_many.pop()

    def get(key, *args, **kwargs):
        if not inside_get_many:
            calls.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", get_many)
    monkeypatch.setattr(cache, "get", get)
    assert api.get("/api/v1/check/", params).status_code == 200
    assert len(calls) == 1 and "api:clients-version" in calls[0] and "sanctions:catalogue-version" in calls[0]
    # Within a request, a bump is seen at once (the snapshot forgets the key).
    with versions.request_snapshot():
        before = versions.current("sanctions:catalogue-version")
        versions.bump("sanctions:catalogue-version")
        assert versions.current("sanctions:catalogue-version") != before


def test_versions_read_by_a_request_serve_the_next_ones_for_a_moment(monkeypatch, settings):
    """Requests starting within VERSIONS_MAX_AGE of a read use it; a change made in another process
    reaches them after that at the latest; one made in this process at once."""
    from django.core.cache import cache

    from creditsys import versions

    key = "sanctions:catalogue-version"
    settings.VERSIONS_MAX_AGE = 0.2
    now = [1000.0]
    monkeypatch.setattr(versions.time, "monotonic", lambda: now[0])
    reads = []
    real_get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: reads.append(1) or real_get_many(keys))

    def in_a_request():
        with versions.request_snapshot():
            return versions.current(key)

    first = in_a_request()
    cache.set(key, first + 1, timeout=None)  # another process changed the catalogue
    now[0] += 0.19
    assert in_a_request() == first and len(reads) == 1  # no round trip, the value read 0.19 s ago
    now[0] += 0.02
    assert in_a_request() == first + 1 and len(reads) == 2  # read again: the change is seen
    versions.bump(key)  # a change made here: this process's next request sees it at once
    assert in_a_request() not in (first, first + 1) and len(reads) == 3
    # Outside a request (tasks, commands) every call reads.
    versions.current(key)
    versions.current(key)
    assert len(reads) == 5


def test_api_requests_skip_the_browser_middleware(listed, dept_a, make_api_client, client):
    """The API: no session, CSRF, locale or frame middleware, Chinese whatever the client asks;
    security headers and slash redirects as for every request. Pages keep all of it."""
    from django.utils import translation

    api, _client = make_api_client(department=dept_a)
    translation.activate("en")  # as a page request for an English-speaking browser leaves it
    try:
        r = api.post("/api/v1/check/batch/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    assert r.status_code == 400 and re.search("[\u4e00-\u9fff]", r.json()["errors"]["codes"][0])  # DRF's, translated
    r = api.get("/api/v1/check/", {"code": listed[0][0].uscc, "matter": "行政许可"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    assert "Content-Language" not in r and "X-Frame-Options" not in r and "Vary" not in r and not r.cookies
    assert r["X-Content-Type-Options"] == "nosniff" and r["X-Request-ID"]
    assert api.get("/api/v1/check", {"code": "x"}).status_code == 301  # CommonMiddleware: APPEND_SLASH
    page = client.get("/workbench/login/")
    assert page.status_code == 200 and page["X-Frame-Options"] == "DENY" and "csrftoken" in page.cookies
    assert page["Content-Language"] == "zh-hans"


def test_public_pages_work_when_the_cache_is_down(listed, client, monkeypatch):
    from django.core.cache import cache

    from creditsys.cache import RedisCacheClient

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    for name in ("get", "get_many", "set", "add", "incr"):
        monkeypatch.setattr(cache, name, down)
    monkeypatch.setattr(RedisCacheClient, "get_client", down)  # what bypasses the cache API (counters)
    subject = listed[0][0]
    r = client.get(f"/subjects/{subject.pk}/")
    assert r.status_code == 200 and subject.name in r.content.decode()
    # The search is also rate limited: with the counters gone it still answers.
    r = client.get("/search/", {"q": subject.name[:2]})
    assert r.status_code == 200 and subject.name in r.content.decode()


@pytest.mark.redis
def test_count_hit_counts_in_one_round_trip_and_expires():
    from creditsys.cache import RedisCache, count_hit

    need(bool(settings.REDIS_URL), "needs Redis (set REDIS_URL)")
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-count-hit"})
    cache.clear()
    client = cache._cache.get_client(write=True)
    sent = []
    original = type(client).pipeline

    def pipeline(self, *args, **kwargs):
        sent.append(1)
        return original(self, *args, **kwargs)

    from unittest import mock

    with (
        mock.patch("django.core.cache.caches", {"default": cache}),
        mock.patch.object(type(client), "pipeline", pipeline),
    ):
        assert [count_hit("bucket", 30) for _ in range(3)] == [1, 2, 3]
    assert len(sent) == 3  # one pipeline (one round trip) per hit
    assert cache.get("bucket") == 3  # the same value Django's cache API reads
    assert 0 < client.ttl(cache.make_key("bucket")) <= 30  # expires: the window starts at the first hit
    cache.clear()


def test_count_hit_without_redis_and_with_the_cache_down(monkeypatch):
    from django.core.cache import cache

    from creditsys.cache import RedisCacheClient, count_hit

    cache.delete("count-hit-test")
    assert [count_hit("count-hit-test", 30) for _ in range(2)] == [1, 2]

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "add", down)  # locmem (no REDIS_URL)
    monkeypatch.setattr(RedisCacheClient, "get_client", down)  # Redis
    assert count_hit("count-hit-test", 30) == 0  # not counted, and no error for the page


def test_public_shell_memo_marks_the_current_page_and_links_like_reverse(listed, client):
    from django.urls import reverse

    subject = listed[0][0]
    search = client.get("/search/", {"q": subject.name[:2]}).content.decode()
    home = client.get("/").content.decode()
    measures = client.get(reverse("publicity:measures")).content.decode()
    profile = client.get(reverse("publicity:profile", args=[subject.pk])).content.decode()
    assert f'<a href="{reverse("publicity:search")}" aria-current="page">信用查询</a>' in search
    assert f'<a href="{reverse("publicity:home")}" aria-current="page">首页</a>' in home
    assert f'<a href="{reverse("publicity:measures")}" aria-current="page">措施清单</a>' in measures
    for page in (search, home, measures, profile):
        assert page.count('aria-current="page"') == (0 if page is profile else 1)
        for url in (reverse("publicity:tip"), reverse("publicity:articles", args=["notice"]), reverse("registry:home")):
            assert f'href="{url}"' in page
    assert f'href="{reverse("publicity:profile", args=[subject.pk])}"' in search  # profile links of results


def test_search_result_escapes_every_value():
    from types import SimpleNamespace

    from publicity.templatetags.public_site import search_result

    subject = SimpleNamespace(
        pk=7,
        name='林芝<script>alert("x")</script>商贸',
        public_badges=[("红名单", "red-list")],
        uscc="",
        get_kind_display=lambda: "法人&组织",
        region_name=None,
        legal_representative="<b>张三</b>",
    )
    html = search_result(subject)
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;张三&lt;/b&gt;" in html and "法人&amp;组织" in html
    assert 'href="/subjects/7/"' in html and '<span class="badge red-list">红名单</span>' in html
    assert "统一社会信用代码：— · 法人&amp;组织 · —" in html  # missing code and region shown as —


@pytest.mark.parametrize(
    "value",
    [
        "91540400MA6T00000X",
        "  540402196801308177 ",
        "",
        "   ",
        "x" * 64,
        "x" * 65,
        "a\x00b",
        "林芝",
        "\ud800",
        12,
        None,
        ["a"],
    ],
)
def test_batch_code_field_fast_path_validates_like_charfield(value):
    from rest_framework import serializers

    from sanctions.api.serializers import CheckCodeField

    def outcome(field):
        try:
            return "ok", field.run_validation(value)
        except serializers.ValidationError as exc:
            return "error", [str(m) for m in exc.detail]

    assert outcome(CheckCodeField()) == outcome(serializers.CharField(max_length=64, allow_blank=True))


def test_plain_check_answers_exactly_as_drf(listed, dept_a, make_api_client, monkeypatch):
    """The check's short path (no DRF machinery) sends DRF's bytes and headers; only ids differ."""
    from sanctions.api import views

    api, _client = make_api_client(department=dept_a)
    codes = [*check_codes(listed, 3), "91540400MA6T00000X", "12345"]
    taken = []
    plain = views.plain_check
    monkeypatch.setattr(views, "plain_check", lambda request: taken.append(1) or plain(request))

    def answers():
        out = []
        for code in codes:
            r = api.get("/api/v1/check/", {"code": code, "matter": "行政许可"})
            assert r.status_code == 200
            headers = {k: v for k, v in r.headers.items() if k != "X-Request-ID"}
            out.append((headers, r.content.replace(r.json()["check_id"].encode(), b"<id>")))
        return out

    short = answers()
    assert len(taken) == len(codes)
    monkeypatch.setattr(views, "plain_check", lambda request: None)
    drf = answers()
    assert [h for h, _ in drf] == [h for h, _ in short], (drf[0][0], short[0][0])
    assert drf == short


def test_short_path_runs_the_middleware_above_the_api_in_its_order():
    """``ShortPathMiddleware`` comes first, and its chain is what ``MIDDLEWARE`` runs above
    ``ApiMiddleware`` for an API answer (all of it but WhiteNoise's static files)."""
    from creditsys.middleware import SHORT_PATH_MIDDLEWARE

    chain = settings.MIDDLEWARE
    assert chain[0] == "creditsys.middleware.ShortPathMiddleware"
    above_api = chain[1 : chain.index("creditsys.middleware.ApiMiddleware")]
    above_api.remove("whitenoise.middleware.WhiteNoiseMiddleware")
    assert [f"{m.__module__}.{m.__qualname__}" for m in SHORT_PATH_MIDDLEWARE] == above_api


@pytest.mark.parametrize(
    "headers, status",
    [({"HTTP_HOST": "evil.example.com"}, 400), ({"HTTP_USER_AGENT": "BadBot/1.0"}, 403)],
)
def test_short_path_leaves_refused_requests_to_the_chain(dept_a, make_api_client, settings, headers, status):
    """A host not allowed or a denied user agent gets the answer the whole chain gives, and no check runs."""
    from sanctions.models import CheckLog

    settings.DISALLOWED_USER_AGENTS = [re.compile("BadBot")]
    api, _client = make_api_client(department=dept_a)
    r = api.get("/api/v1/check/", {"code": "91540400MA6T00000X", "matter": "行政许可"}, **headers)
    assert r.status_code == status
    assert not CheckLog.objects.exists()


def test_short_path_keeps_the_request_id_and_security_headers(dept_a, make_api_client, monkeypatch):
    from sanctions.api import views
    from sanctions.models import CheckLog

    taken = []
    plain = views.plain_check
    monkeypatch.setattr(views, "plain_check", lambda request: taken.append(1) or plain(request))
    api, _client = make_api_client(department=dept_a)
    r = api.get("/api/v1/check/", {"code": "91540400MA6T00000X", "matter": "行政许可"}, HTTP_X_REQUEST_ID="req-7f3a")
    assert r.status_code == 200 and taken == [1]
    assert r["X-Request-ID"] == "req-7f3a"
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Length"] == str(len(r.content))
    assert "Set-Cookie" not in r and "Vary" not in r  # no session, no language negotiation
    assert CheckLog.objects.get().check_id.hex == r.json()["check_id"].replace("-", "")


@pytest.mark.parametrize(
    "params, headers, status",
    [
        ({"code": "", "matter": "行政许可"}, {}, 400),  # missing code: DRF's validation answer
        ({"code": "91540400MA6T00000X", "matter": ""}, {}, 400),  # missing matter (service)
        ({"code": "91540400MA6T00000X", "matter": "行政许可"}, {"HTTP_ACCEPT": "text/html"}, 406),
        ({"code": "91540400MA6T00000X", "matter": "行政许可"}, {"HTTP_AUTHORIZATION": "Bearer cs_x_y"}, 401),
        ({"code": "91540400MA6T00000X", "matter": "行政许可"}, {"HTTP_AUTHORIZATION": "Token abc"}, 401),
    ],
)
def test_plain_check_leaves_everything_else_to_drf(dept_a, make_api_client, params, headers, status):
    from rest_framework.test import APIClient

    from sanctions.models import CheckLog

    api, _client = make_api_client(department=dept_a)
    if "HTTP_AUTHORIZATION" in headers:
        api = APIClient()  # the key set by make_api_client would win over the header given here
    r = api.get("/api/v1/check/", params, **headers)
    assert r.status_code == status
    assert r.json()["code"] in {"invalid", "not_acceptable", "authentication_failed"}
    assert not CheckLog.objects.exists()


def test_plain_check_needs_the_check_scope(dept_a, make_api_client):
    api, _client = make_api_client(department=dept_a, scopes=("read",))
    r = api.get("/api/v1/check/", {"code": "91540400MA6T00000X", "matter": "行政许可"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_plain_check_answers_a_server_error_in_the_api_format(dept_a, make_api_client, monkeypatch, caplog):
    from sanctions import services

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "check_perform", broken)
    api, _client = make_api_client(department=dept_a)
    r = api.get("/api/v1/check/", {"code": "91540400MA6T00000X", "matter": "行政许可"})
    assert r.status_code == 500 and r.json()["code"] == "server_error"
    assert "database gone" not in r.content.decode()
    assert "unhandled API error" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_health_check_polls_the_socket_instead_of_a_round_trip(monkeypatch):
    from django.db.backends.postgresql import base

    need(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    connection.ensure_connection()
    selects = []
    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: selects.append(1) or True)
    assert connection.is_usable() is True
    assert selects == []  # idle, nothing sent by the server: no SELECT 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.is_usable() is True and selects == []


@pytest.mark.django_db(transaction=True)
def test_health_check_sees_a_connection_the_server_ended():
    import time

    need(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert connection.is_usable() is False
    # As at the start of a request: the dead connection is closed and the next query reconnects.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
