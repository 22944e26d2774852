import pytest
from django.test import Client

from creditsys.models import AuditEvent
from registry.models import Subject

pytestmark = pytest.mark.django_db


def test_login_required_and_pages_render(web_a, make_subject, client):
    subject = make_subject()
    assert client.get("/workbench/").status_code == 302
    for url in [
        "/workbench/",
        "/workbench/subjects/",
        "/workbench/subjects/new/",
        f"/workbench/subjects/{subject.pk}/",
    ]:
        response = web_a.get(url)
        assert response.status_code == 200, url
        assert "工作台" in response.content.decode()


def test_subject_list_search_and_filters(web_a, make_subject, county):
    make_subject("林芝雪域建筑工程有限公司")
    make_subject("巴宜区康达医药有限公司", region=county)
    html = web_a.get("/workbench/subjects/", {"q": "康达"}).content.decode()
    assert "巴宜区康达医药有限公司" in html and "林芝雪域建筑工程有限公司" not in html
    html = web_a.get("/workbench/subjects/", {"region": county.pk}).content.decode()
    assert "巴宜区康达医药有限公司" in html and "林芝雪域建筑工程有限公司" not in html


def test_create_form_shows_field_errors_and_saves_nothing(web_a, city):
    response = web_a.post(
        "/workbench/subjects/new/",
        {
            "kind": "organization",
            "name": "林芝测试有限公司",
            "uscc": "91540400MA6T0G9K2Y",
            "region": city.pk,
            "status": "active",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "统一社会信用代码校验位错误" in html and "has-error" in html
    assert Subject.objects.count() == 0


def test_create_and_edit_through_forms(web_a, city):
    from registry.demo import make_uscc

    uscc = make_uscc("9", "1", "540400", 31)
    response = web_a.post(
        "/workbench/subjects/new/",
        {"kind": "organization", "name": "林芝测试有限公司", "uscc": uscc, "region": city.pk, "status": "active"},
    )
    subject = Subject.objects.get(uscc=uscc)
    assert response.status_code == 302 and response["Location"].endswith(f"/subjects/{subject.pk}/")
    response = web_a.post(
        f"/workbench/subjects/{subject.pk}/edit/",
        {"name": "林芝新名有限公司", "region": city.pk, "status": "active", "address": "八一镇", "reason": "更名登记"},
    )
    assert response.status_code == 302
    html = web_a.get(f"/workbench/subjects/{subject.pk}/").content.decode()
    assert "林芝新名有限公司" in html and "林芝测试有限公司" in html  # former name shown
    assert "更名登记" in html  # change history shows the reason


def test_clerk_of_department_a_cannot_change_department_b_subject_on_the_web(clerk_b, make_subject, city):
    subject = make_subject()  # maintained by department A
    web_b = Client()
    web_b.force_login(clerk_b)
    assert web_b.get(f"/workbench/subjects/{subject.pk}/").status_code == 200  # visible in the city
    assert web_b.get(f"/workbench/subjects/{subject.pk}/edit/").status_code == 403
    response = web_b.post(
        f"/workbench/subjects/{subject.pk}/edit/",
        {"name": "被改名", "region": city.pk, "status": "active", "reason": "x"},
    )
    assert response.status_code == 403
    subject.refresh_from_db()
    assert subject.name == "林芝雪域建筑工程有限公司"
    assert (
        web_b.post(f"/workbench/subjects/{subject.pk}/codes/", {"kind": "tax_number", "value": "X1"}).status_code == 403
    )


def test_county_user_cannot_see_other_county(county_coordinator, make_subject, other_county):
    subject = make_subject("工布江达县某公司", region=other_county)
    web = Client()
    web.force_login(county_coordinator)
    assert web.get(f"/workbench/subjects/{subject.pk}/").status_code == 404


def test_person_page_masks_id_and_audits_the_read(web_a, make_subject):
    person = make_subject("卓玛", kind=Subject.Kind.NATURAL_PERSON)
    html = web_a.get(f"/workbench/subjects/{person.pk}/").content.decode()
    assert person.id_number_masked in html and person.reveal_id_number() not in html
    assert AuditEvent.objects.filter(subject_id=person.pk, action="read").count() == 1


def test_coordinator_reveal_shows_once_and_is_not_stored(coordinator, make_subject):
    person = make_subject("卓玛", kind=Subject.Kind.NATURAL_PERSON)
    web = Client()
    web.force_login(coordinator)
    response = web.post(f"/workbench/subjects/{person.pk}/reveal/", {"reason": "核对身份"})
    assert person.reveal_id_number() in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert person.reveal_id_number() not in web.get(f"/workbench/subjects/{person.pk}/").content.decode()


def test_failed_logins_are_throttled(clerk_a, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    web = Client()
    for _ in range(3):
        response = web.post("/workbench/login/", {"username": "clerk_a", "password": "wrong"})
        assert "用户名或密码错误" in response.content.decode()
    response = web.post("/workbench/login/", {"username": "clerk_a", "password": "Pw-for-tests-2026"})
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_successful_login(clerk_a):
    web = Client()
    response = web.post("/workbench/login/", {"username": "clerk_a", "password": "Pw-for-tests-2026"})
    assert response.status_code == 302


def test_admin_registers_every_model(django_user_model):
    from django.apps import apps
    from django.contrib import admin

    for app_label in ("creditsys", "registry", "sanctions", "disputes", "publicity"):
        for model in apps.get_app_config(app_label).get_models():
            assert admin.site.is_registered(model), model


def test_security_headers(client):
    response = client.get("/workbench/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"]


def test_demo_loader_is_idempotent():
    from registry import demo

    first = demo.load(subjects=12)
    assert first["subjects"] > 0
    events = AuditEvent.objects.count()
    second = demo.load(subjects=12)
    assert set(second.values()) == {0}
    assert AuditEvent.objects.count() == events


def test_home_shows_panels_from_every_app(web_a):
    html = web_a.get("/workbench/").content.decode()
    for text in ("联合奖惩", "待反馈的奖惩任务", "异议与信用修复", "核实中的异议", "未读消息"):
        assert text in html
