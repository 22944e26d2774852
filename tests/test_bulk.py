"""creditsys.bulk: one-statement INSERT and UPDATE store exactly what save() would."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from creditsys import audit
from creditsys.bulk import bulk_insert, bulk_update
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
