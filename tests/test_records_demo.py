"""Demo data for 双公示 records and commitments is realistic and idempotent — issue 3."""

from registry import demo
from registry.models import Commitment, LicenseRecord, PenaltyRecord


def test_demo_records_idempotent(db):
    first = demo.load(subjects=40)
    assert first["penalties"] > 0 and first["licenses"] > 0 and first["commitments"] > 0
    severities = set(PenaltyRecord.objects.values_list("severity", flat=True))
    assert severities == {"minor", "general", "serious"}
    assert set(PenaltyRecord.objects.values_list("rule_set", flat=True)) == {"ndrc58", "ndrc36"}
    assert LicenseRecord.objects.filter(valid_until__year=2099).exists()
    assert PenaltyRecord.objects.filter(is_late=True).exists()
    counts = (PenaltyRecord.objects.count(), LicenseRecord.objects.count(), Commitment.objects.count())
    second = demo.load(subjects=40)
    assert all(v == 0 for v in second.values()), second
    assert (PenaltyRecord.objects.count(), LicenseRecord.objects.count(), Commitment.objects.count()) == counts
