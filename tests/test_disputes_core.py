"""Objections and credit repair: filing, suspension, decisions, eligibility, status lookup (issue 5)."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from creditsys.models import Notification
from disputes import selectors, services
from disputes.models import Attachment, Objection, RepairApplication
from disputes.services import intake as intake_service
from registry.models import PenaltyRecord, RecordStatus
from registry.scoping import scope_for_user
from sanctions import selectors as sanctions_selectors
from sanctions.models import EnforcementTask, ListEntry

from .conftest import GLOBAL_SCOPE
from .disputes_fixtures import *  # noqa: F403  (fixtures)
from .disputes_fixtures import APPLICANT_ID, PDF
from .sanctions_fixtures import TODAY

pytestmark = pytest.mark.django_db


def test_filing_marks_target_and_suspends_measures_at_once(listed_penalty, file_objection, dept_a, dept_b):
    penalty, entry = listed_penalty
    before = sanctions_selectors.check_answer(entry.subject.uscc, department_id=dept_b.pk, on=TODAY)
    assert before["measures"] and not before["measures"][0]["suspended"]

    objection = file_objection("penalty", penalty.pk)

    assert objection.tracking_number.startswith("YY") and len(objection.query_code) == 8
    assert objection.query_code not in objection.query_code_hash
    assert objection.department == dept_a  # routed to the providing department
    assert objection.applicant_id_masked == APPLICANT_ID[:6] + "********" + APPLICANT_ID[-4:]
    assert APPLICANT_ID not in objection.applicant_id_encrypted
    entry.refresh_from_db()
    assert entry.is_suspended and objection.tracking_number in entry.suspension_reason
    answer = sanctions_selectors.check_answer(entry.subject.uscc, department_id=dept_b.pk, on=TODAY)
    assert answer["measures"][0]["suspended"] is True
    assert selectors.objection_marks(penalty.subject) == {
        "penalty": {penalty.pk},
        "license": set(),
        "entry": {entry.pk},
    }
    # the department's inbox and the applicant's message exist at once
    assert Notification.objects.filter(channel="inbox", recipient_department_id=dept_a.pk).count() == 1
    status = selectors.application_status(objection.tracking_number, objection.query_code)
    assert status["status_label"] == "核实中（存在异议）" and status["messages"][0]["title"] == "异议申请已受理"


def test_filing_against_entry_suspends_it(make_subject, make_measure, make_entry, file_objection, dept_a):
    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject())
    objection = file_objection("entry", entry.pk)
    entry.refresh_from_db()
    assert entry.is_suspended and objection.suspended_entry_ids == [entry.pk]
    assert selectors.objection_marks(entry.subject)["entry"] == {entry.pk}


def test_bad_input_gives_chinese_field_errors_and_saves_nothing(penalty, file_objection):
    with pytest.raises(ValidationError) as exc:
        file_objection(
            "nonsense",
            "abc",
            applicant_id_number="123",
            applicant_phone="x",
            reason="",
            attachments=[SimpleUploadedFile("a.exe", b"MZ...")],
        )
    errors = exc.value.message_dict
    assert set(errors) >= {
        "target_kind",
        "target_id",
        "applicant_id_number",
        "applicant_phone",
        "reason",
        "attachments",
    }
    assert "PDF" in errors["attachments"][0]
    with pytest.raises(ValidationError) as exc:
        file_objection("penalty", penalty.pk, attachments=[SimpleUploadedFile("fake.pdf", b"not a pdf")])
    assert "内容与扩展名不符" in exc.value.message_dict["attachments"][0]
    with pytest.raises(ValidationError):
        file_objection("penalty", 999999)
    assert not Objection.objects.exists()


def test_attachments_stored_outside_web_root_with_random_names(penalty, file_objection, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    objection = file_objection(
        "penalty",
        penalty.pk,
        attachments=[SimpleUploadedFile("复议决定书.pdf", PDF)],
        agent_authorization=SimpleUploadedFile("授权委托书.jpg", b"\xff\xd8\xff\xe0jpeg"),
    )
    files = list(Attachment.objects.filter(objection=objection).order_by("pk"))
    assert [a.kind for a in files] == ["evidence", "authorization"] and objection.is_agent
    assert files[0].original_name == "复议决定书.pdf" and "复议" not in files[0].file.name
    assert files[0].file.path.startswith(str(tmp_path))


@override_settings(DISPUTES_MAX_UPLOAD_BYTES=10)
def test_upload_size_limit(penalty, file_objection):
    with mock.patch.object(intake_service, "MAX_UPLOAD_BYTES", 10):
        with pytest.raises(ValidationError) as exc:
            file_objection("penalty", penalty.pk, attachments=[SimpleUploadedFile("big.pdf", PDF)])
    assert "大小限制" in exc.value.message_dict["attachments"][0]


def test_decide_uphold_lifts_suspension_and_notifies(listed_penalty, file_objection, reviewer_a):
    penalty, entry = listed_penalty
    objection = file_objection("penalty", penalty.pk)
    services.objection_decide(
        scope=scope_for_user(reviewer_a),
        objection=objection,
        decision="uphold",
        reasons="经核实信息无误",
        user=reviewer_a,
    )
    entry.refresh_from_db()
    assert not entry.is_suspended and entry.status == ListEntry.Status.PUBLISHED
    assert selectors.objection_marks(penalty.subject) == {"penalty": set(), "license": set(), "entry": set()}
    status = selectors.application_status(objection.tracking_number, objection.query_code)
    assert status["decision"] == "维持" and status["decision_reasons"] == "经核实信息无误"
    assert status["messages"][-1]["title"] == "异议处理结果：维持"


def test_decide_revoke_withdraws_record_and_removes_entry_with_lift_tasks(
    listed_penalty, file_objection, reviewer_a, dept_b
):
    penalty, entry = listed_penalty
    objection = file_objection("penalty", penalty.pk)
    services.objection_decide(
        scope=scope_for_user(reviewer_a),
        objection=objection,
        decision="revoke",
        reasons="处罚决定已被撤销",
        user=reviewer_a,
    )
    penalty.refresh_from_db()
    entry.refresh_from_db()
    assert penalty.status == RecordStatus.WITHDRAWN
    assert entry.status == ListEntry.Status.REMOVED and entry.removal_reason == "revoked_objection"
    assert EnforcementTask.objects.filter(entry=entry, kind="lift", department=dept_b).count() == 1


def test_decide_revoke_on_entry(make_subject, make_measure, make_entry, file_objection, reviewer_a, dept_a):
    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject())
    objection = file_objection("entry", entry.pk)
    services.objection_decide(
        scope=scope_for_user(reviewer_a), objection=objection, decision="revoke", reasons="认定有误", user=reviewer_a
    )
    entry.refresh_from_db()
    assert (
        entry.status == ListEntry.Status.REMOVED and EnforcementTask.objects.filter(entry=entry, kind="lift").exists()
    )


def test_decide_correct_updates_record_with_history(listed_penalty, file_objection, reviewer_a):
    penalty, entry = listed_penalty
    objection = file_objection("penalty", penalty.pk)
    with pytest.raises(ValidationError) as exc:
        services.objection_decide(
            scope=scope_for_user(reviewer_a),
            objection=objection,
            decision="correct",
            reasons="金额有误",
            user=reviewer_a,
        )
    assert "corrections" in exc.value.message_dict
    services.objection_decide(
        scope=scope_for_user(reviewer_a),
        objection=objection,
        decision="correct",
        reasons="罚款金额录入有误",
        user=reviewer_a,
        corrections={"fine_amount": "0.3", "penalty_content": "警告，并处罚款人民币叁仟元整"},
    )
    penalty.refresh_from_db()
    entry.refresh_from_db()
    assert str(penalty.fine_amount).startswith("0.3") and penalty.version == 2
    assert penalty.revisions.filter(action="correct").exists()
    assert not entry.is_suspended


def test_decide_correct_on_an_entry_corrects_its_basis(
    make_subject, make_measure, make_entry, file_objection, reviewer_a
):
    make_measure("P-1", departments=[reviewer_a.department])
    entry = make_entry(make_subject())
    objection = file_objection("entry", entry.pk)
    with pytest.raises(ValidationError) as exc:
        services.objection_decide(
            scope=scope_for_user(reviewer_a),
            objection=objection,
            decision="correct",
            reasons="名单类型有误",
            user=reviewer_a,
            corrections={"list_type": "focus"},
        )
    assert "list_type" in exc.value.message_dict
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN  # nothing half-saved
    services.objection_decide(
        scope=scope_for_user(reviewer_a),
        objection=objection,
        decision="correct",
        reasons="认定文书号录入有误",
        user=reviewer_a,
        corrections={"basis_document": "林市监认〔2026〕99号"},
    )
    entry.refresh_from_db()
    assert entry.basis_document == "林市监认〔2026〕99号" and not entry.is_suspended
    assert entry.status == ListEntry.Status.PUBLISHED


def test_clerk_cannot_decide_other_department_cannot_either(file_objection, penalty, clerk_a, clerk_b):
    objection = file_objection("penalty", penalty.pk)
    with pytest.raises(PermissionDenied):
        services.objection_decide(
            scope=scope_for_user(clerk_a), objection=objection, decision="uphold", reasons="无误", user=clerk_a
        )
    with pytest.raises(PermissionDenied):
        services.objection_decide(scope=scope_for_user(clerk_b), objection=objection, decision="uphold", reasons="无误")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN


def test_second_decision_is_refused(file_objection, penalty, reviewer_a):
    objection = file_objection("penalty", penalty.pk)
    scope = scope_for_user(reviewer_a)
    services.objection_decide(scope=scope, objection=objection, decision="uphold", reasons="无误", user=reviewer_a)
    stale = Objection.objects.get(pk=objection.pk)
    stale.status = Objection.Status.OPEN  # a second reviewer's stale copy
    with pytest.raises(ValidationError) as exc:
        services.objection_decide(scope=scope, objection=stale, decision="revoke", reasons="有误", user=reviewer_a)
    assert "他人处理" in exc.value.message_dict["decision"][0]
    assert Objection.objects.get(pk=objection.pk).decision == "uphold"


def test_coordinator_reroutes(file_objection, penalty, coordinator, clerk_a, dept_b):
    objection = file_objection("penalty", penalty.pk)
    with pytest.raises(PermissionDenied):
        services.objection_route(
            scope=scope_for_user(clerk_a), objection=objection, department=dept_b, reason="不属本部门"
        )
    services.objection_route(
        scope=scope_for_user(coordinator), objection=objection, department=dept_b, reason="数据由税务提供"
    )
    objection.refresh_from_db()
    assert objection.department == dept_b
    assert Notification.objects.filter(channel="inbox", recipient_department_id=dept_b.pk).exists()


def test_second_open_objection_keeps_entry_suspended(listed_penalty, file_objection, reviewer_a):
    penalty, entry = listed_penalty
    first = file_objection("penalty", penalty.pk)
    file_objection("entry", entry.pk)
    services.objection_decide(
        scope=scope_for_user(reviewer_a), objection=first, decision="uphold", reasons="无误", user=reviewer_a
    )
    entry.refresh_from_db()
    assert entry.is_suspended


# --- deadlines: profiles ----------------------------------------------------------------------------


def test_objection_deadline_national_20_calendar_days(penalty, file_objection):
    objection = file_objection("penalty", penalty.pk, today=date(2026, 3, 2))
    assert objection.due_date == date(2026, 3, 23)  # 03-22 is a Sunday: moved to the next working day
    assert not objection.due_provisional


def test_objection_deadline_youxi_20_working_days(penalty, file_objection, settings):
    settings.POLICY_PROFILE = "youxi"
    objection = file_objection("penalty", penalty.pk, today=date(2026, 3, 2))
    assert objection.due_date == date(2026, 3, 30)
    assert not objection.due_provisional


def test_deadline_into_unknown_year_is_provisional_and_recomputed(penalty, file_objection, settings):
    from creditsys.models import CalendarDay, CalendarYear

    settings.POLICY_PROFILE = "youxi"
    objection = file_objection("penalty", penalty.pk, today=date(2026, 12, 21))
    assert objection.due_provisional and objection.due_date == date(2027, 1, 19)
    # the administrator enters 2027: two extra holidays in the period push the due date back
    CalendarDay.objects.create(date=date(2027, 1, 1), kind="holiday", name="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 4), kind="holiday", name="假设")
    CalendarDay.objects.create(date=date(2027, 1, 5), kind="holiday", name="假设")
    CalendarYear.objects.create(year=2027, complete=True)
    objection.refresh_from_db()
    assert not objection.due_provisional and objection.due_date == date(2027, 1, 21)
    assert objection.next_action_on == objection.remind_on


# --- repair ------------------------------------------------------------------------------------------


def test_repair_refused_before_minimum_with_earliest_date_then_accepted(penalty, apply_repair):
    earliest = penalty.repairable_from
    eligibility = selectors.repair_eligibility(target_kind="penalty", target_id=penalty.pk, on=earliest - timedelta(1))
    assert not eligibility["eligible"] and eligibility["earliest_date"] == earliest
    assert f"{earliest:%Y年%m月%d日}" in eligibility["reasons"][0]
    with pytest.raises(ValidationError) as exc:
        apply_repair("penalty", penalty.pk, today=earliest - timedelta(1))
    assert f"{earliest:%Y年%m月%d日}" in exc.value.message_dict["target_id"][0]
    assert selectors.repair_eligibility(target_kind="penalty", target_id=penalty.pk, on=earliest)["eligible"]
    app = apply_repair("penalty", penalty.pk, today=earliest)
    assert app.tracking_number.startswith("XF") and app.status == RepairApplication.Status.RECEIVED
    assert app.attachments.count() == 2
    assert app.accept_due > app.received_on and app.decision_due > app.accept_due


def test_repair_approval_removes_record_from_public_view(penalty, apply_repair, clerk_a, reviewer_a):
    app = apply_repair("penalty", penalty.pk, today=penalty.repairable_from)
    services.repair_accept(scope=scope_for_user(clerk_a), application=app, accept=True, user=clerk_a)
    services.repair_decide(
        scope=scope_for_user(reviewer_a), application=app, approve=True, reasons="已履行义务", user=reviewer_a
    )
    penalty.refresh_from_db()
    assert penalty.status == RecordStatus.REPAIRED and penalty.publication_ended_at is not None
    assert not PenaltyRecord.objects.filter(pk=penalty.pk, status=RecordStatus.PUBLISHED).exists()
    statements = selectors.repair_statements(penalty.subject)
    assert len(statements) == 1 and "信用修复" in statements[0]["statement"]
    status = selectors.application_status(app.tracking_number, app.query_code)
    assert status["decision"] == "修复成功"


def test_entry_repair_removes_entry_with_lift_tasks(
    make_subject, make_measure, make_entry, apply_repair, reviewer_a, dept_a
):
    make_measure("P-1", departments=[dept_a], list_types=("focus",))
    entry = make_entry(make_subject(), "focus", category="")
    app = apply_repair("entry", entry.pk, today=TODAY)
    scope = scope_for_user(reviewer_a)
    services.repair_accept(scope=scope, application=app, accept=True, user=reviewer_a)
    services.repair_decide(scope=scope, application=app, approve=True, reasons="已整改", user=reviewer_a)
    entry.refresh_from_db()
    assert entry.status == ListEntry.Status.REMOVED and entry.removal_reason == "repaired"
    assert EnforcementTask.objects.filter(entry=entry, kind="lift").exists()


def test_black_entry_repair_waits_for_minimum_listing(make_subject, make_entry):
    entry = make_entry(make_subject())
    result = selectors.repair_eligibility(target_kind="entry", target_id=entry.pk, on=TODAY)
    assert not result["eligible"] and result["earliest_date"] == entry.valid_from.replace(
        year=entry.valid_from.year + 1
    )


def test_repair_rejection_for_false_materials_bars_reapplication(penalty, apply_repair, reviewer_a):
    day = penalty.repairable_from
    app = apply_repair("penalty", penalty.pk, today=day)
    scope = scope_for_user(reviewer_a)
    services.repair_accept(scope=scope, application=app, accept=True, user=reviewer_a)
    with pytest.raises(ValidationError):
        services.repair_decide(scope=scope, application=app, approve=False, reasons="", user=reviewer_a)
    services.repair_decide(
        scope=scope, application=app, approve=False, reasons="缴款凭证系伪造", false_materials=True, user=reviewer_a
    )
    with pytest.raises(ValidationError) as exc:
        apply_repair("penalty", penalty.pk, today=day)
    assert "虚假材料" in " ".join(exc.value.message_dict["target_id"])


def test_repair_not_accepted_needs_reasons_and_duplicate_refused(penalty, apply_repair, clerk_a):
    day = penalty.repairable_from
    app = apply_repair("penalty", penalty.pk, today=day)
    with pytest.raises(ValidationError):
        apply_repair("penalty", penalty.pk, today=day)
    with pytest.raises(ValidationError):
        services.repair_accept(scope=scope_for_user(clerk_a), application=app, accept=False)
    services.repair_accept(scope=scope_for_user(clerk_a), application=app, accept=False, note="材料不齐全")
    app.refresh_from_db()
    assert app.status == RepairApplication.Status.NOT_ACCEPTED and app.next_action_on is None


def test_application_status_requires_matching_code(penalty, file_objection):
    objection = file_objection("penalty", penalty.pk)
    assert selectors.application_status(objection.tracking_number, "WRONGCODE") is None
    assert selectors.application_status("YY000", objection.query_code) is None
    assert selectors.application_status("", "") is None
    assert selectors.application_status(objection.tracking_number, objection.query_code.lower())["kind"] == "objection"


def test_scope_limits_filing_by_clerks(penalty, file_objection, county_dept):
    from registry.scoping import Scope

    county_scope = Scope("county", county_dept, (county_dept.region_id,), False)
    with pytest.raises(ValidationError):
        file_objection("penalty", penalty.pk, channel="web", scope=county_scope)
    assert file_objection("penalty", penalty.pk, channel="web", scope=GLOBAL_SCOPE).channel == "web"


def test_search_badges_show_lists_and_open_objections(penalty, file_objection, make_entry, make_subject):
    """A search result's badges: its public lists in the profile's order, and 存在异议 for an open
    objection even when no list entry is suspended (one statement for the page's subjects)."""
    from publicity.selectors import search_page

    file_objection("penalty", penalty.pk)
    listed = make_subject("林芝雪域商贸有限公司")
    make_entry(listed, "black")
    make_entry(listed, "focus")
    make_subject("林芝雪域旅游有限公司")
    page, more = search_page("雪域")
    badges = {subject.name: subject.public_badges for subject in page.object_list}
    assert not more and set(badges) == {penalty.subject.name, "林芝雪域商贸有限公司", "林芝雪域旅游有限公司"}
    assert badges[penalty.subject.name] == [("存在异议", "objection")]
    assert badges["林芝雪域商贸有限公司"] == [("重点关注", "focus"), ("严重失信", "black")]
    assert badges["林芝雪域旅游有限公司"] == []
