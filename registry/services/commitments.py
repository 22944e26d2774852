"""信用承诺 (credit commitments): record, fulfil, withdraw, and the beat sweep that flags commitments
not kept by their due date. Web form and API both call ``commitment_upsert``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from creditsys import audit

from ..models import Commitment, Department, Disclosure, Subject
from ..scoping import Scope
from ..selectors import subject_by_code
from .records import CREATED, UNCHANGED, UPDATED, _choice, _date, _text, department_allowed

EDITABLE = ("kind", "matter", "content", "commitment_date", "due_date", "disclosure")


@dataclass(frozen=True)
class CommitmentResult:
    commitment: Commitment
    outcome: str


def _clean(data: dict, *, today: date) -> dict:
    errors: dict[str, list[str]] = {}
    out: dict = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    out["number"] = _text(data.get("number"))
    if not out["number"]:
        err("number", "承诺书编号为必填项。")
    elif len(out["number"]) > 64:
        err("number", "承诺书编号不能超过64个字符。")
    kind = _choice(data.get("kind"), Commitment.Kind.choices)
    if not kind:
        err("kind", "承诺类型应为：告知承诺、容缺受理承诺、信用修复承诺、主动公开承诺或行业自律承诺。")
    out["kind"] = kind or ""
    for field, label, limit in (("matter", "承诺事项", 200), ("content", "承诺内容", 4000)):
        out[field] = _text(data.get(field))
        if not out[field]:
            err(field, f"{label}为必填项。")
        elif len(out[field]) > limit:
            err(field, f"{label}不能超过{limit}个字符。")
    for field, label in (("commitment_date", "承诺日期"), ("due_date", "履约期限")):
        try:
            out[field] = _date(data.get(field))
        except ValueError:
            err(field, f"{label}不是有效日期，请使用 YYYY-MM-DD 格式。")
    if "commitment_date" in out:
        if out["commitment_date"] is None:
            err("commitment_date", "承诺日期为必填项。")
        elif out["commitment_date"] > today:
            err("commitment_date", "承诺日期不能晚于今天。")
    if out.get("commitment_date") and out.get("due_date") and out["due_date"] < out["commitment_date"]:
        err("due_date", "履约期限不能早于承诺日期。")
    if out.get("kind") == Commitment.Kind.TOLERANCE and "due_date" in out and out["due_date"] is None:
        err("due_date", "容缺受理承诺须填写补交材料的期限。")
    disclosure = _choice(data.get("disclosure"), Disclosure.choices)
    if disclosure is None:
        err("disclosure", "公开属性应为：社会公开、授权查询或政务共享。")
    out["disclosure"] = disclosure or Disclosure.PUBLIC
    if errors:
        raise ValidationError(errors)
    return out


def _department(scope: Scope, uscc: str | None) -> Department:
    if not uscc:
        if scope.department is None:
            raise ValidationError({"department": ["请填写受理部门统一社会信用代码。"]})
        return scope.department
    department = Department.objects.filter(uscc=_text(uscc).upper()).first()
    if department is None:
        raise ValidationError({"department": [f"受理部门“{uscc}”不是本系统登记的部门。"]})
    return department


@transaction.atomic
def commitment_upsert(
    *,
    scope: Scope,
    subject: Subject | None = None,
    subject_code: str = "",
    department_uscc: str = "",
    today: date | None = None,
    **data,
) -> CommitmentResult:
    """Record a commitment, keyed by (receiving department, 承诺书编号); idempotent."""
    today = today or timezone.localdate()
    cleaned = _clean(data, today=today)
    department = _department(scope, department_uscc)
    if not department_allowed(scope, department):
        raise ValidationError({"department": ["只能登记本部门（或本区划部门）受理的承诺。"]})
    if subject is None:
        subject = subject_by_code(subject_code) if _text(subject_code) else None
        if subject is None:
            raise ValidationError({"subject_code": ["未找到该代码对应的信用主体，请先登记主体。"]})
    existing = Commitment.objects.select_for_update().filter(department=department, number=cleaned["number"]).first()
    if existing is not None:
        if existing.subject_id != subject.pk:
            raise ValidationError({"number": ["该承诺书编号已用于其他主体。"]})
        changes = {k: v for k, v in cleaned.items() if getattr(existing, k) != v}
        if not changes:
            return CommitmentResult(existing, UNCHANGED)
        if existing.status != Commitment.Status.PENDING:
            raise ValidationError({"number": ["该承诺已办结（已履约、未履约或已撤销），不能再修改。"]})
        before = audit.snapshot(existing)
        for k, v in changes.items():
            setattr(existing, k, v)
        existing.save()
        b, a = audit.diff(before, audit.snapshot(existing))
        audit.record(action="update", instance=existing, subject_id=subject.pk, before=b, after=a, reason="承诺更新")
        return CommitmentResult(existing, UPDATED)
    commitment = Commitment(subject=subject, department=department, **cleaned)
    try:
        with transaction.atomic():
            commitment.save()
    except IntegrityError:
        raise ValidationError({"number": ["该承诺书编号正在被同时登记，请稍后重试。"]}) from None
    audit.record(action="create", instance=commitment, subject_id=subject.pk, after=audit.snapshot(commitment))
    return CommitmentResult(commitment, CREATED)


@transaction.atomic
def commitment_set_status(*, scope: Scope, commitment: Commitment, status: str, note: str = "") -> Commitment:
    """Mark a pending commitment fulfilled (已履约) or withdrawn (已撤销), or a clerk's manual 未履约."""
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if not department_allowed(scope, commitment.department):
        raise PermissionDenied("该承诺不属于本部门受理，不能办理。")
    if status not in (Commitment.Status.FULFILLED, Commitment.Status.WITHDRAWN, Commitment.Status.UNKEPT):
        raise ValidationError({"status": ["履约状态无效。"]})
    if commitment.status != Commitment.Status.PENDING:
        raise ValidationError({"status": [f"该承诺已是“{commitment.get_status_display()}”，不能再变更。"]})
    note = (note or "").strip()
    if status != Commitment.Status.FULFILLED and len(note) < 2:
        raise ValidationError({"note": ["请填写说明（撤销或认定未履约的理由）。"]})
    before = audit.snapshot(commitment)
    commitment.status = status
    commitment.status_note = note[:500]
    commitment.status_changed_at = timezone.now()
    if status == Commitment.Status.UNKEPT:
        commitment.flagged_at = commitment.status_changed_at
    commitment.save()
    b, a = audit.diff(before, audit.snapshot(commitment))
    audit.record(action="update", instance=commitment, subject_id=commitment.subject_id, before=b, after=a, reason=note)
    return commitment


def commitment_sweep(*, today: date | None = None, limit: int = 1000) -> int:
    """Flag pending commitments whose due date has passed as 未履约 (beat; idempotent, O(due))."""
    today = today or timezone.localdate()
    due = list(
        Commitment.objects.filter(status=Commitment.Status.PENDING, due_date__lt=today)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    flagged = 0
    for pk in due:
        with transaction.atomic():
            c = Commitment.objects.select_for_update().filter(pk=pk).first()
            if c is None or c.status != Commitment.Status.PENDING or c.due_date is None or c.due_date >= today:
                continue
            c.status = Commitment.Status.UNKEPT
            c.flagged_at = c.status_changed_at = timezone.now()
            c.status_note = f"履约期限（{c.due_date:%Y-%m-%d}）届满未履约，系统自动标记"
            c.save(update_fields=["status", "flagged_at", "status_changed_at", "status_note"])
            audit.record(
                action="event",
                instance=c,
                subject_id=c.subject_id,
                before={"status": Commitment.Status.PENDING},
                after={"status": Commitment.Status.UNKEPT},
                reason=c.status_note,
            )
            flagged += 1
    return flagged
