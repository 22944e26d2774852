"""Query counts per endpoint are pinned (no N+1): a batch of many codes costs what a batch of three costs.

Also: the batch check answers exactly what single checks answer, and the per-process memo of the
measure catalogue never serves a catalogue older than the last change.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanctions import selectors, services

from .conftest import GLOBAL_SCOPE
from .sanctions_fixtures import *  # noqa: F403  (fixtures: listed …)
from .sanctions_fixtures import check_codes

pytestmark = pytest.mark.django_db


def _count(fn, *, reads_only=False) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = [q["sql"] for q in ctx.captured_queries]
    if reads_only:  # SQLite splits a bulk INSERT by its parameter limit; PostgreSQL sends one
        queries = [q for q in queries if q.startswith("SELECT")]
    return len(queries)


def test_batch_answers_equal_single_answers(listed, dept_a):
    codes = check_codes(listed, 11)
    batch = [a for a, _s in selectors.check_answers(codes, department_id=dept_a.pk, on=date(2026, 3, 2))]
    single = [selectors.check_answer(c, department_id=dept_a.pk, on=date(2026, 3, 2)) for c in codes]
    assert batch == single
    found = [a["found"] for a in batch]
    assert found == [True] * 7 + [False] * 4
    assert [a["valid_code"] for a in batch[-3:]] == [False, False, True]  # free text: looked up as an old code
    assert batch[0]["measures"] and batch[6]["trustworthy"] is True and batch[0]["trustworthy"] is False
    assert [i["code"] for i in batch[5]["incentives"]] == ["I-CLEAN"]  # the clean subject


def test_check_queries_do_not_grow_with_the_batch(listed, dept_a, make_api_client):
    api, _client = make_api_client(department=dept_a)
    api.post("/api/v1/check/batch/", {"matter": "预热", "codes": check_codes(listed, 3)}, format="json")  # warm caches

    def batch(n):
        r = api.post("/api/v1/check/batch/", {"matter": "政府采购", "codes": check_codes(listed, n)}, format="json")
        assert r.status_code == 200 and r.json()["count"] == n

    few, many = _count(lambda: batch(11), reads_only=True), _count(lambda: batch(300), reads_only=True)
    assert many == few
    assert many <= 5  # API key, subjects with their flags, old codes and their subjects, list entries
    # Every answer is logged (one INSERT on PostgreSQL, column arrays), with what the answer said.
    from sanctions.models import CheckLog

    logs = CheckLog.objects.filter(matter="政府采购")
    assert logs.count() == 311
    listed_log = logs.filter(code=selectors.mask_code(listed[0][0].uscc)).first()
    assert listed_log.found and listed_log.entry_count == 1 and listed_log.subject_id == listed[0][0].pk
    assert listed_log.api_client_id == _client.pk and listed_log.department_id == dept_a.pk
    assert listed_log.channel == "api" and listed_log.checked_at is not None and listed_log.summary


def test_single_check_query_count(listed, dept_a, make_api_client, django_assert_max_num_queries):
    api, _client = make_api_client(department=dept_a)
    code = listed[0][0].uscc
    api.get("/api/v1/check/", {"code": code, "matter": "预热"})
    with django_assert_max_num_queries(7):
        r = api.get("/api/v1/check/", {"code": code, "matter": "行政许可"})
    assert r.status_code == 200 and r.json()["found"] is True


def test_catalogue_memo_follows_publish_and_retire(listed, dept_a, make_measure):
    subjects, _person, _clean = listed
    code = subjects[0].uscc
    first = selectors.check_answer(code, department_id=dept_a.pk)
    assert [m["code"] for m in first["measures"]] == ["P-A"]
    new = make_measure("P-A2", departments=[dept_a])
    assert [m["code"] for m in selectors.check_answer(code, department_id=dept_a.pk)["measures"]] == ["P-A", "P-A2"]
    services.measure_retire(scope=GLOBAL_SCOPE, measure=new, reason="测试废止")
    assert [m["code"] for m in selectors.check_answer(code, department_id=dept_a.pk)["measures"]] == ["P-A"]


def test_catalogue_memo_is_reused_between_checks(listed, dept_a):
    code = listed[0][0].uscc
    selectors.check_answer(code, department_id=dept_a.pk)
    again = _count(lambda: selectors.check_answer(code, department_id=dept_a.pk))
    assert again == 1  # subjects with their flags and entries: no catalogue queries


def test_check_by_an_old_registration_number_reads_the_entries_too(listed, dept_a):
    """The subjects found by a secondary code have their entries read by a query of their own."""
    from registry.models import SubjectCode

    subject = listed[0][0]
    SubjectCode.objects.create(subject=subject, kind="business_registration", value="540400200099999")
    by_uscc = selectors.check_answer(subject.uscc, department_id=dept_a.pk)
    by_old_number = selectors.check_answer("540400200099999", department_id=dept_a.pk)
    assert by_uscc["entries"] and by_old_number["entries"] == by_uscc["entries"]
    assert by_old_number["measures"] == by_uscc["measures"] and by_old_number["message"] == by_uscc["message"]


# --- public search and profile ---------------------------------------------------------------------


@pytest.fixture
def many_names(make_subject):
    return [make_subject(f"林芝雪域{i}号商贸有限公司") for i in range(6)]


def test_capped_search_ranks_exact_names_and_bounds_the_rest(many_names, make_subject):
    from registry.models import Subject
    from registry.selectors import subject_search, subject_search_ids

    exact = make_subject("雪域")  # the newest: outside the first matches in id order
    names_by_id = dict(Subject.objects.values_list("pk", "name"))
    names = [names_by_id[pk] for pk in subject_search_ids("雪域", limit=3)]
    assert names[0] == "雪域" and len(names) == 5  # the exact name + the first limit + 1 matches
    assert exact.name not in names[1:]
    assert len(list(subject_search("雪域").values_list("pk", flat=True))) == 7  # uncapped: all


def test_public_search_says_when_there_are_more(many_names, client, monkeypatch, django_assert_max_num_queries):
    from publicity import selectors

    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 4)
    with django_assert_max_num_queries(3):  # candidates, exact names, the page's subjects with their badges
        r = client.get("/search/", {"q": "雪"})
    text = r.content.decode()
    assert r.status_code == 200 and "超过 4 个" in text and text.count('class="result"') == 4
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 50)
    r = client.get("/search/", {"q": "雪域"})
    assert "（6 个）" in r.content.decode()


def test_ranking_in_python_equals_ranking_in_sql(make_subject):
    from registry.selectors import subject_search, subject_search_ids

    for name in ["雪域", "雪域商贸有限公司", "林芝雪域商贸有限公司", "雪域高原", "巴宜雪域建筑工程有限公司", "雪"]:
        make_subject(name)
    for query in ["雪域", "雪", "雪域商贸有限公司", "商贸"]:
        in_sql = list(subject_search(query).values_list("pk", flat=True))
        assert subject_search_ids(query, limit=100) == in_sql, query


def test_profile_page_query_count(listed, client, django_assert_max_num_queries):
    subject = listed[0][0]
    with django_assert_max_num_queries(10):
        r = client.get(f"/subjects/{subject.pk}/")
    assert r.status_code == 200
