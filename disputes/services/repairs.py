"""Credit repair (信用修复): the application (refused with the reasons when not eligible), 受理 or
不予受理, and the decision: 修复 (publication stopped or the entry removed, 修复说明 published) or
不予修复."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from creditsys import audit
from creditsys.policy import get_profile
from registry import services as registry_services
from registry.models import PenaltyRecord
from registry.scoping import Scope
from sanctions import services as sanctions_services
from sanctions.models import ListEntry

from .. import selectors
from ..models import Attachment, Channel, RepairApplication
from .common import _STALE, _today
from .deadlines import _reschedule
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


def _repair_target(errors: dict, kind: str, target_id: int):
    if kind == RepairApplication.TargetKind.PENALTY:
        record = PenaltyRecord.objects.select_related("subject", "department").filter(pk=target_id).first()
        if record is None:
            errors["target_id"] = ["未找到该行政处罚信息。"]
            return None
        return record, None, record.subject, record.department
    entry = ListEntry.objects.select_related("subject", "initiating_department").filter(pk=target_id).first()
    if entry is None:
        errors["target_id"] = ["未找到该名单记录。"]
        return None
    return None, entry, entry.subject, entry.initiating_department


@transaction.atomic
def repair_apply(
    *,
    channel: str,
    target_kind: str,
    target_id: int,
    applicant_name: str,
    applicant_id_number: str,
    applicant_phone: str,
    statement: str,
    attachments: list = (),
    scope: Scope | None = None,
    today: date | None = None,
) -> RepairApplication:
    """Apply for credit repair; refused with the reasons (and the earliest date) when not eligible."""
    today = _today(today)
    errors: dict = {}
    if channel not in Channel.values:
        errors["channel"] = ["受理渠道无效。"]
    if target_kind not in RepairApplication.TargetKind.values:
        errors["target_kind"] = ["修复对象类型无效（应为行政处罚信息或名单记录）。"]
    tid = _target_id(errors, target_id)
    name, id_number, phone = _clean_applicant(errors, applicant_name, applicant_id_number, applicant_phone)
    statement = (statement or "").strip()
    if len(statement) < 10:
        errors["statement"] = ["请说明已纠正失信行为、履行相关义务、消除不良影响的情况（不少于10个字）。"]
    elif len(statement) > 4000:
        errors["statement"] = ["申请说明过长（不超过4000字）。"]
    files = _clean_files(errors, "attachments", attachments, Attachment.Kind.OTHER)
    found = None
    if tid is not None and "target_kind" not in errors:
        found = _repair_target(errors, target_kind, tid)
    if found is not None and "target_id" not in errors:
        eligibility = selectors.repair_eligibility(target_kind=target_kind, target_id=tid, on=today)
        if not eligibility["eligible"]:
            errors["target_id"] = eligibility["reasons"]
    if errors:
        raise ValidationError(errors)
    penalty, entry, subject, department = found
    _check_scope_visible(scope, subject)
    profile = get_profile()
    accept = profile.repair_acceptance_period.due_from(today)
    decide = profile.repair_decision_period.due_from(today)
    app = RepairApplication(
        channel=channel,
        target_kind=target_kind,
        penalty=penalty,
        entry=entry,
        subject=subject,
        department=department,
        statement=statement,
        received_on=today,
        accept_due=accept.date,
        accept_due_provisional=accept.provisional,
        decision_due=decide.date,
        decision_due_provisional=decide.provisional,
    )
    _set_applicant(app, name, id_number, phone)
    code = _save_new(app, "XF", today)
    _save_files("repair", app, files)
    _reschedule(app)
    app.save(update_fields=["next_action", "next_action_on"])
    audit.record(
        action="create",
        instance=app,
        subject_id=subject.pk,
        after=audit.snapshot(app, ("applicant_id_encrypted", "applicant_id_hmac", "query_code_hash")),
        reason=f"收到信用修复申请（{app.get_channel_display()}）",
    )
    _notify_staff(
        app,
        department,
        "filed",
        f"收到信用修复申请 {app.tracking_number}",
        f"{subject.name}申请对{app.get_target_kind_display()}“{app.target}”进行信用修复，"
        f"请于{accept.date:%Y-%m-%d}前决定是否受理，{decide.date:%Y-%m-%d}前办结。",
    )
    _notify_applicant(
        app,
        "filed",
        "信用修复申请已收到",
        f"您的信用修复申请已收到，承办部门：{department.name}。将在{profile.repair_acceptance_period}内"
        f"（{accept.date:%Y-%m-%d}前）决定是否受理，{profile.repair_decision_period}内（{decide.date:%Y-%m-%d}前）办结。",
    )
    app.query_code = code
    return app


@transaction.atomic
def repair_accept(
    *, scope: Scope, application: RepairApplication, accept: bool, note: str = "", user=None, today: date | None = None
) -> RepairApplication:
    """受理 or 不予受理 (with reasons) within the acceptance period."""
    today = _today(today)
    note = (note or "").strip()
    if not accept and len(note) < 2:
        raise ValidationError({"note": ["不予受理的，请说明理由。"]})
    _require_handler(scope, application)
    if accept:
        eligibility = selectors.repair_eligibility(
            target_kind=application.target_kind, target_id=application.target.pk, on=today, exclude=application.pk
        )
        if not eligibility["eligible"]:
            raise ValidationError({"note": eligibility["reasons"]})
    now = timezone.now()
    new = RepairApplication.Status.ACCEPTED if accept else RepairApplication.Status.NOT_ACCEPTED
    fields = {"status": new, "accept_note": note[:500], "accepted_at": now, "updated_at": now}
    if not accept:
        fields.update(decided_at=now, decided_by=user, decided_by_name=_actor_name(user)[:150], decision_reasons=note)
    if not RepairApplication.objects.filter(pk=application.pk, status=RepairApplication.Status.RECEIVED).update(
        **fields
    ):
        raise ValidationError({"status": [_STALE]})
    application.refresh_from_db()
    _reschedule(application)
    application.save(update_fields=["next_action", "next_action_on"])
    audit.record(
        action="update",
        instance=application,
        subject_id=application.subject_id,
        before={"status": RepairApplication.Status.RECEIVED},
        after={"status": new},
        reason=note or "受理信用修复申请",
    )
    if accept:
        _notify_applicant(
            application,
            "accepted",
            "信用修复申请已受理",
            f"您的信用修复申请已受理，将于{application.decision_due:%Y-%m-%d}前作出决定。",
        )
    else:
        _notify_applicant(application, "not_accepted", "信用修复申请不予受理", f"不予受理的理由：{note}")
    return application


def default_statement(application: RepairApplication, on: date) -> str:
    target = application.target
    if application.penalty_id:
        what = f"行政处罚信息（{target.authority_name} {target.document_number}）"
        effect = "已停止公示"
    else:
        what = f"{target.get_list_type_display()}记录（{target.basis_document}）"
        effect = "已移出名单，相关惩戒措施予以解除"
    return (
        f"{application.subject.name}已纠正失信行为、履行相关义务并作出信用承诺，"
        f"经{application.department.name}审核，于{on:%Y年%m月%d日}对其{what}完成信用修复，{effect}。"
    )


def _stop_penalty_publication(record: PenaltyRecord, reason: str) -> None:
    registry_services.penalty_mark_repaired(record=record, reason=reason)


@transaction.atomic
def repair_decide(
    *,
    scope: Scope,
    application: RepairApplication,
    approve: bool,
    reasons: str,
    statement: str = "",
    false_materials: bool = False,
    user=None,
    today: date | None = None,
) -> RepairApplication:
    """修复 (publication stops / entry removed with lift tasks, 修复说明 published) or 不予修复."""
    today = _today(today)
    reasons = (reasons or "").strip()
    if len(reasons) < 2:
        raise ValidationError({"reasons": ["请填写决定理由。"]})
    if approve and false_materials:
        raise ValidationError({"false_materials": ["提供虚假材料的申请不能予以修复。"]})
    _require_reviewer(user)
    _require_handler(scope, application)
    now = timezone.now()
    new = RepairApplication.Status.APPROVED if approve else RepairApplication.Status.REJECTED
    text = ((statement or "").strip() or default_statement(application, today)) if approve else ""
    if not RepairApplication.objects.filter(pk=application.pk, status=RepairApplication.Status.ACCEPTED).update(
        status=new,
        decision_reasons=reasons[:2000],
        decided_at=now,
        decided_by=user if user is not None and user.pk else None,
        decided_by_name=_actor_name(user)[:150],
        false_materials=bool(false_materials),
        repair_statement=text[:2000],
        statement_published_at=now if approve else None,
        next_action="",
        next_action_on=None,
        updated_at=now,
    ):
        raise ValidationError({"decision": [_STALE]})
    application.refresh_from_db()
    why = f"信用修复（{application.tracking_number}）：{reasons}"[:500]
    if approve:
        if application.penalty_id:
            _stop_penalty_publication(application.penalty, why)
        else:
            entry = application.entry
            if entry.status != ListEntry.Status.PUBLISHED:
                raise ValidationError({"decision": ["该名单记录已不在公布中，无需修复。"]})
            sanctions_services.entry_remove(
                scope=None, entry=entry, reason=ListEntry.RemovalReason.REPAIRED, note=why, today=today
            )
    audit.record(
        action="update",
        instance=application,
        subject_id=application.subject_id,
        before={"status": RepairApplication.Status.ACCEPTED},
        after={"status": new, "false_materials": bool(false_materials)},
        reason=why,
    )
    if approve:
        _notify_applicant(application, "decided", "信用修复结果：修复成功", f"{text}")
    else:
        bar = "经核实您提供了虚假材料，依规定一定期限内不再受理您的信用修复申请。" if false_materials else ""
        _notify_applicant(application, "decided", "信用修复结果：不予修复", f"不予修复的理由：{reasons}。{bar}")
    return application
