"""Demo objections and repairs for ``make run`` (idempotent: a second run changes nothing)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from creditsys import context
from registry.demo import make_id_number
from registry.models import LicenseRecord, PenaltyRecord, RecordStatus
from registry.scoping import Scope
from sanctions.models import ListEntry

from . import services
from .models import Objection, RepairApplication

DEMO_APPLICANT = "演示申请人（扎西）"
SCOPE = Scope("demo", None, None, True, is_global=True)


def _applicant(n: int) -> dict:
    return {
        "applicant_name": DEMO_APPLICANT,
        "applicant_id_number": make_id_number(
            "540402", timezone.localdate().replace(year=1985, month=6, day=1), 40 + n
        ),
        "applicant_phone": "0894-5820000",
    }


def load() -> dict:
    counts = {"objections": 0, "repairs": 0, "deadline_events": 0}
    if Objection.objects.filter(applicant_name=DEMO_APPLICANT).exists():
        return counts
    today = timezone.localdate()
    with context.acting(actor="demo", channel="system"), transaction.atomic():
        penalties = list(
            PenaltyRecord.objects.filter(status=RecordStatus.PUBLISHED).exclude(objections__isnull=False).order_by("pk")
        )
        # 1. an open objection against a penalty, received today
        if penalties:
            services.objection_file(
                channel="public",
                target_kind="penalty",
                target_id=penalties.pop(0).pk,
                reason="当事人已于复议中被撤销该处罚决定，公示信息与事实不符，请予核实。",
                today=today,
                **_applicant(1),
            )
            counts["objections"] += 1
        # 2. an overdue objection against a published black entry (its measures are suspended)
        entry = ListEntry.objects.filter(
            status=ListEntry.Status.PUBLISHED, list_type="black", is_suspended=False
        ).first()
        if entry is not None:
            services.objection_file(
                channel="web",
                target_kind="entry",
                target_id=entry.pk,
                reason="认定所依据的欠税已于列入前缴清，名单记录有误。",
                today=today - timedelta(days=30),
                **_applicant(2),
            )
            counts["objections"] += 1
        # 3. a decided objection (维持) against a licence
        licence = LicenseRecord.objects.filter(status=RecordStatus.PUBLISHED).first()
        if licence is not None:
            obj = services.objection_file(
                channel="public",
                target_kind="license",
                target_id=licence.pk,
                reason="许可有效期公示有误。",
                today=today - timedelta(days=10),
                **_applicant(3),
            )
            services.objection_decide(
                scope=SCOPE, objection=obj, decision="uphold", reasons="经核实，公示信息与许可决定书一致。"
            )
            counts["objections"] += 1
        # 4. repairs: one received, one approved (its 修复说明 appears on the public site)
        repairable = [p for p in penalties if p.repairable_from and p.repairable_from <= today]
        for n, record in enumerate(repairable[:2]):
            app = services.repair_apply(
                channel="public",
                target_kind="penalty",
                target_id=record.pk,
                statement="已全额缴纳罚款，完成整改并通过复查，作出信用承诺。",
                today=today,
                **_applicant(4 + n),
            )
            counts["repairs"] += 1
            if n == 1:
                services.repair_accept(scope=SCOPE, application=app, accept=True)
                services.repair_decide(
                    scope=SCOPE, application=app, approve=True, reasons="已履行法定义务、纠正失信行为。"
                )
    counts["deadline_events"] = services.deadlines_sweep(today=today)["fired"]
    return counts


def demo_counts() -> dict:
    return {
        "objections": Objection.objects.filter(applicant_name=DEMO_APPLICANT).count(),
        "repairs": RepairApplication.objects.filter(applicant_name=DEMO_APPLICANT).count(),
    }
