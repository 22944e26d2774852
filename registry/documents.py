"""Generated documents: the 信用修复告知书 (repair notice) delivered with each penalty (两书同达)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from creditsys.policy import get_profile

from .models import PenaltyRecord
from .rules import RULE_SETS_BY_CODE, SEVERITY_LABELS


def repair_notice_context(record: PenaltyRecord) -> dict:
    profile = get_profile()
    return {
        "record": record,
        "severity": SEVERITY_LABELS.get(record.severity, record.severity),
        "rule_set": RULE_SETS_BY_CODE.get(record.rule_set),
        "profile": profile,
        "acceptance": profile.repair_acceptance_period,
        "decision": profile.repair_decision_period,
        "issued_on": timezone.localdate(),
    }


def repair_notice_html(record: PenaltyRecord, *, for_pdf: bool = False) -> str:
    return render_to_string("registry/repair_notice.html", {**repair_notice_context(record), "for_pdf": for_pdf})


def repair_notice_pdf(record: PenaltyRecord) -> bytes:
    from weasyprint import HTML

    return HTML(string=repair_notice_html(record, for_pdf=True)).write_pdf()
