"""Real Chromium (Playwright) against live_server: the walks of the public site (issue 6)."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from registry import services as registry_services

from .conftest import GLOBAL_SCOPE, need

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need(Path(CHROMIUM).exists(), "needs Debian's chromium (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def public_data(make_subject, penalty_input):
    company = make_subject("林芝雪域建筑工程有限公司")
    make_subject("巴宜区康达医药有限公司")
    decided = timezone.localdate() - timedelta(days=40)
    data = penalty_input(
        document_number="林市监罚〔2026〕301号",
        uscc=company.uscc,
        decision_date=decided.isoformat(),
        penalty_valid_until=(decided + timedelta(days=10)).isoformat(),
    )
    penalty = registry_services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=data).record
    return company, penalty


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_search_profile_report_verify(page, live_server, public_data):
    company, penalty = public_data
    page.goto(live_server.url + "/")
    _shot(page, "home")
    page.get_by_label("主体名称或统一社会信用代码").fill("雪域")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/search/?q=*")
    assert page.get_by_role("link", name="林芝雪域建筑工程有限公司").is_visible()
    assert page.get_by_text("康达").count() == 0
    _shot(page, "search-results")
    page.get_by_role("link", name="林芝雪域建筑工程有限公司").click()
    page.wait_for_url(f"**/subjects/{company.pk}/")
    assert page.get_by_text("林市监罚〔2026〕301号").is_visible()
    _shot(page, "profile")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载公共信用信息报告（PDF）").click()
    pdf_path = download_info.value.path()
    pdf = Path(pdf_path).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "林芝雪域建筑工程有限公司" in text
    number = text.split("报告编号：")[1].split()[0]
    code = text.split("验证码：")[1].split()[0]
    page.goto(live_server.url + "/verify/")
    page.get_by_label("报告编号").fill(number)
    page.get_by_label("验证码").fill(code)
    page.get_by_label("报告文件（可选，用于核对文件是否被修改）").set_input_files(pdf_path)
    page.get_by_role("button", name="核验").click()
    assert page.get_by_text("验证通过").is_visible()
    _shot(page, "verify")
    page.get_by_label("报告编号").fill(number)
    page.get_by_label("验证码").fill("AAAAAAAA")
    page.get_by_role("button", name="核验").click()
    assert page.get_by_text("非真实报告").is_visible()


@pytest.mark.django_db(transaction=True)
def test_core_pages_work_without_javascript(browser, live_server, public_data):
    company, _ = public_data
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/search/?q=雪域")
    page.get_by_role("link", name="林芝雪域建筑工程有限公司").click()
    assert page.get_by_text("林市监罚〔2026〕301号").is_visible()
    context.close()


def _solve_challenge(page):
    label = page.locator("label[for=id_challenge_answer]").inner_text()
    a, b = (int(x) for x in label.split("：")[1].split(" = ")[0].split(" + "))
    page.get_by_label(label.strip().rstrip("*").strip()).fill(str(a + b))


@pytest.mark.django_db(transaction=True)
def test_file_objection_then_marked_and_status(page, live_server, public_data):
    company, penalty = public_data
    page.goto(live_server.url + f"/subjects/{company.pk}/")
    page.get_by_role("link", name="提出异议", exact=True).first.click()
    page.wait_for_url("**/apply/objection/?kind=penalty*")
    page.get_by_label("申请人（主体名称或姓名）").fill("林芝雪域建筑工程有限公司")
    page.get_by_label("经办人身份证号码").fill("11010519491231002X")
    page.get_by_label("联系电话").fill("0894-5820000")
    page.get_by_label("异议理由").fill("处罚决定已被复议机关撤销，公示信息有误。")
    _solve_challenge(page)
    page.get_by_role("button", name="提交申请").click()
    assert page.get_by_text("异议申请已提交").is_visible()
    tracking = page.locator("dt:has-text('受理编号') + dd").inner_text().strip()
    code = page.locator("dt:has-text('查询码') + dd").inner_text().strip()
    _shot(page, "objection-receipt")
    page.goto(live_server.url + f"/subjects/{company.pk}/")
    assert page.locator(".badge.objection").first.is_visible()
    _shot(page, "profile-objection")
    page.goto(live_server.url + "/apply/status/")
    page.get_by_label("受理编号").fill(tracking)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    assert page.get_by_text("核实中").first.is_visible()
    _shot(page, "status")
