"""信用承诺: record, API, beat sweep flagging unkept commitments, red-list blocking — issue 3."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from creditsys.models import AuditEvent
from registry import selectors, services
from registry.models import Commitment
from registry.scoping import scope_for

TODAY = date(2026, 11, 20)


def commit(scope, subject, **extra):
    data = {
        "number": "容缺-2026-001",
        "kind": "容缺受理承诺",
        "matter": "食品经营许可申请（容缺受理）",
        "content": "本单位承诺于期限内补交消防验收合格证明，逾期未补交的自愿承担相应责任。",
        "commitment_date": "2026-10-09",
        "due_date": "2026-11-09",
    }
    data.update(extra)
    return services.commitment_upsert(scope=scope, subject=subject, today=TODAY, **data)


def test_commitment_upsert_idempotent_and_validation(clerk_a, make_subject):
    subject = make_subject()
    scope = scope_for(clerk_a)
    assert commit(scope, subject).outcome == "created"
    assert commit(scope, subject).outcome == "unchanged"
    assert commit(scope, subject, content="补交消防验收合格证明和卫生许可证明。").outcome == "updated"
    with pytest.raises(ValidationError) as exc:
        commit(scope, subject, number="X-2", due_date="", kind="容缺受理承诺")
    assert "due_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        commit(scope, subject, number="X-3", commitment_date="2026-12-01", due_date="2026-11-01")
    assert "commitment_date" in exc.value.message_dict


def test_unkept_commitment_flagged_once_and_blocks_red_list(clerk_a, make_subject):
    subject = make_subject()
    scope = scope_for(clerk_a)
    c = commit(scope, subject).commitment
    kept = commit(scope, subject, number="告知-1", kind="告知承诺", due_date="2026-11-01").commitment
    services.commitment_set_status(scope=scope, commitment=kept, status=Commitment.Status.FULFILLED)
    since = date(2023, 11, 20)
    assert not selectors.has_adverse_records(subject, since=since)
    assert services.commitment_sweep(today=date(2026, 11, 9)) == 0  # due date itself: still in time
    assert services.commitment_sweep(today=date(2026, 11, 10)) == 1
    assert services.commitment_sweep(today=date(2026, 11, 10)) == 0
    c.refresh_from_db()
    assert c.status == Commitment.Status.UNKEPT and c.flagged_at
    assert AuditEvent.objects.filter(action="event", object_type="registry.commitment").count() == 1
    assert selectors.has_adverse_records(subject, since=since)
    assert not selectors.has_adverse_records(subject, since=date(2026, 11, 10))
    reasons = selectors.adverse_records(subject, since=since)
    assert len(reasons) == 1 and "未履行容缺受理承诺" in reasons[0]


def test_penalties_count_as_adverse_except_minor_and_withdrawn(clerk_a, penalty_input):
    scope = scope_for(clerk_a)
    minor = services.record_upsert(
        scope=scope,
        kind="penalty",
        data=penalty_input(document_number="M-1", severity="轻微", categories="警告", fine_amount=""),
        today=TODAY,
    ).record
    subject = minor.subject
    since = date(2023, 11, 20)
    assert not selectors.has_adverse_records(subject, since=since)
    general = services.record_upsert(scope=scope, kind="penalty", data=penalty_input(), today=TODAY).record
    assert selectors.has_adverse_records(subject, since=since)
    assert "一般失信" in selectors.adverse_records(subject, since=since)[0]
    assert not selectors.has_adverse_records(subject, since=date(2026, 3, 3))
    services.record_withdraw(scope=scope, record=general, reason="复议撤销")
    assert not selectors.has_adverse_records(subject, since=since)


def test_commitments_api_bulk_and_scope(make_api_client, dept_a, dept_b, make_subject):
    subject = make_subject()
    api_a, _ = make_api_client(department=dept_a)
    api_b, _ = make_api_client(department=dept_b)
    item = {
        "subject_code": subject.uscc,
        "number": "CN-1",
        "kind": "notification",
        "matter": "建筑工程施工许可（告知承诺制）",
        "content": "承诺所填信息真实，符合许可条件。",
        "commitment_date": "2026-01-05",
        "due_date": "2026-03-05",
    }
    r = api_a.post("/api/v1/commitments/", item, format="json")
    assert r.status_code == 201, r.json()
    r = api_a.post(
        "/api/v1/commitments/", [item, {**item, "number": "CN-2"}, {**item, "subject_code": "x"}], format="json"
    )
    assert [x["outcome"] for x in r.json()["results"]] == ["unchanged", "created", "rejected"]
    r = api_b.post("/api/v1/commitments/", {**item, "number": "CN-3", "department": dept_a.uscc}, format="json")
    assert r.status_code == 400 and "department" in r.json()["errors"]
    assert api_a.get(f"/api/v1/commitments/?subject={subject.uscc}").json()["count"] == 2
    assert api_b.get("/api/v1/commitments/").json()["count"] == 0
