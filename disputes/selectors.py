"""Reads of objections and repairs shared by the workbench, the API and the public site."""

from __future__ import annotations

import hmac
from datetime import date

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from creditsys import crypto, workdays
from creditsys.db import PreparedQuery
from creditsys.notifications import applicant_messages
from creditsys.policy import get_profile
from registry.models import PenaltyRecord, RecordStatus
from registry.scoping import Scope
from sanctions.models import ListEntry
from sanctions.selectors import period_before

from .models import Objection, RepairApplication


def _min_listing(list_type: str):
    """The profile's minimum listing period before repair, or None when the list is not repairable."""
    profile = get_profile()
    return {"focus": profile.focus_repair_min_listing, "black": profile.black_repair_min_listing}.get(list_type, False)


def can_handle(scope: Scope, item) -> bool:
    """The routed department, its region's coordinator, or the city coordinator."""
    if scope.is_global:
        return True
    department = item.department
    if scope.edit_by_region:
        return scope.region_allowed(department.region_id)
    return scope.department is not None and scope.department.pk == department.pk


def _scoped(qs: QuerySet, scope: Scope) -> QuerySet:
    if scope.is_global:
        return qs
    if scope.edit_by_region:
        return qs if scope.region_ids is None else qs.filter(department__region_id__in=scope.region_ids)
    if scope.department is None:
        return qs.none()
    return qs.filter(department=scope.department)


def visible_objections(scope: Scope) -> QuerySet:
    return _scoped(Objection.objects.select_related("subject", "department"), scope)


def visible_repairs(scope: Scope) -> QuerySet:
    return _scoped(RepairApplication.objects.select_related("subject", "department"), scope)


def workbench_url(item) -> str:
    name = "disputes:objection-detail" if isinstance(item, Objection) else "disputes:repair-detail"
    try:
        return reverse(name, args=[item.pk])
    except Exception:  # noqa: BLE001 - urls not wired (e.g. in a partial deployment)
        return ""


def remaining(item, on: date | None = None) -> dict:
    """Due date, remaining working days (negative when overdue) and the provisional flag."""
    on = on or timezone.localdate()
    due = item.due_date
    days, uncertain = workdays.working_days_between(on, due)
    return {
        "due": due,
        "working_days": days,
        "overdue": on > due,
        "provisional": item.due_provisional or uncertain,
    }


def queue(items, on: date | None = None) -> list[dict]:
    on = on or timezone.localdate()
    return [{"item": item, **remaining(item, on)} for item in items]


def overdue(scope: Scope, on: date | None = None) -> dict:
    """Everything past its due date (the coordinator's overview)."""
    on = on or timezone.localdate()
    objections = visible_objections(scope).filter(status=Objection.Status.OPEN, due_date__lt=on).order_by("due_date")
    received = visible_repairs(scope).filter(status=RepairApplication.Status.RECEIVED, accept_due__lt=on)
    accepted = visible_repairs(scope).filter(status=RepairApplication.Status.ACCEPTED, decision_due__lt=on)
    return {
        "objections": queue(objections, on),
        "repairs": queue(list(received.order_by("accept_due")) + list(accepted.order_by("decision_due")), on),
    }


# --- public-facing ---------------------------------------------------------------------------------


# The public profile's reads (one page per subject, every visit): compiled once per process.
_OPEN_OBJECTIONS = PreparedQuery(
    lambda subject_id: (
        Objection.objects.filter(subject_id=subject_id, status=Objection.Status.OPEN)
        .only("penalty_id", "license_id", "entry_id", "suspended_entry_ids")
        .order_by()
    ),
    subject_id=int,
)


def objection_marks(subject) -> dict[str, set[int]]:
    """Ids currently 存在异议 (open objections) per kind, for the public badges."""
    marks: dict[str, set[int]] = {"penalty": set(), "license": set(), "entry": set()}
    for objection in _OPEN_OBJECTIONS.raw(subject_id=subject.pk):
        if objection.penalty_id:
            marks["penalty"].add(objection.penalty_id)
        if objection.license_id:
            marks["license"].add(objection.license_id)
        if objection.entry_id:
            marks["entry"].add(objection.entry_id)
        marks["entry"].update(objection.suspended_entry_ids or [])
    return marks


def open_objection_exists(subject=None) -> Exists:
    """``EXISTS`` an objection being verified (存在异议) for ``subject`` — by default the outer
    query's row — as an expression for annotations (the public search's badges)."""
    subject = OuterRef("pk") if subject is None else subject
    return Exists(Objection.objects.filter(subject=subject, status=Objection.Status.OPEN))


# Only what is shown (joining the whole record and list entry for their ids cost more than the rest
# of the profile's reads), compiled once per process.
_REPAIR_STATEMENTS = PreparedQuery(
    lambda subject_id: (
        RepairApplication.objects.filter(
            subject_id=subject_id, status=RepairApplication.Status.APPROVED, statement_published_at__isnull=False
        )
        .only("tracking_number", "target_kind", "entry_id", "penalty_id", "repair_statement", "statement_published_at")
        .annotate(department_name=F("department__name"))
        .order_by("-statement_published_at", "-pk")
    ),
    subject_id=int,
)


def repair_statements(subject) -> list[dict]:
    """修复说明 published after approval, newest first."""
    return [
        {
            "tracking_number": app.tracking_number,
            "target_kind": app.target_kind,
            "target_label": app.get_target_kind_display(),
            "target_id": app.entry_id or app.penalty_id,  # ``target``: the entry, else the penalty
            "department": app.department_name,
            "statement": app.repair_statement,
            "published_at": app.statement_published_at,
        }
        for app in _REPAIR_STATEMENTS.raw(subject_id=subject.pk)
    ]


def _find(tracking_number: str):
    number = (tracking_number or "").strip().upper()
    if number.startswith("YY"):
        return Objection.objects.select_related("department").filter(tracking_number=number).first()
    if number.startswith("XF"):
        return RepairApplication.objects.select_related("department").filter(tracking_number=number).first()
    return None


def application_status(tracking_number: str, query_code: str) -> dict | None:
    """Status for the applicant; None unless the number and query code match (constant-time)."""
    from .services import query_code_hash

    item = _find(tracking_number)
    expected = item.query_code_hash if item is not None else "0" * 64
    given = query_code_hash(item.tracking_number if item else "-", query_code or "")
    if not hmac.compare_digest(expected, given) or item is None:
        return None
    if isinstance(item, Objection):
        decision = item.get_decision_display() if item.decision else ""
        due, provisional = item.due_date, item.due_provisional
    else:
        decision = item.get_status_display() if item.status not in RepairApplication.OPEN_STATUSES else ""
        due, provisional = item.due_date, item.due_provisional
    return {
        "kind": "objection" if isinstance(item, Objection) else "repair",
        "kind_label": item.kind_label,
        "tracking_number": item.tracking_number,
        "status": item.status,
        "status_label": item.get_status_display(),
        "received_on": item.received_on,
        "due_date": due,
        "due_provisional": provisional,
        "department": item.department.name,
        "decision": decision,
        "decision_reasons": item.decision_reasons,
        "decided_at": item.decided_at,
        "messages": [
            {"title": m.title, "body": m.body, "created_at": m.created_at}
            for m in applicant_messages(item.tracking_number)
        ],
    }


def applicant_id_matches(item, id_number: str) -> bool:
    return hmac.compare_digest(item.applicant_id_hmac, crypto.lookup_hmac(id_number))


def repair_eligibility(*, target_kind, target_id, on: date, exclude: int | None = None) -> dict:
    """Whether a repair application may be accepted on ``on``, why not, and from when."""
    reasons: list[str] = []
    earliest = None
    subject_id = None
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        return {"eligible": False, "earliest_date": None, "reasons": ["修复对象编号无效。"]}
    if target_kind == RepairApplication.TargetKind.PENALTY:
        record = PenaltyRecord.objects.filter(pk=target_id).first()
        if record is None:
            return {"eligible": False, "earliest_date": None, "reasons": ["未找到该行政处罚信息。"]}
        subject_id = record.subject_id
        if record.status == RecordStatus.NOT_PUBLISHED or not record.published:
            reasons.append("该行政处罚信息不予公示，无需申请信用修复。")
        elif record.status != RecordStatus.PUBLISHED:
            reasons.append(f"该行政处罚信息当前状态为“{record.get_status_display()}”，已不在公示中，无需申请信用修复。")
        elif record.repairable_from and on < record.repairable_from:
            earliest = record.repairable_from
            reasons.append(
                f"最短公示期尚未届满，最早可于{earliest:%Y年%m月%d日}申请信用修复"
                f"（适用{record.rule_set_name}，失信程度：{record.severity}）。"
            )
        open_q = Q(penalty_id=target_id)
    elif target_kind == RepairApplication.TargetKind.ENTRY:
        entry = ListEntry.objects.filter(pk=target_id).first()
        if entry is None:
            return {"eligible": False, "earliest_date": None, "reasons": ["未找到该名单记录。"]}
        subject_id = entry.subject_id
        min_listing = _min_listing(entry.list_type)
        if min_listing is False:
            reasons.append("守信激励名单无需信用修复。")
        elif entry.status != ListEntry.Status.PUBLISHED:
            reasons.append(f"该名单记录当前状态为“{entry.get_status_display()}”，不在公布中，无需申请信用修复。")
        else:
            start = entry.valid_from
            earliest_entry = min_listing.due_from(start).date if min_listing else start
            if on < earliest_entry:
                earliest = earliest_entry
                reasons.append(
                    f"{entry.get_list_type_display()}记录须列入满一定期限后方可申请修复，"
                    f"最早可于{earliest:%Y年%m月%d日}申请。"
                )
        open_q = Q(entry_id=target_id)
    else:
        return {"eligible": False, "earliest_date": None, "reasons": ["修复对象类型无效。"]}
    pending = RepairApplication.objects.filter(open_q, status__in=RepairApplication.OPEN_STATUSES)
    if exclude:
        pending = pending.exclude(pk=exclude)
    if pending.exists():
        reasons.append("该信息已有正在办理的信用修复申请，请勿重复申请。")
    barred = (
        RepairApplication.objects.filter(
            subject_id=subject_id,
            false_materials=True,
            decided_at__date__gte=period_before(get_profile().false_materials_bar, on),
        )
        .order_by("-decided_at")
        .first()
    )
    if barred is not None:
        until = get_profile().false_materials_bar.due_from(timezone.localtime(barred.decided_at).date()).date
        earliest = max(earliest or until, until)
        reasons.append(
            f"申请人曾提供虚假材料（申请编号{barred.tracking_number}），{until:%Y年%m月%d日}前不予受理信用修复申请。"
        )
    return {"eligible": not reasons, "earliest_date": earliest if reasons else None, "reasons": reasons}
