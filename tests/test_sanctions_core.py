"""Measures, entries, initiation, the check, suspension, answerable persons, sweeps (issue 4)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry import services as registry_services
from registry.models import SubjectRelation
from sanctions import selectors, services
from sanctions.models import EnforcementTask, ListEntry, Measure, TaskAlert

from .conftest import GLOBAL_SCOPE
from .sanctions_fixtures import *  # noqa: F403  (fixtures)
from .sanctions_fixtures import TODAY

pytestmark = pytest.mark.django_db


def task_keys(entry, kind="apply"):
    return {
        (t.measure.code, t.department.name)
        for t in EnforcementTask.objects.filter(entry=entry, kind=kind).select_related("measure", "department")
    }


def test_unpublished_or_retired_measure_is_never_applied(make_subject, make_measure, make_entry, dept_a, dept_b):
    make_measure("P-1", departments=[dept_a])
    make_measure("P-DRAFT", departments=[dept_a], publish=False)
    retired = make_measure("P-OLD", departments=[dept_b])
    services.measure_retire(scope=GLOBAL_SCOPE, measure=retired)
    entry = make_entry(make_subject())
    assert task_keys(entry) == {("P-1", dept_a.name)}
    draft = Measure.objects.get(code="P-DRAFT")
    with pytest.raises(ValidationError, match="未经公布"):
        services.task_create(entry=entry, measure=draft, department=dept_a, kind="apply", today=TODAY)
    answer = selectors.check_answer(entry.subject.uscc, department_id=None, on=TODAY)
    assert [m["code"] for m in answer["measures"]] == ["P-1"]


def test_publishing_black_entry_creates_expected_tasks_and_removes_red(
    make_subject, make_measure, make_entry, dept_a, dept_b
):
    make_measure("P-1", departments=[dept_a, dept_b])
    make_measure("P-2", departments=[dept_b])
    make_measure("P-FOCUS", departments=[dept_a], list_types=("focus",))
    make_measure("P-PERSON", departments=[dept_a], subject_kinds=("natural_person",))
    make_measure("I-1", departments=[dept_b], kind="incentive", list_types=("red",))
    subject = make_subject()
    red = make_entry(subject, "red")
    assert task_keys(red) == {("I-1", dept_b.name)}
    black = make_entry(subject, "black")
    assert task_keys(black) == {("P-1", dept_a.name), ("P-1", dept_b.name), ("P-2", dept_b.name)}
    due = EnforcementTask.objects.filter(entry=black).first().due_date
    assert due == date(2026, 3, 16)  # 10 working days after 2026-03-02
    red.refresh_from_db()
    assert red.status == ListEntry.Status.REMOVED
    assert red.removal_reason == ListEntry.RemovalReason.DISQUALIFIED
    assert task_keys(red, "lift") == {("I-1", dept_b.name)}
    # publishing again is impossible; initiation is idempotent on its key
    with pytest.raises(ValidationError):
        services.entry_publish(scope=GLOBAL_SCOPE, entry=black, today=TODAY)
    assert EnforcementTask.objects.filter(entry=black).count() == 3


def test_check_answer_depends_on_asking_department(
    make_subject, make_measure, make_entry, dept_a, dept_b, clerk_a, clerk_b
):
    make_measure("P-A", departments=[dept_a])
    make_measure("P-B", departments=[dept_b])
    entry = make_entry(make_subject())
    code = entry.subject.uscc
    [a] = services.check_perform(principal=clerk_a, codes=[code], matter="行政许可", on=TODAY)
    [b] = services.check_perform(principal=clerk_b, codes=[code], matter="政府采购", on=TODAY)
    assert [m["code"] for m in a["measures"]] == ["P-A"]
    assert [m["code"] for m in b["measures"]] == ["P-B"]
    assert a["entries"][0]["list_type"] == "black" and a["check_id"] != b["check_id"]
    from sanctions.models import CheckLog

    log = CheckLog.objects.get(check_id=a["check_id"])
    assert (log.user, log.department, log.matter, log.entry_count, log.measure_count) == (
        clerk_a,
        dept_a,
        "行政许可",
        1,
        1,
    )


def test_check_unknown_and_invalid_codes_answer_clearly(clerk_a, db):
    answers = services.check_perform(
        principal=clerk_a, codes=["91540400MA6T00000X", "", "abc", "123456789012345678"], matter="测试"
    )
    assert [a["found"] for a in answers] == [False] * 4
    assert all(a["message"] for a in answers)
    assert answers[1]["valid_code"] is False


def test_suspended_entry_measures_show_suspended(make_subject, make_measure, make_entry, dept_a):
    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject())
    services.entry_suspend(entry=entry, reason="异议核实中（YY2026001）")
    services.entry_suspend(entry=entry, reason="重复调用")  # idempotent
    answer = selectors.check_answer(entry.subject.uscc, department_id=dept_a.pk, on=TODAY)
    assert answer["measures"][0]["suspended"] is True
    assert answer["measures"][0]["suspension_reason"] == "异议核实中（YY2026001）"
    assert "暂停" in answer["message"]
    services.entry_resume(entry=entry, reason="异议维持")
    answer = selectors.check_answer(entry.subject.uscc, department_id=dept_a.pk, on=TODAY)
    assert answer["measures"][0]["suspended"] is False


def test_answerable_person_is_affected_by_organisation_entry(
    make_subject, make_measure, make_entry, dept_a, dept_b, person, clerk_b
):
    org = make_subject()
    registry_services.relation_add(
        scope=GLOBAL_SCOPE,
        organization=org,
        person=person,
        role=SubjectRelation.Role.LEGAL_REPRESENTATIVE,
        valid_from=date(2020, 1, 1),
    )
    make_measure("P-ORG", departments=[dept_a])
    make_measure("P-ANS", departments=[dept_b], subject_kinds=("organization", "answerable_person"))
    make_measure("P-NAT", departments=[dept_b], subject_kinds=("natural_person",))
    entry = make_entry(org)
    derived = ListEntry.objects.get(source_entry=entry)
    assert derived.subject == person and derived.status == ListEntry.Status.PUBLISHED
    assert task_keys(derived) == {("P-ANS", dept_b.name)}
    [answer] = services.check_perform(
        principal=clerk_b,
        codes=[person.reveal_id_number()],
        matter="公务员招录",
        on=TODAY,
    )
    assert answer["found"] and answer["entries"][0]["as_answerable_person_of"] == org.name
    assert [m["code"] for m in answer["measures"]] == ["P-ANS"]
    services.entry_remove(scope=GLOBAL_SCOPE, entry=entry, reason="repaired", today=TODAY)
    derived.refresh_from_db()
    assert derived.status == ListEntry.Status.REMOVED
    assert task_keys(derived, "lift") == {("P-ANS", dept_b.name)}


def test_expiry_sweep_removes_and_creates_lift_tasks_idempotently(make_subject, make_measure, make_entry, dept_a):
    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject(), valid_until=date(2026, 3, 31))
    assert services.entries_sweep_expired(today=date(2026, 3, 31)) == {"removed": 0}
    assert services.entries_sweep_expired(today=date(2026, 4, 1)) == {"removed": 1}
    assert services.entries_sweep_expired(today=date(2026, 4, 1)) == {"removed": 0}
    entry.refresh_from_db()
    assert entry.status == ListEntry.Status.REMOVED and entry.removal_reason == "expired"
    assert EnforcementTask.objects.get(entry=entry, kind="apply").status == EnforcementTask.Status.CANCELLED
    assert task_keys(entry, "lift") == {("P-1", dept_a.name)}
    assert EnforcementTask.objects.filter(entry=entry, kind="lift").count() == 1


def test_overdue_sweep_reminds_then_escalates_once(make_subject, make_measure, make_entry, dept_a, credit_office):
    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject())
    task = EnforcementTask.objects.get(entry=entry)
    assert services.tasks_sweep_overdue(today=task.due_date) == {"reminded": 0, "escalated": 0}
    after_due = task.due_date + timedelta(days=1)
    assert services.tasks_sweep_overdue(today=after_due) == {"reminded": 1, "escalated": 0}
    assert services.tasks_sweep_overdue(today=after_due) == {"reminded": 0, "escalated": 0}
    later = task.escalate_on + timedelta(days=1)
    assert services.tasks_sweep_overdue(today=later) == {"reminded": 0, "escalated": 1}
    assert services.tasks_sweep_overdue(today=later) == {"reminded": 0, "escalated": 0}
    assert TaskAlert.objects.filter(task=task).count() == 2
    assert TaskAlert.objects.get(task=task, kind="escalate").department == credit_office


def test_feedback_is_validated_and_answered_once(make_subject, make_measure, make_entry, dept_a, clerk_a, clerk_b):
    from registry.scoping import scope_for

    make_measure("P-1", departments=[dept_a])
    task = EnforcementTask.objects.get(entry=make_entry(make_subject()))
    with pytest.raises(PermissionDenied):
        services.task_feedback(scope=scope_for(clerk_b), task=task, outcome="applied", user=clerk_b)
    with pytest.raises(ValidationError) as exc:
        services.task_feedback(scope=scope_for(clerk_a), task=task, outcome="applied", user=clerk_a, today=TODAY)
    assert set(exc.value.message_dict) == {"matter_name", "action_date"}
    services.task_feedback(
        scope=scope_for(clerk_a),
        task=task,
        outcome="applied",
        matter_name="政府采购资格审查",
        matter_number="CG-1",
        action_date=TODAY,
        result="取消投标资格",
        user=clerk_a,
        today=TODAY,
    )
    task.refresh_from_db()
    assert task.status == "answered" and task.answered_by == clerk_a
    with pytest.raises(ValidationError, match="不能重复反馈"):
        services.task_feedback(
            scope=scope_for(clerk_a), task=task, outcome="not_applicable", result="x", user=clerk_a, today=TODAY
        )


def test_four_eyes_review_and_notice_period(make_subject, dept_a, clerk_a, reviewer_a):
    from registry.scoping import scope_for

    entry = services.entry_create(
        scope=scope_for(clerk_a),
        subject=make_subject(),
        list_type="black",
        category="market_order",
        basis_document="林市监认〔2026〕9号",
        legal_basis="《某法》",
        decision_date=date(2026, 2, 2),
        proposed_by=clerk_a,
        submit=True,
        today=TODAY,
    )
    with pytest.raises(PermissionDenied):
        services.entry_review(scope=scope_for(clerk_a), entry=entry, user=clerk_a, approve=True)
    reviewer_a.role = "clerk"
    with pytest.raises(PermissionDenied):
        services.entry_review(scope=scope_for(reviewer_a), entry=entry, user=reviewer_a, approve=True)
    reviewer_a.role = "reviewer"
    entry = services.entry_review(scope=scope_for(reviewer_a), entry=entry, user=reviewer_a, approve=True)
    assert entry.status == "approved" and entry.reviewed_by == reviewer_a
    with pytest.raises(ValidationError, match="先告知"):
        services.entry_publish(scope=scope_for(clerk_a), entry=entry, today=TODAY)
    entry = services.entry_notify(scope=scope_for(clerk_a), entry=entry, today=TODAY)
    assert entry.notice_due == date(2026, 3, 9)  # 5 working days
    with pytest.raises(ValidationError, match="陈述申辩期"):
        services.entry_publish(scope=scope_for(clerk_a), entry=entry, today=date(2026, 3, 9))
    entry = services.entry_publish(scope=scope_for(clerk_a), entry=entry, today=date(2026, 3, 10))
    assert entry.status == "published"


def test_four_eyes_same_user_refused_even_for_coordinator(make_subject, coordinator):
    from registry.scoping import scope_for

    entry = services.entry_create(
        scope=scope_for(coordinator),
        subject=make_subject(),
        list_type="focus",
        basis_document="X1",
        legal_basis="《某法》",
        decision_date=date(2026, 2, 2),
        proposed_by=coordinator,
        submit=True,
        today=TODAY,
    )
    with pytest.raises(ValidationError, match="同一人"):
        services.entry_review(scope=scope_for(coordinator), entry=entry, user=coordinator, approve=True)


def _penalty(subject, penalty_input, severity="一般"):
    """A real 一般 penalty a month before TODAY (registry data, not a mock)."""
    data = penalty_input(
        uscc=subject.uscc,
        subject_name=subject.name,
        decision_date="2026-02-02",
        penalty_valid_until="2026-02-20",
        severity=severity,
    )
    return registry_services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=data, today=TODAY).record


def test_red_list_eligibility(make_subject, make_entry, dept_a, penalty_input):
    subject = make_subject()
    make_entry(subject, "focus")
    with pytest.raises(ValidationError, match="不符合守信激励对象条件"):
        make_entry(subject, "red")
    clean = make_subject("林芝清白商贸有限公司")
    penalty = _penalty(clean, penalty_input)
    with pytest.raises(ValidationError, match="不良信用记录"):
        make_entry(clean, "red")
    registry_services.record_withdraw(scope=GLOBAL_SCOPE, record=penalty, reason="处罚决定被撤销")
    assert make_entry(clean, "red").status == "published"


def test_clean_subject_gets_clean_record_incentives(make_subject, make_measure, dept_a, penalty_input):
    make_measure("I-GREEN", departments=[dept_a], kind="incentive", list_types=("red",), for_clean_record=True)
    make_measure("I-RED", departments=[dept_a], kind="incentive", list_types=("red",))
    subject = make_subject()
    answer = selectors.check_answer(subject.uscc, department_id=dept_a.pk, on=TODAY)
    assert answer["trustworthy"] is True
    assert [i["code"] for i in answer["incentives"]] == ["I-GREEN"]
    _penalty(subject, penalty_input)
    answer = selectors.check_answer(subject.uscc, department_id=dept_a.pk, on=TODAY)
    assert answer["trustworthy"] is False and answer["incentives"] == []


def test_measure_versions_tasks_keep_their_version(make_subject, make_measure, make_entry, dept_a):
    v1 = make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject())
    with pytest.raises(ValidationError):
        services.measure_update(scope=GLOBAL_SCOPE, measure=v1, name="改名")
    v2 = services.measure_revise(scope=GLOBAL_SCOPE, measure=v1)
    assert (v2.version, v2.status) == (2, "draft")
    services.measure_update(scope=GLOBAL_SCOPE, measure=v2, name="新名称")
    services.measure_publish(scope=GLOBAL_SCOPE, measure=v2)
    v1.refresh_from_db()
    assert v1.status == "retired"
    assert EnforcementTask.objects.get(entry=entry).measure == v1
    second = make_entry(make_subject("林芝第二建筑有限公司"))
    assert EnforcementTask.objects.get(entry=second).measure.version == 2


def test_only_coordinator_manages_measures(dept_a, clerk_a):
    from registry.scoping import scope_for

    with pytest.raises(PermissionDenied):
        services.measure_create(
            scope=scope_for(clerk_a),
            code="P-X",
            name="x",
            kind="punishment",
            legal_basis="y",
            list_types=["black"],
            subject_kinds=["organization"],
        )


def test_calendar_change_recomputes_provisional_due_dates(make_subject, make_measure, make_entry, dept_a):
    from creditsys.models import CalendarDay, CalendarYear

    make_measure("P-1", departments=[dept_a])
    entry = make_entry(make_subject(), today=date(2026, 12, 24))
    task = EnforcementTask.objects.get(entry=entry)
    assert task.due_provisional is True  # runs into 2027, not yet known
    CalendarDay.objects.create(date=date(2027, 1, 4), kind="holiday", name="测试")
    CalendarYear.objects.create(year=2027, complete=True)
    task.refresh_from_db()
    assert task.due_provisional is False
