"""The public site: only lawful data, masking, escaping, reports and their verification."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from publicity import selectors
from publicity.models import CreditReport
from publicity.reports import report_generate, report_verify
from registry import services as registry_services
from registry.models import Subject

from .conftest import GLOBAL_SCOPE
from .sanctions_fixtures import make_entry, make_measure, person  # noqa: F401

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


@pytest.fixture
def company(make_subject):
    return make_subject("林芝雪域建筑工程有限公司")


@pytest.fixture
def add_penalty(penalty_input, company):
    def add(number, *, days_ago=30, **overrides):
        decided = _today() - timedelta(days=days_ago)
        data = penalty_input(document_number=number, decision_date=decided.isoformat(), uscc=company.uscc, **overrides)
        data["penalty_valid_until"] = (decided + timedelta(days=30)).isoformat()
        return registry_services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=data, today=_today()).record

    return add


@pytest.fixture
def records(add_penalty):
    return {
        "public": add_penalty("林市监罚〔2026〕101号"),
        "authorized": add_penalty("林市监罚〔2026〕102号", disclosure="授权查询"),
        "government": add_penalty("林市监罚〔2026〕103号", disclosure="政务共享"),
        "minor": add_penalty("林市监罚〔2026〕104号", severity="轻微"),
        "expired": add_penalty("林市监罚〔2026〕105号", days_ago=500),
        "withdrawn": add_penalty("林市监罚〔2026〕106号"),
    }


def _withdraw(record):
    registry_services.record_withdraw(scope=GLOBAL_SCOPE, record=record, reason="决定撤销")


def test_only_public_penalties_within_window_appear_everywhere(client, company, records):
    _withdraw(records["withdrawn"])
    visible = {"林市监罚〔2026〕101号"}
    hidden = {r.document_number for key, r in records.items() if key != "public"}
    profile = selectors.subject_profile(company)
    assert {p.document_number for p in profile["penalties"]} == visible
    html = client.get(f"/subjects/{company.pk}/").content.decode()
    listing = client.get("/shuanggongshi/penalties/").content.decode()
    report = report_generate(subject=selectors.public_subject(company.pk))
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf)).pages)
    for text in (html, listing, str(report.report.payload), pdf_text):
        assert "林市监罚〔2026〕101号" in text
        for number in hidden:
            assert number not in text, number


def test_repaired_penalty_is_omitted(client, company, records):
    from registry.models import PenaltyRecord, RecordStatus

    PenaltyRecord.objects.filter(pk=records["public"].pk).update(status=RecordStatus.REPAIRED)
    assert records["public"] not in selectors.subject_profile(company)["penalties"]
    assert "林市监罚〔2026〕101号" not in client.get(f"/subjects/{company.pk}/").content.decode()


def test_profile_shows_earliest_repair_date(client, company, records):
    html = client.get(f"/subjects/{company.pk}/").content.decode()
    assert records["public"].repairable_from.strftime("%Y-%m-%d") in html
    assert "最早可修复日期" in html


def test_natural_person_is_masked_and_not_searchable(client, person, make_entry, make_measure, dept_b):  # noqa: F811
    make_entry(person, "black", today=_today())
    masked = person.name[0] + "*" * (len(person.name) - 1)
    black = client.get("/lists/black/").content.decode()
    assert masked in black and person.name not in black
    profile = client.get(f"/subjects/{person.pk}/").content.decode()
    assert masked in profile and person.name not in profile
    assert person.id_number_masked in profile and person.reveal_id_number() not in profile
    assert list(selectors.search(person.name[:2])) == []
    report = report_generate(subject=selectors.public_subject(person.pk))
    assert person.name not in str(report.report.payload) and masked in str(report.report.payload)


def test_person_without_public_listing_has_no_public_page(client, make_subject):
    someone = make_subject("卓玛", kind=Subject.Kind.NATURAL_PERSON)
    assert client.get(f"/subjects/{someone.pk}/").status_code == 404


def test_xss_in_subject_name_is_shown_as_text(client, make_subject):
    evil = make_subject('雪域<script>alert("x")</script>公司')
    for url in ("/search/?q=雪域", f"/subjects/{evil.pk}/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def test_search_two_characters_and_badges(client, company, make_subject, make_entry, make_measure):  # noqa: F811
    make_subject("巴宜区康达医药有限公司")
    make_entry(company, "black", today=_today())
    html = client.get("/search/", {"q": "雪域"}).content.decode()
    assert "林芝雪域建筑工程有限公司" in html and "康达" not in html
    assert "严重失信" in html
    assert company.uscc in client.get("/search/", {"q": company.uscc}).content.decode()


def test_report_pdf_has_chinese_text_and_embedded_cjk_font(company, records):
    rendered = report_generate(subject=selectors.public_subject(company.pk))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "林芝雪域建筑工程有限公司" in text and "公共信用信息报告" in text
    assert rendered.report.number in text and rendered.report.verification_code in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object()
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                fonts.add(str(font["/BaseFont"]))
    assert any("CJK" in f or "WenQuanYi" in f or "Noto" in f for f in fonts), fonts


def _embedded_fonts(reader):
    """Base font names of every font on every page, and whether each one is embedded."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def test_long_report_keeps_every_record_with_embedded_extractable_text(company, add_penalty):
    numbers = [f"林市监罚〔2026〕{200 + i}号" for i in range(45)]
    for i, number in enumerate(numbers):
        add_penalty(number, days_ago=10 + i)
    rendered = report_generate(subject=selectors.public_subject(company.pk))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    # Whitespace removed: a long number may wrap inside its table cell.
    text = "".join("".join(page.split()) for page in pages)
    assert "行政处罚信息（共45条）" in text
    for number in numbers:
        assert number in text, number
    for i, page in enumerate(pages, start=1):
        assert rendered.report.number in page and f"第 {i} 页 / 共 {len(pages)} 页" in page
    fonts = _embedded_fonts(reader)
    assert all(fonts.values()), fonts
    assert any("WenQuanYi" in f or "CJK" in f for f in fonts), fonts


def test_report_pdf_shows_every_section_and_objection_marks():
    from publicity.reports import render_pdf

    penalty = dict.fromkeys(("decision_date", "authority", "violation_type", "categories", "content"), "处罚字段")
    payload = {
        "subject": {
            "name": "林芝雪域建筑工程有限公司",
            "code": "",
            "kind": "法人",
            "region": "林芝市",
            "status": "存续",
        },
        "entries": [{"type": "严重失信主体名单", "basis_document": "林认〔2026〕1号", "under_objection": True}],
        "penalties": [{**penalty, "document_number": "林市监罚〔2026〕300号", "under_objection": True}],
        "licenses": [{"document_number": "林许〔2026〕7号", "name": "食品经营许可决定书", "category": "普通"}],
        "commitments": [{"kind": "信用承诺", "matter": "按期整改"}],
        "as_of": "2026-11-22",
        "issuer": "信用中国（西藏林芝）",
    }
    report = CreditReport(
        number="XY2026112200000001", verification_code="ABCDEFGH", generated_at=timezone.now(), payload=payload
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(report))).pages)
    text = "".join(text.split())
    for expected in ("林市监罚〔2026〕300号", "林许〔2026〕7号", "食品经营许可决定书", "林认〔2026〕1号", "按期整改"):
        assert expected in text, expected
    assert text.count("（存在异议）") == 2


def test_report_qr_code_encodes_the_verification_url(company):
    import qrcode
    from PIL import ImageChops

    from publicity.reports import verify_url

    rendered = report_generate(subject=selectors.public_subject(company.pk))
    (image,) = PdfReader(io.BytesIO(rendered.pdf)).pages[0].images
    expected = qrcode.make(verify_url(rendered.report, "http://localhost"), box_size=8, border=2).get_image()
    embedded = image.image.convert("1")
    assert embedded.size == expected.size
    assert ImageChops.difference(embedded.convert("L"), expected.convert("L")).getbbox() is None


def test_report_renderer_uses_lean_user_agent_stylesheet():
    """The speed-up of publicity.reports._lean_html_class must survive a WeasyPrint upgrade."""
    import weasyprint

    from publicity.reports import _pdf_engine

    html_class = _pdf_engine()[0]
    assert html_class is not weasyprint.HTML and issubclass(html_class, weasyprint.HTML)
    (stylesheet,) = html_class(string="<p>x</p>")._ua_stylesheets()
    assert stylesheet is not weasyprint.html.UA_STYLESHEET


def test_report_renderer_is_per_thread():
    """Pango font maps are not thread-safe: each thread gets its own FontConfiguration."""
    import threading

    from publicity.reports import _pdf_engine, html_to_pdf

    results = {}

    def render(name):
        results[name] = (_pdf_engine()[1], html_to_pdf(f'<html lang="zh-Hans"><p>报告{name}</p></html>'))

    threads = [threading.Thread(target=render, args=(name,)) for name in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(results["甲"][0]), id(results["乙"][0]), id(_pdf_engine()[1])}) == 3
    for name, (_config, pdf) in results.items():
        assert f"报告{name}" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_warm_up_renders_without_storing_anything(caplog):
    from publicity.reports import warm_up

    warm_up()
    assert "warm-up failed" not in caplog.text
    assert not CreditReport.objects.exists()


def test_report_verification_genuine_tampered_and_unknown(client, company, records):
    rendered = report_generate(subject=selectors.public_subject(company.pk))
    report = rendered.report
    assert report_verify(number=report.number, code=report.verification_code).genuine
    assert report_verify(number=report.number, code=report.verification_code, pdf=rendered.pdf).genuine
    # An altered file is not genuine.
    altered = rendered.pdf.replace(b"%%EOF", b"%% altered\n%%EOF")
    assert not report_verify(number=report.number, code=report.verification_code, pdf=altered).genuine
    # Unknown number or wrong code.
    assert not report_verify(number="XY2026000000000", code="ABCDEFGH").genuine
    assert not report_verify(number=report.number, code="WRONG123").genuine
    # Tampered archive content (someone edits the stored payload) fails the signature.
    payload = dict(report.payload)
    payload["penalties"] = []
    CreditReport.objects.filter(pk=report.pk).update(payload=payload)
    result = report_verify(number=report.number, code=report.verification_code)
    assert not result.genuine and "篡改" in result.message
    # The public page says so too.
    html = client.get("/verify/", {"number": report.number, "code": report.verification_code}).content.decode()
    assert "非真实报告" in html


def test_verify_page_shows_digest_for_genuine_report(client, company):
    report = report_generate(subject=selectors.public_subject(company.pk)).report
    html = client.post("/verify/", {"number": report.number, "code": report.verification_code}).content.decode()
    assert "真实报告" in html and report.content_digest in html


def test_report_download(client, company):
    response = client.get(f"/subjects/{company.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert CreditReport.objects.filter(number=response["X-Report-Number"]).exists()


@pytest.mark.django_db(transaction=True)
def test_public_pages_are_cached_and_invalidated_on_change(client, company, add_penalty):
    url = f"/subjects/{company.pk}/"
    client.get(url)
    assert client.get(url)["X-Cache"] == "hit"
    add_penalty("林市监罚〔2026〕201号")  # commits: the version is bumped on commit
    fresh = client.get(url)
    assert "X-Cache" not in fresh and "林市监罚〔2026〕201号" in fresh.content.decode()


def test_public_pages_render(client, company, records):
    for url in [
        "/",
        "/search/",
        "/shuanggongshi/licenses/",
        "/shuanggongshi/penalties/",
        "/lists/red/",
        "/lists/black/",
        "/measures/",
        "/articles/policy/",
        "/articles/case/",
        "/guide/repair/",
        "/guide/objection/",
        "/verify/",
        "/apply/status/",
        "/apply/tip/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "信用中国" in response.content.decode(), url
    assert client.get("/lists/focus/").status_code == 404


def test_tip_needs_the_challenge_and_keeps_the_reporter_secret(client):
    from publicity.models import Tip
    from publicity.protection import challenge_question, new_challenge

    token = new_challenge()
    a, b = (int(x) for x in challenge_question(token).split(" = ")[0].split(" + "))
    data = {
        "target_name": "某公司",
        "content": "无证经营",
        "reporter_name": "王五",
        "reporter_phone": "13800000000",
        "challenge_token": token,
        "challenge_answer": str(a + b + 1),
    }
    response = client.post("/apply/tip/", data)
    assert "验证问题回答错误" in response.content.decode() and Tip.objects.count() == 0
    data["challenge_answer"] = str(a + b)
    response = client.post("/apply/tip/", data)
    html = response.content.decode()
    assert "受理编号" in html
    tip = Tip.objects.get()
    assert "王五" not in tip.reporter_encrypted and "13800000000" not in tip.reporter_encrypted
    code = html.split("查询码</dt><dd><strong>")[1].split("<")[0]
    status = client.post(
        "/apply/status/", {"tracking_number": tip.tracking_number, "query_code": code}
    ).content.decode()
    assert "已受理" in status
    wrong = client.post(
        "/apply/status/", {"tracking_number": tip.tracking_number, "query_code": "XXXX"}
    ).content.decode()
    assert "不正确" in wrong


def test_honeypot_and_rate_limit(client, settings):
    from publicity.protection import challenge_question, new_challenge

    token = new_challenge()
    a, b = (int(x) for x in challenge_question(token).split(" = ")[0].split(" + "))
    bot = {
        "target_name": "x",
        "content": "y",
        "reporter_name": "z",
        "reporter_phone": "1",
        "website": "http://spam",
        "challenge_token": token,
        "challenge_answer": str(a + b),
    }
    assert "提交失败" in client.post("/apply/tip/", bot).content.decode()
    codes = [client.post("/apply/tip/", {}).status_code for _ in range(12)]
    assert 429 in codes


def _challenge():
    from publicity.protection import challenge_question, new_challenge

    token = new_challenge()
    a, b = (int(x) for x in challenge_question(token).split(" = ")[0].split(" + "))
    return {"challenge_token": token, "challenge_answer": str(a + b)}


def test_public_objection_marks_profile_and_suspends(client, company, records, make_entry, make_measure, dept_b):  # noqa: F811
    entry = make_entry(company, "black", today=_today())
    response = client.post(
        f"/apply/objection/?kind=entry&id={entry.pk}",
        {
            "target_kind": "entry",
            "target_id": entry.pk,
            "applicant_name": company.name,
            "applicant_id_number": "11010519491231002X",
            "applicant_phone": "13800000000",
            "reason": "认定依据的判决已被撤销。",
            **_challenge(),
        },
    )
    html = response.content.decode()
    assert "受理编号" in html, html[-2000:]
    entry.refresh_from_db()
    assert entry.is_suspended
    profile = client.get(f"/subjects/{company.pk}/").content.decode()
    assert "存在异议" in profile
    assert "存在异议" in client.get("/search/", {"q": "雪域"}).content.decode()


def test_repair_form_explains_ineligibility_with_earliest_date(client, company, records):
    penalty = records["public"]  # decided 30 days ago: 一般, minimum 3 months not yet passed
    html = client.get(f"/apply/repair/?kind=penalty&id={penalty.pk}").content.decode()
    assert "暂不符合信用修复条件" in html
    assert penalty.repairable_from.strftime("%Y年") in html
    assert "提交申请" not in html


def test_application_for_non_public_target_is_404(client, records):
    assert client.get(f"/apply/objection/?kind=penalty&id={records['authorized'].pk}").status_code == 404
    assert client.get("/apply/repair/?kind=penalty&id=999999").status_code == 404


def test_minor_penalties_follow_the_profile(client, company, add_penalty, monkeypatch):
    """轻微: hidden under the default profile; a profile publishing them for 3 months shows them that long."""
    from dataclasses import replace

    from creditsys import policy

    hidden = add_penalty("林市监罚〔2026〕401号", severity="轻微")
    assert hidden not in selectors.subject_profile(company)["penalties"]
    publishing = replace(policy.NATIONAL, minor_penalty_publication=policy.months(3))
    monkeypatch.setattr("registry.rules.get_profile", lambda: publishing)
    recent = add_penalty("林市监罚〔2026〕402号", severity="轻微", days_ago=20)
    old = add_penalty("林市监罚〔2026〕403号", severity="轻微", days_ago=120)
    shown = {p.document_number for p in selectors.subject_profile(company)["penalties"]}
    assert "林市监罚〔2026〕402号" in shown and "林市监罚〔2026〕403号" not in shown
    assert recent.publish_until <= recent.decision_date + timedelta(days=92) and old.pk


def test_cache_version_bumps_once_per_transaction(django_capture_on_commit_callbacks):
    from django.db import transaction

    from publicity import cache

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        before = cache.current_version()
        for _ in range(3):
            cache.invalidate()
        assert cache.current_version() == before  # nothing visible before commit
    assert len(callbacks) == 1
    assert cache.current_version() != before


def test_profile_queries_are_fixed(client, company, add_penalty, license_input, make_entry):  # noqa: F811
    """No N+1: the profile reads each kind of record once (only the shown columns, department names
    joined), however many there are; the page and the report show what they read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from publicity.reports import build_payload

    def add_license(number):
        data = license_input(document_number=number, uscc=company.uscc)
        registry_services.record_upsert(scope=GLOBAL_SCOPE, kind="license", data=data, today=_today())

    def reads(tag):
        with CaptureQueriesContext(connection) as page:
            r = client.get(f"/subjects/{company.pk}/?t={tag}")  # a new URL: not the page cache
        assert r.status_code == 200
        subject = selectors.public_subject(company.pk)
        with CaptureQueriesContext(connection) as report:
            payload = build_payload(subject)
        return len(page), len(report), r.content.decode(), payload

    add_penalty("林市监罚〔2026〕201号")
    add_license("林市监许〔2026〕201号")
    make_entry(company, "black", today=_today())
    few = reads("few")
    for i in range(202, 205):
        add_penalty(f"林市监罚〔2026〕{i}号")
        add_license(f"林市监许〔2026〕{i}号")
    make_entry(company, "focus", today=_today())
    many = reads("many")
    assert many[:2] == few[:2]
    html, payload = many[2], many[3]
    assert all(f"林市监罚〔2026〕{i}号" in html for i in range(201, 205))
    assert all(f"林市监许〔2026〕{i}号" in html for i in range(201, 205))
    from sanctions.models import ListEntry

    department = ListEntry.objects.filter(subject=company).first().initiating_department.name
    assert html.count(department) >= 2 + 8  # both entries' 认定部门, every record's 机关
    assert [e["department"] for e in payload["entries"]] == [department, department]
    assert len(payload["penalties"]) == 4 and len(payload["licenses"]) == 4
