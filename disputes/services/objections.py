"""Objections (异议): filing (the target marked 存在异议, the list entries depending on it suspended),
re-routing to another department (转办), and the decision (更正 / 撤销 / 维持) with its effects."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from creditsys import audit
from creditsys.policy import get_profile
from registry import services as registry_services
from registry.models import Department, LicenseRecord, PenaltyRecord, RecordStatus
from registry.scoping import Scope
from sanctions import services as sanctions_services
from sanctions.models import ListEntry

from ..models import Attachment, Channel, Objection
from .common import _STALE, _today
from .deadlines import _before, _reschedule
from .intake import (
    _check_scope_visible,
    _clean_applicant,
    _clean_files,
    _save_files,
    _save_new,
    _set_applicant,
    _target_id,
)
from .routing import _actor_name, _notify_applicant, _notify_staff, _require_handler, _require_reviewer

ACTIVE_ENTRY_STATES = (ListEntry.Status.APPROVED, ListEntry.Status.NOTIFIED, ListEntry.Status.PUBLISHED)


def _is_coordinator(scope: Scope) -> bool:
    return scope.is_global or bool(scope.department and scope.department.is_credit_office)


def _objection_target(errors: dict, kind: str, target_id: int):
    """(penalty, license, entry, subject, providing department) or None with ``errors`` filled."""
    if kind in (Objection.TargetKind.PENALTY, Objection.TargetKind.PUBLICATION):
        record = PenaltyRecord.objects.select_related("subject", "source_department").filter(pk=target_id).first()
        if record is None:
            errors["target_id"] = ["未找到该行政处罚信息。"]
            return None
        if record.status == RecordStatus.WITHDRAWN:
            errors["target_id"] = ["该行政处罚信息已撤销，无需提出异议。"]
            return None
        if kind == Objection.TargetKind.PUBLICATION and record.status != RecordStatus.PUBLISHED:
            errors["target_id"] = ["该行政处罚信息当前不在公示期内，无需对公示期限提出异议。"]
            return None
        return record, None, None, record.subject, record.source_department
    if kind == Objection.TargetKind.LICENSE:
        record = LicenseRecord.objects.select_related("subject", "source_department").filter(pk=target_id).first()
        if record is None:
            errors["target_id"] = ["未找到该行政许可信息。"]
            return None
        if record.status == RecordStatus.WITHDRAWN:
            errors["target_id"] = ["该行政许可信息已撤销，无需提出异议。"]
            return None
        return None, record, None, record.subject, record.source_department
    entry = ListEntry.objects.select_related("subject", "initiating_department").filter(pk=target_id).first()
    if entry is None:
        errors["target_id"] = ["未找到该名单记录。"]
        return None
    if entry.status not in ACTIVE_ENTRY_STATES:
        errors["target_id"] = ["该名单记录未公布或已移出，无需提出异议。"]
        return None
    return None, None, entry, entry.subject, entry.initiating_department


def dependent_entries(record) -> list[ListEntry]:
    """List entries whose 认定依据 is this record (same subject and document number)."""
    if record is None:
        return []
    return list(
        ListEntry.objects.filter(
            subject_id=record.subject_id, basis_document=record.document_number, status__in=ACTIVE_ENTRY_STATES
        ).order_by("pk")
    )


@transaction.atomic
def objection_file(
    *,
    channel: str,
    target_kind: str,
    target_id: int,
    applicant_name: str,
    applicant_id_number: str,
    applicant_phone: str,
    reason: str,
    attachments: list = (),
    agent_authorization=None,
    scope: Scope | None = None,
    today: date | None = None,
) -> Objection:
    """File an objection: mark the target 存在异议, suspend dependent measures, route, start the clock.

    The returned objection carries ``query_code`` (shown to the applicant once; stored only hashed).
    """
    today = _today(today)
    errors: dict = {}
    if channel not in Channel.values:
        errors["channel"] = ["受理渠道无效。"]
    if target_kind not in Objection.TargetKind.values:
        errors["target_kind"] = ["异议对象类型无效（应为行政处罚、行政许可、名单记录或公示期限）。"]
    tid = _target_id(errors, target_id)
    name, id_number, phone = _clean_applicant(errors, applicant_name, applicant_id_number, applicant_phone)
    reason = (reason or "").strip()
    if len(reason) < 5:
        errors["reason"] = ["请写明异议理由（不少于5个字）。"]
    elif len(reason) > 4000:
        errors["reason"] = ["异议理由过长（不超过4000字）。"]
    files = _clean_files(errors, "attachments", attachments, Attachment.Kind.EVIDENCE)
    auth_files = _clean_files(
        errors,
        "agent_authorization",
        [agent_authorization] if agent_authorization else [],
        Attachment.Kind.AUTHORIZATION,
    )
    found = None
    if tid is not None and "target_kind" not in errors:
        found = _objection_target(errors, target_kind, tid)
    if errors:
        raise ValidationError(errors)
    penalty, license_, entry, subject, department = found
    _check_scope_visible(scope, subject)
    profile = get_profile()
    due = profile.objection_period.due_from(today)
    objection = Objection(
        channel=channel,
        target_kind=target_kind,
        penalty=penalty,
        license=license_,
        entry=entry,
        subject=subject,
        department=department,
        reason=reason,
        is_agent=bool(auth_files),
        received_on=today,
        due_date=due.date,
        due_provisional=due.provisional,
        remind_on=_before(due.date),
    )
    _set_applicant(objection, name, id_number, phone)
    code = _save_new(objection, "YY", today)
    _save_files("objection", objection, files + [(Attachment.Kind.AUTHORIZATION, *f[1:]) for f in auth_files])

    suspend_reason = f"存在异议，信息核实期间暂不执行联合惩戒措施（异议编号{objection.tracking_number}）"
    entries = [entry] if entry is not None else dependent_entries(penalty or license_)
    suspended = []
    for e in entries:
        sanctions_services.entry_suspend(entry=e, reason=suspend_reason)
        suspended.append(e.pk)
    objection.suspended_entry_ids = suspended
    _reschedule(objection)
    objection.save(update_fields=["suspended_entry_ids", "next_action", "next_action_on"])
    audit.record(
        action="create",
        instance=objection,
        subject_id=subject.pk,
        after=audit.snapshot(objection, ("applicant_id_encrypted", "applicant_id_hmac", "query_code_hash")),
        reason=f"受理异议申请（{objection.get_channel_display()}）",
    )
    due_text = f"{due.date:%Y-%m-%d}" + ("（临时计算）" if due.provisional else "")
    _notify_staff(
        objection,
        department,
        "filed",
        f"收到异议申请 {objection.tracking_number}",
        f"{subject.name}对{objection.get_target_kind_display()}“{objection.target}”提出异议，"
        f"请于{due_text}前核实处理。核实期间相关联合惩戒措施暂不执行。",
    )
    _notify_applicant(
        objection,
        "filed",
        "异议申请已受理",
        f"您的异议申请已受理，承办部门：{department.name}。信息提供单位将在{profile.objection_period}内"
        f"（{due_text}前）核实处理；核实期间已作出存在异议的标注，相关联合惩戒措施暂不执行。",
    )
    objection.query_code = code
    return objection


@transaction.atomic
def objection_route(*, scope: Scope, objection: Objection, department: Department, reason: str) -> Objection:
    """The coordinator re-routes an objection to another department (转办)."""
    if not _is_coordinator(scope):
        raise PermissionDenied("只有信用办协调员可以转办异议申请。")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": ["请填写转办理由。"]})
    old = objection.department_id
    if department.pk == old:
        raise ValidationError({"department": ["该申请已由此部门承办。"]})
    if not Objection.objects.filter(pk=objection.pk, status=Objection.Status.OPEN).update(
        department=department, routed_note=reason[:300], updated_at=timezone.now()
    ):
        raise ValidationError({"department": [_STALE]})
    objection.refresh_from_db()
    audit.record(
        action="update",
        instance=objection,
        subject_id=objection.subject_id,
        before={"department_id": old},
        after={"department_id": department.pk},
        reason=f"转办：{reason}",
    )
    n = Objection.objects.get(pk=objection.pk)
    _notify_staff(
        n,
        department,
        f"routed-{department.pk}",
        f"转办异议申请 {objection.tracking_number}",
        f"信用办将异议申请转由贵单位核实处理（{reason}），核实期限{objection.due_date:%Y-%m-%d}。",
    )
    return objection


def _open_objection_entry_ids(subject_id: int, exclude_pk: int) -> set[int]:
    ids: set[int] = set()
    for entry_id, suspended in (
        Objection.objects.filter(subject_id=subject_id, status=Objection.Status.OPEN)
        .exclude(pk=exclude_pk)
        .values_list("entry_id", "suspended_entry_ids")
    ):
        if entry_id:
            ids.add(entry_id)
        ids.update(suspended or [])
    return ids


def _resume_entries(objection: Objection, reason: str) -> None:
    """Lift the suspension unless another open objection still covers the entry."""
    blocked = _open_objection_entry_ids(objection.subject_id, objection.pk)
    for entry in ListEntry.objects.filter(pk__in=objection.suspended_entry_ids, is_suspended=True):
        if entry.pk not in blocked:
            sanctions_services.entry_resume(entry=entry, reason=reason)


def _remove_entries(objection: Objection, ids, note: str, today: date) -> None:
    for entry in ListEntry.objects.filter(pk__in=list(ids)).exclude(status=ListEntry.Status.REMOVED).order_by("pk"):
        if entry.source_entry_id:
            continue  # removed together with its organisation's entry
        sanctions_services.entry_remove(
            scope=None, entry=entry, reason=ListEntry.RemovalReason.REVOKED_OBJECTION, note=note, today=today
        )


@transaction.atomic
def objection_decide(
    *,
    scope: Scope,
    objection: Objection,
    decision: str,
    reasons: str,
    user=None,
    corrections: dict | None = None,
    today: date | None = None,
) -> Objection:
    """更正 / 撤销 / 维持, with reasons; the effects are applied in this transaction."""
    today = _today(today)
    errors: dict = {}
    if decision not in Objection.Decision.values:
        errors["decision"] = ["请选择处理结果：更正、撤销或维持。"]
    reasons = (reasons or "").strip()
    if len(reasons) < 2:
        errors["reasons"] = ["请填写处理理由。"]
    corrections = {k: v for k, v in (corrections or {}).items() if v not in (None, "")}
    if decision == Objection.Decision.CORRECT and not corrections:
        errors["corrections"] = ["请填写需要更正的内容。"]
    if errors:
        raise ValidationError(errors)
    _require_reviewer(user)
    _require_handler(scope, objection)
    now = timezone.now()
    updated = Objection.objects.filter(pk=objection.pk, status=Objection.Status.OPEN).update(
        status=Objection.Status.DECIDED,
        decision=decision,
        decision_reasons=reasons[:2000],
        decided_at=now,
        decided_by=user if user is not None and user.pk else None,
        decided_by_name=_actor_name(user)[:150],
        next_action="",
        next_action_on=None,
        updated_at=now,
    )
    if not updated:
        raise ValidationError({"decision": [_STALE]})
    objection.refresh_from_db()
    record = objection.penalty or objection.license
    label = objection.get_decision_display()
    why = f"异议处理（{objection.tracking_number}，{label}）：{reasons}"[:500]
    if decision == Objection.Decision.CORRECT:
        if objection.entry_id:
            sanctions_services.entry_correct(entry=objection.entry, reason=why, **corrections)
        else:
            registry_services.record_correct(scope=scope, record=record, reason=why, today=today, **corrections)
        _resume_entries(objection, why)
    elif decision == Objection.Decision.REVOKE:
        if objection.entry_id:
            _remove_entries(objection, [objection.entry_id], why, today)
        else:
            registry_services.record_withdraw(scope=scope, record=record, reason=why)
            _remove_entries(objection, objection.suspended_entry_ids, why, today)
    else:
        _resume_entries(objection, why)
    audit.record(
        action="update",
        instance=objection,
        subject_id=objection.subject_id,
        before={"status": Objection.Status.OPEN},
        after={"status": Objection.Status.DECIDED, "decision": decision, "corrections": sorted(corrections)},
        reason=why,
    )
    outcome = {
        Objection.Decision.CORRECT: "经核实，相关信息有误，已予以更正。",
        Objection.Decision.REVOKE: "经核实，相关信息有误，已予以撤销，相关联合惩戒措施已解除。",
        Objection.Decision.UPHOLD: "经核实，相关信息无误，予以维持；存在异议的标注已撤除，相关措施恢复执行。",
    }[decision]
    _notify_applicant(objection, "decided", f"异议处理结果：{label}", f"{outcome}处理理由：{reasons}")
    _notify_staff(
        objection,
        objection.department,
        "decided",
        f"异议申请 {objection.tracking_number} 已办结（{label}）",
        f"{objection.subject.name}：{outcome}",
    )
    return objection
