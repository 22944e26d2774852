import re

import pytest
from rest_framework.test import APIClient

from registry.demo import make_uscc
from registry.models import Department, Subject

pytestmark = pytest.mark.django_db

URL = "/api/v1/subjects/"


def test_no_key_is_401_with_json_error():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Bearer" in response["WWW-Authenticate"]


def test_wrong_key_is_401():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer cs_deadbeef_wrong")
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": "API 密钥无效。"}


def test_inactive_client_is_401(make_api_client, dept_a):
    api, client = make_api_client(department=dept_a)
    client.is_active = False
    client.save()
    assert api.get(URL).status_code == 401


def test_key_without_write_scope_is_403(make_api_client, dept_a, city):
    api, _ = make_api_client(department=dept_a, scopes=["read"])
    assert api.get(URL).status_code == 200
    response = api.post(
        URL,
        {"kind": "organization", "name": "X", "uscc": make_uscc("9", "1", "540400", 1), "region": city.code},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "write" in response.json()["detail"]
    assert Subject.objects.count() == 0


def test_invalid_uscc_is_400_with_chinese_field_message_and_nothing_saved(make_api_client, dept_a, city):
    api, _ = make_api_client(department=dept_a)
    response = api.post(
        URL,
        {"kind": "organization", "name": "林芝雪域有限公司", "uscc": "91540400MA6T0G9K2Y", "region": city.code},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "校验位错误" in body["errors"]["uscc"][0]
    assert "uscc" in body["detail"]
    assert Subject.objects.count() == 0


def test_bad_shapes_are_400_not_500(make_api_client, dept_a, city):
    api, _ = make_api_client(department=dept_a)
    for payload in ([], {"kind": "alien"}, {"kind": "organization", "region": "999999", "name": "x" * 500}, "x"):
        response = api.post(URL, payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["code"] in {"invalid", "parse_error"}
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_create_and_fetch_by_code(make_api_client, dept_a, city):
    api, _ = make_api_client(department=dept_a)
    uscc = make_uscc("N", "2", "540400", 77)
    response = api.post(
        URL,
        {"kind": "organization", "name": "林芝鲁朗农牧专业合作社", "uscc": uscc.lower(), "region": city.code},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["uscc"] == uscc
    assert response.json()["managing_department"] == dept_a.uscc
    detail = api.get(f"{URL}{uscc}/")
    assert detail.status_code == 200 and detail.json()["name"] == "林芝鲁朗农牧专业合作社"
    missing = api.get(f"{URL}{make_uscc('9', '1', '540400', 78)}/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_person_detail_masks_id_number(make_api_client, make_subject, dept_a):
    person = make_subject("卓玛", kind=Subject.Kind.NATURAL_PERSON)
    number = person.reveal_id_number()
    api, _ = make_api_client(department=dept_a)
    response = api.get(f"{URL}{number}/")
    assert response.status_code == 200
    assert number not in response.content.decode()
    assert response.json()["id_number"] == person.id_number_masked


def test_list_filters_search_and_pagination(make_api_client, make_subject, dept_a, county):
    make_subject("林芝雪域建筑工程有限公司")
    make_subject("巴宜区康达医药有限公司", region=county)
    make_subject("次仁", kind=Subject.Kind.NATURAL_PERSON)
    api, _ = make_api_client(department=dept_a)
    body = api.get(URL, {"q": "雪域"}).json()
    assert [r["name"] for r in body["results"]] == ["林芝雪域建筑工程有限公司"]
    assert api.get(URL, {"region": county.code}).json()["count"] == 1
    assert api.get(URL, {"kind": "natural_person"}).json()["count"] == 1
    page = api.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    bad = api.get(URL, {"kind": "alien"})
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]


def test_region_client_sees_only_its_region(make_api_client, make_subject, county, other_county):
    make_subject("巴宜区甲公司", region=county)
    make_subject("工布江达县乙公司", region=other_county)
    api, _ = make_api_client(region=county)
    assert [r["name"] for r in api.get(URL).json()["results"]] == ["巴宜区甲公司"]


def test_county_client_cannot_create_outside_its_region(make_api_client, county, other_county):
    api, _ = make_api_client(region=county)
    response = api.post(
        URL,
        {
            "kind": "organization",
            "name": "外县公司",
            "uscc": make_uscc("9", "1", other_county.code, 5),
            "region": other_county.code,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "管辖范围" in response.json()["errors"]["region"][0]
    payload = {
        "kind": "organization",
        "name": "本县公司",
        "uscc": make_uscc("9", "1", county.code, 6),
        "region": county.code,
    }
    no_office = api.post(URL, payload, format="json")
    assert no_office.status_code == 400  # nobody in the county to maintain the subject yet
    assert "managing_department" in no_office.json()["errors"]
    office = Department.objects.create(
        name="巴宜区发展和改革委员会",
        uscc=make_uscc("1", "1", county.code, 9),
        region=county,
        level="county",
        is_credit_office=True,
    )
    created = api.post(URL, payload, format="json")
    assert created.status_code == 201
    assert created.json()["managing_department"] == office.uscc


def test_schema_and_docs_are_public_and_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/subjects/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    # Every script, style sheet and icon comes from our own static files, none from a CDN. (Not a
    # search for "cdn" in the page: its random CSRF token contains those letters now and then.)
    assets = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert assets and all(url.startswith("/static/") for url in assets), assets
