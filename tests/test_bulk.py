"""creditsys.bulk: one-statement INSERT and UPDATE store exactly what save() would."""

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models.signals import post_init
from django.utils import timezone

from creditsys import audit
from creditsys.bulk import attribute_reader, bulk_insert, bulk_update, insert_columns, instance_builder
from creditsys.models import AuditEvent
from registry import services
from registry.models import PenaltyRecord, RecordRevision

from .conftest import GLOBAL_SCOPE

TODAY = date(2026, 11, 20)


def _record(penalty_input, number):
    data = penalty_input(document_number=number)
    return services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=data, today=TODAY).record


def test_bulk_insert_sets_ids_in_order_and_stores_values(penalty_input):
    record = _record(penalty_input, "B-1")
    data = {"fine_amount": "0.500000", "nested": {"a": [1, "二"]}, "when": "2026-03-02"}
    revisions = [
        RecordRevision(penalty=record, version=10 + i, action="correct", reason=f"第{i}次", data=data) for i in range(3)
    ]
    before = timezone.now()
    bulk_insert(revisions)
    assert [r.pk for r in revisions] == sorted(r.pk for r in revisions)
    assert all(r.created_at >= before and not r._state.adding for r in revisions)  # auto_now_add
    stored = list(RecordRevision.objects.filter(pk__in=[r.pk for r in revisions]).order_by("pk"))
    assert [(r.version, r.reason, r.data) for r in stored] == [(10 + i, f"第{i}次", data) for i in range(3)]
    assert stored[0].created_at == revisions[0].created_at  # full precision


def test_bulk_insert_audit_events_chain_and_nulls(penalty_input):
    record = _record(penalty_input, "B-2")
    events = audit.record_many(
        [{"action": "event", "instance": record, "subject_id": record.subject_id, "after": {"n": i}} for i in range(3)]
    )
    stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk"))
    assert [e.before for e in stored] == [None] * 3  # SQL NULL, not a JSON null
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events], before__isnull=True).count() == 3
    assert [e.hash for e in stored] == [e.hash for e in events]
    assert audit.verify_chain()[0]


def test_bulk_update_writes_fields_and_stamps_auto_now(penalty_input):
    first, second = _record(penalty_input, "B-3"), _record(penalty_input, "B-4")
    stamp = first.updated_at
    first.fine_amount, second.fine_amount = Decimal("1.25"), None
    first.remarks, second.publish_until = "更正", date(2027, 1, 1)
    bulk_update([first, second], ["fine_amount", "remarks", "publish_until", "updated_at"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.fine_amount, first.remarks) == (Decimal("1.25"), "更正")
    assert (second.fine_amount, second.publish_until) == (None, date(2027, 1, 1))
    assert first.updated_at > stamp
    assert PenaltyRecord.objects.count() == 2


def test_bulk_insert_copies_awkward_text_and_types(penalty_input, postgres):
    """COPY's text format escapes tabs, newlines and backslashes; every column type round-trips."""
    record = _record(penalty_input, "B-5")
    reasons = ["制表\t换行\n反斜杠\\N", "引号'\"与空字符串", ""]
    data = [{"金额": Decimal("0.000001")}, "纯文本", [1, None, True]]
    revisions = [
        RecordRevision(penalty=record, version=20 + i, action="correct", reason=reasons[i], data=data[i])
        for i in range(3)
    ]
    bulk_insert(revisions)
    stored = list(RecordRevision.objects.filter(pk__in=[r.pk for r in revisions]).order_by("pk"))
    assert [r.reason for r in stored] == reasons
    assert [r.data for r in stored] == [{"金额": "0.000001"}, "纯文本", [1, None, True]]


def test_bulk_insert_duplicate_key_is_django_integrity_error_and_writes_nothing(penalty_input, postgres):
    """The import's concurrency fallback catches ``django.db.IntegrityError``: COPY must raise it too."""
    record = _record(penalty_input, "B-6")
    events = audit.record_many([{"action": "event", "instance": record, "after": {"n": i}} for i in range(2)])
    copies = [
        AuditEvent(**{f.attname: getattr(e, f.attname) for f in AuditEvent._meta.concrete_fields}) for e in events
    ]
    for event in copies:
        event.pk = None
    count = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(copies)  # the same hashes again: unique constraint
    assert AuditEvent.objects.count() == count


def test_insert_columns_writes_rows_without_instances(penalty_input, postgres):
    from sanctions.models import CheckLog

    now = timezone.now()
    ids = [uuid.uuid4() for _ in range(3)]
    insert_columns(
        CheckLog,
        {
            "check_id": ids,
            "checked_at": [now] * 3,
            "channel": ["api"] * 3,
            "matter": ["政府采购"] * 3,
            "code": ["9154********000X", "5\t\\", ""],
            "found": [True, False, False],
            "entry_count": [2, 0, 0],
            "measure_count": [5, 0, 0],
            "summary": ["命中", "未找到", "无效代码"],
        },
    )
    stored = {log.check_id: log for log in CheckLog.objects.filter(check_id__in=ids)}
    assert [(stored[i].code, stored[i].found, stored[i].measure_count) for i in ids] == [
        ("9154********000X", True, 5),
        ("5\t\\", False, 0),
        ("", False, 0),
    ]
    assert stored[ids[0]].checked_at == now


def _fields(instance):
    return {k: v for k, v in instance.__dict__.items() if k != "_state"}


def test_instance_builder_builds_what_the_model_would(penalty_input):
    record = _record(penalty_input, "B-7")
    values = {"penalty": record, "version": 3, "action": "correct", "reason": "更正", "data": {"a": 1}}
    built, plain = instance_builder(RecordRevision)(**values), RecordRevision(**values)
    assert type(built) is RecordRevision and built._state.adding and built._state.db is None
    assert _fields(built) == _fields(plain)
    assert built.penalty is record and built.penalty_id == record.pk and built.license_id is None
    wide = {"subject_id": record.subject_id, "department": record.department, "reported_on": TODAY}
    assert _fields(instance_builder(PenaltyRecord)(**wide)) == _fields(PenaltyRecord(**wide))  # defaults
    event = instance_builder(AuditEvent)(action="event", object_type="x", object_id="1")
    assert _fields(event) == _fields(AuditEvent(action="event", object_type="x", object_id="1"))
    with pytest.raises(TypeError):
        instance_builder(AuditEvent)(no_such_field=1)


def test_instance_builder_leaves_models_with_init_listeners_to_django():
    def listener(**kwargs):
        pass

    post_init.connect(listener, sender=AuditEvent)
    try:
        assert instance_builder(AuditEvent) is AuditEvent
    finally:
        post_init.disconnect(listener, sender=AuditEvent)
    assert instance_builder(AuditEvent) is not AuditEvent


def test_snapshot_is_json_safe_field_by_field(penalty_input):
    record = _record(penalty_input, "S-1")
    exclude = services.records.AUDIT_EXCLUDE
    snap = audit.snapshot(record, exclude)
    fields = [f for f in PenaltyRecord._meta.concrete_fields if f.name not in exclude and f.attname not in exclude]
    assert list(snap) == [f.attname for f in fields]  # model order, foreign keys by id
    assert snap["subject_id"] == record.subject_id and "subject" not in snap
    assert snap["decision_date"] == record.decision_date.isoformat()
    assert snap["created_at"] == record.created_at.isoformat()
    assert snap["fine_amount"] == str(record.fine_amount) and snap["confiscated_amount"] is None
    assert snap["status"] == record.status and snap["published"] is record.published
    assert json.loads(json.dumps(snap)) == snap
    record.remarks = b"binary"  # bytes are left out
    assert "remarks" not in audit.snapshot(record, exclude)
    # A single remaining field (the one-field reader) and none at all.
    only = tuple(f.name for f in PenaltyRecord._meta.concrete_fields if f.name != "document_number")
    assert audit.snapshot(record, only) == {"document_number": "S-1"}
    assert audit.snapshot(record, (*only, "document_number")) == {}


def test_attribute_reader_returns_a_tuple_for_any_number_of_names():
    from types import SimpleNamespace

    obj = SimpleNamespace(a=1, b="二", c=None)
    assert attribute_reader(("a", "b", "c"))(obj) == (1, "二", None)
    assert attribute_reader(("b",))(obj) == ("二",)
    assert attribute_reader(())(obj) == ()
