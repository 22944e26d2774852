"""Objections and credit repair: every state change (SPEC §9–11).

Keyword-only, atomic, audited. Filing an objection marks its target 存在异议 (an open objection is
the mark) and suspends at once every list entry depending on it (联合惩戒措施在信息核实期间暂不执行).
Decisions are taken with a conditional UPDATE on the status: two reviewers deciding at once get
exactly one decision, and its effects (correction, withdrawal/removal with lift tasks, or the
suspension lifted) are applied in the same transaction. Deadline events are fired by
``deadlines_sweep`` (beat), once per (item, kind).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from creditsys import audit, crypto, workdays
from creditsys.notifications import notify
from creditsys.policy import get_profile
from registry import services as registry_services
from registry.models import Department, LicenseRecord, PenaltyRecord, RecordStatus, User
from registry.scoping import Scope
from registry.validators import mask_id_number, validate_id_number
from sanctions import services as sanctions_services
from sanctions.models import ListEntry

from . import selectors
from .models import Attachment, Channel, DeadlineEvent, Objection, RepairApplication

MAX_UPLOAD_BYTES = getattr(settings, "DISPUTES_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
MAX_FILES = 10
ALLOWED_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
REVIEWER_ROLES = (User.Role.REVIEWER, User.Role.COORDINATOR, User.Role.COUNTY_COORDINATOR, User.Role.ADMIN)
ACTIVE_ENTRY_STATES = (ListEntry.Status.APPROVED, ListEntry.Status.NOTIFIED, ListEntry.Status.PUBLISHED)
_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")
_QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_STALE = "该申请已由他人处理或状态已变化，请刷新后查看。"


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# --- input ---------------------------------------------------------------------------------------


def _clean_applicant(errors: dict, name: str, id_number: str, phone: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        errors["applicant_name"] = ["请填写申请人姓名或名称。"]
    elif len(name) > 100:
        errors["applicant_name"] = ["申请人姓名或名称过长（不超过100字）。"]
    clean_id = ""
    try:
        clean_id = validate_id_number(id_number or "")
    except ValidationError as exc:
        errors["applicant_id_number"] = exc.messages
    phone = (phone or "").strip()
    if not _PHONE.match(phone):
        errors["applicant_phone"] = ["请填写有效的联系电话。"]
    return name, clean_id, phone


def _target_id(errors: dict, raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors["target_id"] = ["异议（修复）对象编号无效。"]
        return None
    if value <= 0 or value > 2**62:
        errors["target_id"] = ["异议（修复）对象编号无效。"]
        return None
    return value


def _file_parts(item, default_kind: str) -> tuple[str, str, bytes]:
    """(kind, name, content) from an uploaded file, a ``(kind, file)`` pair or an API dict."""
    kind = default_kind
    if isinstance(item, tuple | list) and len(item) == 2:
        kind, item = item
    if isinstance(item, dict):
        kind = item.get("kind") or kind
        name = str(item.get("name") or "")
        content = item.get("content")
        if content is None and item.get("content_base64") is not None:
            try:
                content = base64.b64decode(str(item["content_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("文件内容不是有效的 Base64 编码。") from None
        if isinstance(content, str):
            content = content.encode()
        return kind, name, bytes(content or b"")
    size = getattr(item, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        name = str(getattr(item, "name", "") or "")
        raise ValueError(f"“{name}”超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的大小限制。")
    if hasattr(item, "seek"):
        item.seek(0)
    return kind, str(getattr(item, "name", "") or ""), item.read()


def _clean_files(errors: dict, field: str, items, default_kind: str) -> list[tuple[str, str, bytes, str]]:
    items = [i for i in (items or ()) if i]
    out, messages = [], []
    if len(items) > MAX_FILES:
        errors[field] = [f"最多上传{MAX_FILES}个文件。"]
        return []
    for item in items:
        try:
            kind, name, content = _file_parts(item, default_kind)
        except ValueError as exc:
            messages.append(str(exc))
            continue
        name = name.replace("\\", "/").rsplit("/", 1)[-1][:200] or "未命名"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if kind not in Attachment.Kind.values:
            messages.append(f"“{name}”的材料类型无效。")
        elif ext not in ALLOWED_TYPES:
            messages.append(f"“{name}”：只接受 PDF、JPG、PNG 格式的文件。")
        elif not content:
            messages.append(f"“{name}”是空文件。")
        elif len(content) > MAX_UPLOAD_BYTES:
            messages.append(f"“{name}”超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的大小限制。")
        elif not content.startswith(ALLOWED_TYPES[ext][1]):
            messages.append(f"“{name}”的内容与扩展名不符（不是有效的 {ext.upper()} 文件）。")
        else:
            out.append((kind, name, content, ext))
    if messages:
        errors[field] = messages
    return out


def _save_files(owner_field: str, owner, files) -> None:
    for kind, name, content, ext in files:
        Attachment.objects.create(
            **{owner_field: owner},
            kind=kind,
            file=ContentFile(content, name=f"{uuid.uuid4().hex}.{ext}"),  # never trust the given name on disk
            original_name=name,
            content_type=ALLOWED_TYPES[ext][0],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )


def _codes(prefix: str, today: date) -> tuple[str, str]:
    tracking = f"{prefix}{today:%Y%m%d}{secrets.randbelow(10**6):06d}"
    code = "".join(secrets.choice(_QUERY_ALPHABET) for _ in range(8))
    return tracking, code


def query_code_hash(tracking_number: str, code: str) -> str:
    return crypto.lookup_hmac(f"query-code:{tracking_number}:{(code or '').strip().upper()}")


def _save_new(item, prefix: str, today: date) -> str:
    """Save with a fresh tracking number (retrying on the rare collision); returns the query code."""
    for _ in range(5):
        item.tracking_number, code = _codes(prefix, today)
        item.query_code_hash = query_code_hash(item.tracking_number, code)
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:
            item.pk = None
            continue
        return code
    raise RuntimeError("could not allocate a tracking number")


def _set_applicant(item, name: str, id_number: str, phone: str) -> None:
    item.applicant_name = name
    item.applicant_id_hmac = crypto.lookup_hmac(id_number)
    item.applicant_id_encrypted = crypto.encrypt(id_number)
    item.applicant_id_masked = mask_id_number(id_number)
    item.applicant_phone = phone


def _check_scope_visible(scope: Scope | None, subject) -> None:
    if scope is not None and not scope.region_allowed(subject.region_id):
        raise ValidationError({"target_id": ["该对象不在本部门（本区划）的管辖范围内。"]})


# --- routing, permissions ------------------------------------------------------------------------


def credit_office() -> Department | None:
    return Department.objects.filter(is_credit_office=True, region__parent__isnull=True, is_active=True).first()


def _is_coordinator(scope: Scope) -> bool:
    return scope.is_global or bool(scope.department and scope.department.is_credit_office)


def _require_handler(scope: Scope, item) -> None:
    if not selectors.can_handle(scope, item):
        raise PermissionDenied("该申请不由本部门承办，无权处理。")


def _require_reviewer(user) -> None:
    if user is not None and not (user.is_superuser or user.role in REVIEWER_ROLES):
        raise PermissionDenied("处理决定须由审核员作出。")


def _actor_name(user) -> str:
    from creditsys import context

    if user is not None:
        return str(user)
    return context.current().actor or "system"


# --- deadlines -----------------------------------------------------------------------------------


def working_days_before(day: date, n: int) -> date:
    """The N-th working day before ``day`` (for reminders ahead of a due date)."""
    current, counted = day, 0
    while counted < n:
        current -= timedelta(days=1)
        if workdays.is_working_day(current):
            counted += 1
    return current


def _before(due: date) -> date:
    lead = get_profile().reminder_lead
    if lead.unit == lead.unit.WORKING_DAYS:
        return working_days_before(due, lead.length)
    return due - timedelta(days=lead.length)


def _item_type(item) -> str:
    return "objection" if isinstance(item, Objection) else "repair"


def plan(item) -> list[tuple[str, date, date]]:
    """The deadline events of an item's current stage: (kind, fires on, due date)."""
    K = DeadlineEvent.Kind
    if isinstance(item, Objection):
        if item.status != Objection.Status.OPEN:
            return []
        return [
            (K.REMIND, item.remind_on, item.due_date),
            (K.ESCALATE, item.due_date + timedelta(days=1), item.due_date),
        ]
    if item.status == RepairApplication.Status.RECEIVED:
        due = item.accept_due
        return [(K.ACCEPT_REMIND, _before(due), due), (K.ACCEPT_ESCALATE, due + timedelta(days=1), due)]
    if item.status == RepairApplication.Status.ACCEPTED:
        due = item.decision_due
        return [(K.DECIDE_REMIND, _before(due), due), (K.DECIDE_ESCALATE, due + timedelta(days=1), due)]
    return []


def _reschedule(item) -> None:
    fired = set(
        DeadlineEvent.objects.filter(item_type=_item_type(item), item_id=item.pk).values_list("kind", flat=True)
    )
    for kind, on, _due in plan(item):
        if kind not in fired:
            item.next_action, item.next_action_on = kind, on
            return
    item.next_action, item.next_action_on = "", None


def _department_users(department_id: int | None, roles=None):
    qs = User.objects.filter(department_id=department_id, is_active=True).exclude(email="")
    if roles:
        qs = qs.filter(role__in=roles)
    return qs


def _notify_staff(item, department: Department | None, event: str, title: str, body: str, roles=None) -> None:
    """Inbox message to a department and an e-mail to each of its users with an address."""
    if department is None:
        return
    key = f"{_item_type(item)}:{item.pk}:{event}"
    link = selectors.workbench_url(item)
    notify(
        key=f"{key}:inbox:{department.pk}",
        channel="inbox",
        title=title,
        body=body,
        department_id=department.pk,
        link=link,
        instance=item,
    )
    for user in _department_users(department.pk, roles):
        notify(
            key=f"{key}:mail:{user.pk}",
            channel="email",
            title=title,
            body=body,
            user_id=user.pk,
            email=user.email,
            link=link,
            instance=item,
        )


def _notify_applicant(item, event: str, title: str, body: str) -> None:
    notify(
        key=f"{_item_type(item)}:{item.pk}:{event}:applicant",
        channel="applicant",
        title=title,
        body=body,
        tracking_number=item.tracking_number,
        instance=item,
    )


# === Objections ===================================================================================


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


# === Credit repair ================================================================================


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


# === Deadline engine ==============================================================================


EVENT_TEXT = {
    DeadlineEvent.Kind.REMIND: ("异议核实即将到期", "请于{due}前完成核实处理"),
    DeadlineEvent.Kind.ESCALATE: ("异议核实已逾期", "核实期限{due}已过，请督办"),
    DeadlineEvent.Kind.ACCEPT_REMIND: ("信用修复受理即将到期", "请于{due}前决定是否受理"),
    DeadlineEvent.Kind.ACCEPT_ESCALATE: ("信用修复受理已逾期", "受理期限{due}已过，请督办"),
    DeadlineEvent.Kind.DECIDE_REMIND: ("信用修复办结即将到期", "请于{due}前作出修复决定"),
    DeadlineEvent.Kind.DECIDE_ESCALATE: ("信用修复办结已逾期", "办结期限{due}已过，请督办"),
}


def _fire(item, today: date) -> bool:
    """Fire the item's next deadline event (once), then schedule the following one."""
    current = {kind: (on, due) for kind, on, due in plan(item)}
    kind = item.next_action
    created = False
    if kind in current and current[kind][0] <= today:
        due = current[kind][1]
        try:
            with transaction.atomic():
                DeadlineEvent.objects.create(
                    item_type=_item_type(item), item_id=item.pk, kind=kind, due_date=due, fired_on=today
                )
            created = True
        except IntegrityError:
            created = False  # fired by an earlier (or concurrent) run
        if created:
            title, text = EVENT_TEXT[kind]
            escalate = kind.endswith("escalate")
            body = f"{item.kind_label}{item.tracking_number}（{item.subject.name}，承办：{item.department.name}）：" + (
                text.format(due=f"{due:%Y-%m-%d}")
            )
            target = credit_office() if escalate else item.department
            roles = (User.Role.COORDINATOR, User.Role.ADMIN) if escalate else None
            _notify_staff(item, target, kind, f"{title}：{item.tracking_number}", body, roles)
            audit.record(
                action="event",
                instance=item,
                subject_id=item.subject_id,
                after={"event": kind, "due_date": due.isoformat()},
                reason=f"{DeadlineEvent.Kind(kind).label}（期限{due:%Y-%m-%d}）",
            )
    _reschedule(item)
    type(item).objects.filter(pk=item.pk).update(next_action=item.next_action, next_action_on=item.next_action_on)
    return created


def deadlines_sweep(*, today: date | None = None, limit: int = 500) -> dict:
    """Fire due reminders and escalations (beat, every minute).

    Reads only items whose ``next_action_on`` has come (partial index: open items only), locks each
    row with SKIP LOCKED in its own transaction, and relies on ``DeadlineEvent``'s unique key and the
    notifications' dedupe keys: running twice, concurrently or after a crash half-way never duplicates
    or loses an event.
    """
    today = _today(today)
    counts = {"fired": 0, "checked": 0}
    for model in (Objection, RepairApplication):
        pks = list(
            model.objects.filter(next_action_on__lte=today)
            .order_by("next_action_on", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in pks:
            with transaction.atomic():
                qs = model.objects.select_related("subject", "department").filter(pk=pk, next_action_on__lte=today)
                if connection.features.has_select_for_update_skip_locked:
                    qs = qs.select_for_update(skip_locked=True, of=("self",))
                item = qs.first()
                if item is None:
                    continue
                counts["checked"] += 1
                counts["fired"] += _fire(item, today)
    return counts


@transaction.atomic
def deadlines_recompute_provisional(*, year: int) -> int:
    """Recompute provisional due dates from ``year`` on once that year's holiday schedule is entered."""
    profile = get_profile()
    start = date(year, 1, 1)
    changed = 0
    for obj in Objection.objects.select_for_update().filter(
        status=Objection.Status.OPEN, due_provisional=True, due_date__gte=start
    ):
        due = profile.objection_period.due_from(obj.received_on)
        before = {"due_date": obj.due_date.isoformat(), "due_provisional": True}
        obj.due_date, obj.due_provisional, obj.remind_on = due.date, due.provisional, _before(due.date)
        _reschedule(obj)
        obj.save(update_fields=["due_date", "due_provisional", "remind_on", "next_action", "next_action_on"])
        audit.record(
            action="event",
            instance=obj,
            subject_id=obj.subject_id,
            before=before,
            after={"due_date": due.date.isoformat(), "due_provisional": due.provisional},
            reason=f"{year}年节假日安排已录入，重新计算核实期限",
        )
        changed += 1
    for app in RepairApplication.objects.select_for_update().filter(
        status__in=RepairApplication.OPEN_STATUSES, decision_due__gte=start
    ):
        if not (app.accept_due_provisional or app.decision_due_provisional):
            continue
        accept = profile.repair_acceptance_period.due_from(app.received_on)
        decide = profile.repair_decision_period.due_from(app.received_on)
        before = {"accept_due": app.accept_due.isoformat(), "decision_due": app.decision_due.isoformat()}
        app.accept_due, app.accept_due_provisional = accept.date, accept.provisional
        app.decision_due, app.decision_due_provisional = decide.date, decide.provisional
        _reschedule(app)
        app.save(
            update_fields=[
                "accept_due",
                "accept_due_provisional",
                "decision_due",
                "decision_due_provisional",
                "next_action",
                "next_action_on",
            ]
        )
        audit.record(
            action="event",
            instance=app,
            subject_id=app.subject_id,
            before=before,
            after={"accept_due": accept.date.isoformat(), "decision_due": decide.date.isoformat()},
            reason=f"{year}年节假日安排已录入，重新计算信用修复期限",
        )
        changed += 1
    return changed
