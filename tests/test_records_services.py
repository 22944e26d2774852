"""Upsert, correction with history, withdrawal, validation, the sweeper — issue 3."""

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from creditsys import crypto
from creditsys.models import AuditEvent
from registry import services
from registry.demo import make_id_number
from registry.models import Disclosure, PenaltyRecord, RecordRevision, RecordStatus, Subject, SubjectCategory
from registry.scoping import scope_for
from registry.services.records import input_hash

from .conftest import GLOBAL_SCOPE

TODAY = date(2026, 11, 20)


def upsert(data, scope=GLOBAL_SCOPE, today=TODAY, kind="penalty"):
    return services.record_upsert(scope=scope, kind=kind, data=data, today=today)


def test_upsert_created_unchanged_updated_keeps_history(penalty_input):
    first = upsert(penalty_input())
    assert first.outcome == "created"
    again = upsert(penalty_input())
    assert again.outcome == "unchanged"
    assert again.record.version == 1
    changed = upsert(penalty_input(fine_amount="0.8", penalty_content="警告，并处罚款捌仟元"))
    assert changed.outcome == "updated"
    record = changed.record
    assert record.version == 2
    versions = list(record.revisions.order_by("version").values_list("version", "action"))
    assert versions == [(1, "create"), (2, "correct")]
    assert Decimal(record.revisions.get(version=1).data["fine_amount"]) == Decimal("0.5")
    assert PenaltyRecord.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="registry.penaltyrecord", action="update").count() == 1


def test_natural_person_id_never_stored_in_clear(penalty_input):
    id_number = make_id_number("540402", date(1985, 5, 6), 17)
    data = penalty_input(
        subject_name="王建国", subject_category="自然人", uscc="", legal_representative="", id_number=id_number
    )
    record = upsert(data).record
    assert record.subject.kind == Subject.Kind.NATURAL_PERSON
    assert record.id_number_masked.startswith("540402") and "*" in record.id_number_masked
    assert id_number not in str(list(PenaltyRecord.objects.values()))
    assert id_number not in str(list(RecordRevision.objects.values()))
    assert upsert(data).outcome == "unchanged"


def test_validation_messages_are_chinese_and_per_field(penalty_input):
    with pytest.raises(ValidationError) as exc:
        upsert(
            penalty_input(
                uscc="91540400MA6T000000",
                fine_amount="-1",
                decision_date="2027-01-01",
                severity="很严重",
                document_number="",
            )
        )
    errors = exc.value.message_dict
    assert set(errors) >= {"uscc", "fine_amount", "decision_date", "severity", "document_number"}
    assert "负数" in errors["fine_amount"][0]
    assert "晚于今天" in errors["decision_date"][0]
    assert not PenaltyRecord.objects.exists() and not Subject.objects.exists()


def test_date_order_and_unknown_department(penalty_input, license_input):
    with pytest.raises(ValidationError) as exc:
        upsert(license_input(valid_from="2026-03-01", valid_until="2026-02-01"), kind="license")
    assert "有效期至" in exc.value.message_dict["valid_until"][0]
    with pytest.raises(ValidationError) as exc:
        upsert(penalty_input(authority_uscc="11540400000099990X", source_uscc=""))
    assert "authority_uscc" in exc.value.message_dict


def test_department_scope_only_own_department(penalty_input, clerk_a, clerk_b, dept_a):
    record = upsert(penalty_input(), scope=scope_for(clerk_a)).record
    assert record.department == dept_a
    with pytest.raises(ValidationError) as exc:
        upsert(penalty_input(document_number="X-1"), scope=scope_for(clerk_b))
    assert "本部门" in exc.value.message_dict["authority_uscc"][0]
    with pytest.raises(PermissionDenied):
        services.record_withdraw(scope=scope_for(clerk_b), record=record, reason="测试撤销")


def test_correct_then_withdraw(penalty_input, clerk_a):
    scope = scope_for(clerk_a)
    record = upsert(penalty_input(), scope=scope).record
    with pytest.raises(ValidationError):
        services.record_correct(scope=scope, record=record, reason="", fine_amount="0.6")
    with pytest.raises(ValidationError):
        services.record_correct(scope=scope, record=record, reason="文号更正", document_number="other")
    result = services.record_correct(
        scope=scope, record=record, reason="罚款金额录入错误", fine_amount="0.6", today=TODAY
    )
    assert result.outcome == "updated" and result.record.version == 2
    assert result.record.revisions.get(version=2).reason == "罚款金额录入错误"
    withdrawn = services.record_withdraw(scope=scope, record=result.record, reason="行政复议决定撤销原处罚")
    assert withdrawn.status == RecordStatus.WITHDRAWN and withdrawn.status_reason == "行政复议决定撤销原处罚"
    assert withdrawn.revisions.count() == 3
    # The same data again changes nothing; changed data cannot revive a withdrawn record.
    assert upsert(penalty_input(fine_amount="0.6")).outcome == "unchanged"
    with pytest.raises(ValidationError) as exc:
        upsert(penalty_input(fine_amount="0.9"))
    assert "已撤销" in exc.value.message_dict["document_number"][0]


def test_sweeper_stops_publication_once_and_is_idempotent(penalty_input):
    ending = upsert(penalty_input(decision_date="2025-12-01", penalty_valid_until="2025-12-01"), today=date(2026, 1, 5))
    running = upsert(penalty_input(document_number="B-2", decision_date="2026-06-01", penalty_valid_until="2026-06-01"))
    assert ending.record.status == RecordStatus.PUBLISHED
    assert services.penalty_publication_sweep(today=date(2026, 11, 30)) == 0
    assert services.penalty_publication_sweep(today=date(2026, 12, 1)) == 1
    assert services.penalty_publication_sweep(today=date(2026, 12, 1)) == 0
    ending.record.refresh_from_db()
    running.record.refresh_from_db()
    assert ending.record.status == RecordStatus.ENDED and ending.record.publication_ended_at
    assert running.record.status == RecordStatus.PUBLISHED
    assert ending.record.revisions.filter(action="end").count() == 1
    assert AuditEvent.objects.filter(action="event", object_id=str(ending.record.pk)).count() == 1


def test_input_hash_bytes_are_those_already_stored():
    # Stored records carry this fingerprint: another byte format would make every re-imported
    # record look changed. The value was computed by the implementation before session 6.
    cleaned = {
        "subject_name": "林芝市“雪域”商贸有限公司",
        "subject_category": SubjectCategory.ORGANIZATION,
        "uscc": "91540400MA6T12345X",
        "legal_representative": "张伟",
        "id_number": "",
        "legal_rep_id_number": "",
        "document_number": "林市监罚〔2026〕12号",
        "remarks": 'a "quote", a \\ backslash,\na new line',
        "fine_amount": Decimal("0.50"),
        "confiscated_amount": None,
        "decision_date": date(2026, 3, 1),
        "penalty_valid_until": date(2099, 12, 31),
        "disclosure": Disclosure.PUBLIC,
    }
    assert input_hash(cleaned) == "db50cbfb48e5f25a55d168264588677174877c5376633b3b1c1345b401199b9f"


def test_input_hash_takes_id_numbers_as_their_hmac_only():
    person = make_id_number("540402", date(1985, 5, 6), 17)
    rep = make_id_number("540402", date(1970, 1, 2), 3)
    cleaned = {"id_number": person, "legal_rep_id_number": rep, "fine_amount": Decimal("1.500"), "uscc": ""}
    expected = {
        "id_number": crypto.lookup_hmac(person),
        "legal_rep_id_number": crypto.lookup_hmac(rep),
        "fine_amount": "1.5",
        "uscc": "",
    }
    text = json.dumps(expected, ensure_ascii=False, sort_keys=True)
    assert input_hash(cleaned) == hashlib.sha256(text.encode()).hexdigest()
    assert person not in text and rep not in text
    assert input_hash(cleaned) != input_hash({**cleaned, "id_number": rep})
