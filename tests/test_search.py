import pytest
from django.db import connection

from registry import selectors
from registry.models import Subject
from registry.names import name_grams, normalize_name, strip_legal_form

pytestmark = pytest.mark.django_db


def test_normalisation():
    assert normalize_name("林芝（雪域）建筑 有限公司") == normalize_name("林芝(雪域)建筑有限公司")
    assert normalize_name("ＡＢＣ商贸") == "abc商贸"
    assert strip_legal_form(normalize_name("林芝雪域有限责任公司")) == "林芝雪域"
    assert {"林", "林芝", "芝雪"} <= set(name_grams(["林芝雪域"]))


@pytest.fixture
def names(make_subject):
    for name in [
        "林芝雪域建筑工程有限公司",
        "林芝高原商贸有限责任公司",
        "米林县雪域农牧专业合作社",
        "巴宜区康达医药有限公司",
    ]:
        make_subject(name)


def found(query):
    return list(selectors.subject_search(query).values_list("name", flat=True))


def test_one_and_two_character_queries(names):
    assert set(found("雪")) == {"林芝雪域建筑工程有限公司", "米林县雪域农牧专业合作社"}
    assert set(found("雪域")) == {"林芝雪域建筑工程有限公司", "米林县雪域农牧专业合作社"}
    assert found("康达") == ["巴宜区康达医药有限公司"]
    assert found("无此") == []


def test_longer_query_and_legal_form_suffix(names):
    assert found("雪域建筑") == ["林芝雪域建筑工程有限公司"]
    # 有限公司 in the query matches 有限责任公司 in the name.
    assert found("林芝高原商贸有限公司") == ["林芝高原商贸有限责任公司"]
    assert found("林芝（高原）") == ["林芝高原商贸有限责任公司"]  # brackets are ignored for matching
    # Full-width and spaces are ignored.
    assert found("雪域 建筑") == ["林芝雪域建筑工程有限公司"]


def test_former_names_are_searchable(make_subject, clerk_a):
    from registry import services
    from registry.scoping import scope_for_user

    subject = make_subject("尼洋河旅游开发有限公司")
    services.subject_update(scope=scope_for_user(clerk_a), subject=subject, name="鲁朗旅游开发有限公司")
    assert found("尼洋") == ["鲁朗旅游开发有限公司"]
    assert found("鲁朗") == ["鲁朗旅游开发有限公司"]


def test_search_by_code(names):
    subject = Subject.objects.first()
    assert found(subject.uscc) == [subject.name]
    assert found(subject.uscc.lower()) == [subject.name]


def test_exact_name_ranks_first(make_subject):
    make_subject("雪域建筑有限公司分公司")
    make_subject("雪域建筑")
    assert found("雪域建筑")[0] == "雪域建筑"


def _plan(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("query", ["雪", "雪域", "雪域建筑"])
def test_postgres_search_uses_the_gin_index(postgres, make_subject, query):
    """EXPLAIN shows the n-gram GIN index answering 1-, 2- and longer queries."""
    target = make_subject("雪域建筑工程有限公司")
    Subject.objects.bulk_create(
        [
            Subject(
                kind=Subject.Kind.ORGANIZATION,
                name=f"测试商贸{i}有限公司",
                region_id=target.region_id,
                managing_department_id=target.managing_department_id,
                search_text=normalize_name(f"测试商贸{i}有限公司"),
                name_grams=name_grams([f"测试商贸{i}有限公司"]),
            )
            for i in range(2000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_subject")
    qs = selectors.subject_search(query)
    sql, params = qs.query.sql_with_params()
    plan = _plan(sql, params)
    assert "registry_subject_name_grams_gin" in plan, plan
    assert list(qs.values_list("name", flat=True)) == ["雪域建筑工程有限公司"]


# --- the short-gram index of the public search (registry migration 0007, PostgreSQL) ---------------


def _grams_of(subject) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gram FROM registry_subject_gram WHERE subject_id = %s", [subject.pk])
        return {row[0] for row in cursor.fetchall()}


def test_short_gram_index_follows_every_change(postgres, make_subject):
    subject = make_subject("雪域建筑工程有限公司")
    expected = {g for g in subject.name_grams if len(g) <= 2}
    assert _grams_of(subject) == expected and "雪域" in expected
    Subject.objects.filter(pk=subject.pk).update(name_grams=["林芝", "林", "芝", "林芝科技"])  # any writer
    assert _grams_of(subject) == {"林芝", "林", "芝"}
    subject.refresh_from_db()
    subject.save()  # unchanged grams: nothing rewritten, nothing lost
    assert _grams_of(subject) == {"林芝", "林", "芝"}
    person = dict(kind=Subject.Kind.NATURAL_PERSON, id_number_hmac="0" * 64)
    Subject.objects.filter(pk=subject.pk).update(**person)
    assert _grams_of(subject) == set()  # natural persons are never found by name in public
    Subject.objects.filter(pk=subject.pk).update(kind=Subject.Kind.ORGANIZATION, id_number_hmac=None)
    assert _grams_of(subject) == {"林芝", "林", "芝"}
    pk = subject.pk
    Subject.objects.filter(pk=pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_subject_gram WHERE subject_id = %s", [pk])
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("query", ["雪", "雪域", "商", "号商"])
def test_public_short_queries_find_what_the_gin_filter_finds(postgres, make_subject, query):
    from publicity import selectors as public

    for i in range(30):
        make_subject(f"雪域{i}号商贸有限公司")
    make_subject("测试商贸有限公司")
    qs = Subject.objects.exclude(kind=Subject.Kind.NATURAL_PERSON)
    by_gin = selectors.subject_search_ids(query, qs, limit=200)
    by_btree = public.search(query)
    assert by_btree == by_gin and by_gin


def test_public_short_query_reads_the_btree_and_stops_early(postgres, make_subject):
    from django.test.utils import CaptureQueriesContext

    from publicity import selectors as public

    make_subject("雪域建筑工程有限公司")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_subject_gram")
    with CaptureQueriesContext(connection) as ctx:
        assert public.search("雪")
    [statement] = [q["sql"] for q in ctx.captured_queries if "registry_subject_gram" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)  # the statement the search ran, values written in
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_subject_gram_pkey" in plan and "Limit" in plan, plan
    assert "name_grams_gin" not in plan, plan
