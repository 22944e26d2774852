"""Penalty publication windows by rule set, 轻微 handling, reporting deadline (迟报) — issue 3."""

from dataclasses import replace
from datetime import date

import pytest

from creditsys.policy import NATIONAL, months
from registry import rules, services
from registry.models import LONG_TERM, PenaltyRecord, RecordStatus, Subject

from .conftest import GLOBAL_SCOPE

TODAY = date(2026, 11, 20)


def upsert(data, today=TODAY, scope=GLOBAL_SCOPE):
    return services.record_upsert(scope=scope, kind="penalty", data=data, today=today)


@pytest.mark.parametrize(
    "decision, severity, rule_set, repairable, until",
    [
        (date(2026, 3, 31), "一般", "ndrc58", date(2026, 6, 30), date(2027, 3, 31)),
        (date(2026, 4, 1), "一般", "ndrc36", date(2026, 7, 1), date(2027, 4, 1)),
        (date(2026, 3, 31), "严重", "ndrc58", date(2027, 3, 31), date(2029, 3, 31)),
        (date(2026, 4, 1), "严重", "ndrc36", date(2027, 4, 1), date(2029, 4, 1)),
        (date(2025, 11, 30), "一般", "ndrc58", date(2026, 2, 28), date(2026, 11, 30)),
    ],
)
def test_windows_by_rule_set_around_2026_04_01(penalty_input, decision, severity, rule_set, repairable, until):
    data = penalty_input(
        decision_date=decision.isoformat(), penalty_valid_until=decision.isoformat(), severity=severity
    )
    record = upsert(data).record
    assert record.rule_set == rule_set
    assert record.published is True
    assert record.publish_from == decision
    assert record.repairable_from == repairable
    assert record.publish_until == until
    assert record.status == RecordStatus.PUBLISHED


def test_rule_set_lookup_is_by_decision_date():
    assert rules.rule_set_for(date(2026, 3, 31)) is rules.ORDER_58
    assert rules.rule_set_for(date(2026, 4, 1)) is rules.ORDER_36
    assert rules.rule_set_for(date(2030, 1, 1)) is rules.ORDER_36


def test_minor_penalty_not_published_by_default(penalty_input):
    record = upsert(penalty_input(severity="轻微", categories="警告", fine_amount="")).record
    assert record.published is False
    assert record.status == RecordStatus.NOT_PUBLISHED
    assert record.publish_until is None and record.repairable_from is None


def test_minor_penalty_published_when_profile_says_so(penalty_input, monkeypatch):
    profile = replace(NATIONAL, minor_penalty_publication=months(3))
    monkeypatch.setattr(rules, "get_profile", lambda: profile)
    record = upsert(
        penalty_input(
            severity="轻微",
            categories="警告",
            fine_amount="",
            decision_date="2026-09-01",
            penalty_valid_until="2026-09-01",
        )
    ).record
    assert record.published is True
    assert record.publish_until == date(2026, 12, 1)
    assert record.status == RecordStatus.PUBLISHED


def test_record_already_past_its_maximum_is_entered_as_ended(penalty_input):
    record = upsert(penalty_input(decision_date="2025-01-10", penalty_valid_until="2025-01-10")).record
    assert record.publish_until == date(2026, 1, 10)
    assert record.status == RecordStatus.ENDED


def test_reported_deadline_over_national_day_holiday(penalty_input):
    # 2026-09-30 + 7 working days: 10-01..07 are holidays, 10-10 (Saturday) is a make-up working day.
    data = penalty_input(decision_date="2026-09-30", penalty_valid_until="2026-09-30")
    on_time = upsert(data, today=date(2026, 10, 15)).record
    assert on_time.report_due == date(2026, 10, 15)
    assert on_time.report_due_provisional is False
    assert on_time.is_late is False
    late = upsert({**data, "document_number": "林市监罚〔2026〕2号"}, today=date(2026, 10, 16)).record
    assert late.is_late is True


def test_publication_deadline_given_must_lie_between_minimum_and_maximum(penalty_input):
    with pytest.raises(Exception) as exc:
        upsert(penalty_input(publication_deadline="2026-04-01"))
    assert "公示截止期" in str(exc.value)
    record = upsert(penalty_input(publication_deadline="2026-09-02")).record
    assert record.publish_until == date(2026, 9, 2)


def test_licence_long_term_and_subject_created(license_input):
    result = services.record_upsert(
        scope=GLOBAL_SCOPE, kind="license", data=license_input(valid_until="长期"), today=TODAY
    )
    assert result.outcome == "created"
    assert result.record.valid_until == LONG_TERM and result.record.is_long_term
    assert Subject.objects.filter(uscc=result.record.uscc, name="林芝雪域建筑工程有限公司").exists()
    assert PenaltyRecord.objects.count() == 0
