"""Every state change of the sanctions app (SPEC §6–§8). Web forms, the API, the sweeps and the demo
loader all call these; nothing else writes.

Status moves are conditional UPDATEs (``filter(pk=..., status=old).update(...)``): when two people
act at once exactly one succeeds and the other gets a clear message. Every change is audited.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from creditsys import audit
from creditsys.bulk import insert_columns
from creditsys.db import prepared_cursor
from creditsys.policy import get_profile
from registry.models import ApiClient, Department, Subject, SubjectRelation, User
from registry.scoping import Scope, scope_for_client

from . import selectors
from .models import (
    BlackCategory,
    ChangeEvent,
    CheckLog,
    EnforcementTask,
    ListEntry,
    ListType,
    Measure,
    Memorandum,
    TaskAlert,
    WebhookDelivery,
    WebhookSubscription,
)

logger = logging.getLogger("creditsys.sanctions")

_STALE = "该记录已被他人处理或状态已变化，请刷新后重试。"
_NO_SCOPE = "您无权处理该名单记录（不属于本部门/本区划）。"
REVIEWER_ROLES = (User.Role.REVIEWER, User.Role.COORDINATOR, User.Role.COUNTY_COORDINATOR, User.Role.ADMIN)
ANSWERABLE_ROLES = (
    SubjectRelation.Role.LEGAL_REPRESENTATIVE,
    SubjectRelation.Role.PRINCIPAL,
    SubjectRelation.Role.DIRECTLY_RESPONSIBLE,
)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _is_coordinator(scope: Scope) -> bool:
    return scope.is_global or bool(scope.department and scope.department.is_credit_office)


def _require_coordinator(scope: Scope) -> None:
    if not _is_coordinator(scope):
        raise PermissionDenied("只有市信用办（协调员）可以管理措施清单和合作备忘录。")


def _on_commit_enqueue(task_name: str) -> None:
    """Nudge a worker after commit; the beat sweep delivers anyway if the broker is down."""

    def send():
        try:
            from . import tasks

            getattr(tasks, task_name).delay()
        except Exception:  # noqa: BLE001 - Redis down must never break the request
            logger.warning("could not enqueue %s; the beat sweep will pick it up", task_name)

    transaction.on_commit(send)


# === Measures =====================================================================================

MEASURE_FIELDS = (
    "name",
    "kind",
    "national_class",
    "binding",
    "legal_basis",
    "field",
    "list_types",
    "categories",
    "subject_kinds",
    "for_clean_record",
    "memorandum",
    "source",
    "implementing_department_names",
)


def _clean_measure(data: dict, *, publishing: bool = False) -> dict:
    errors: dict[str, list[str]] = {}
    if "name" in data and not (data.get("name") or "").strip():
        errors["name"] = ["措施名称不能为空。"]
    if "kind" in data and data["kind"] not in Measure.Kind.values:
        errors["kind"] = ["措施类型无效。"]
    if "binding" in data and data["binding"] not in Measure.Binding.values:
        errors["binding"] = ["约束性无效。"]
    if data.get("national_class") is not None and data["national_class"] not in Measure.NationalClass.values:
        errors["national_class"] = ["全国清单分类无效。"]
    if "list_types" in data:
        if not data["list_types"] or any(t not in ListType.values for t in data["list_types"]):
            errors["list_types"] = ["请选择适用名单（红名单、重点关注名单、黑名单）。"]
    if "categories" in data and any(c not in BlackCategory.values for c in data["categories"] or []):
        errors["categories"] = ["失信类别无效。"]
    if "subject_kinds" in data:
        from .models import SubjectTarget

        if not data["subject_kinds"] or any(k not in SubjectTarget.values for k in data["subject_kinds"]):
            errors["subject_kinds"] = ["请选择适用对象。"]
    if publishing or "legal_basis" in data:
        if not (data.get("legal_basis") or "").strip():
            errors["legal_basis"] = ["措施必须写明法律、法规或党中央、国务院政策文件依据。"]
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def measure_create(*, scope: Scope, code: str, implementing_departments=(), **fields) -> Measure:
    _require_coordinator(scope)
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": ["措施编号不能为空。"]})
    if Measure.objects.filter(code=code).exists():
        raise ValidationError({"code": ["该措施编号已存在；修改已公布的措施请使用“修订”生成新版本。"]})
    unknown = set(fields) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError({f: ["未知字段。"] for f in sorted(unknown)})
    _clean_measure({"name": "", "legal_basis": "", **fields})
    measure = Measure.objects.create(code=code, version=1, status=Measure.Status.DRAFT, **fields)
    measure.implementing_departments.set(implementing_departments)
    audit.record(action="create", instance=measure, after=_measure_snapshot(measure))
    return measure


def _measure_snapshot(measure: Measure) -> dict:
    data = audit.snapshot(measure)
    data["implementing_departments"] = sorted(measure.implementing_departments.values_list("pk", flat=True))
    return data


@transaction.atomic
def measure_update(*, scope: Scope, measure: Measure, implementing_departments=None, **changes) -> Measure:
    """Edit a draft. A published measure is never edited in place: use ``measure_revise``."""
    _require_coordinator(scope)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.status != Measure.Status.DRAFT:
        raise ValidationError({"status": ["只能修改草稿；已公布的措施请先“修订”生成新版本。"]})
    unknown = set(changes) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError({f: ["该字段不能修改。"] for f in sorted(unknown)})
    _clean_measure(changes)
    before = _measure_snapshot(measure)
    for k, v in changes.items():
        setattr(measure, k, v.strip() if isinstance(v, str) else v)
    measure.save()
    if implementing_departments is not None:
        measure.implementing_departments.set(implementing_departments)
    b, a = audit.diff(before, _measure_snapshot(measure))
    if a:
        audit.record(action="update", instance=measure, before=b, after=a)
    return measure


@transaction.atomic
def measure_revise(*, scope: Scope, measure: Measure) -> Measure:
    """Start a new version (draft) of a published or retired measure; tasks keep their version."""
    _require_coordinator(scope)
    existing = Measure.objects.filter(code=measure.code, status=Measure.Status.DRAFT).first()
    if existing:
        return existing
    latest = Measure.objects.filter(code=measure.code).order_by("-version").first()
    new = Measure.objects.create(
        code=measure.code,
        version=latest.version + 1,
        status=Measure.Status.DRAFT,
        previous=measure,
        **{f: getattr(measure, f) for f in MEASURE_FIELDS},
    )
    new.implementing_departments.set(measure.implementing_departments.all())
    audit.record(action="create", instance=new, after=_measure_snapshot(new), reason=f"修订 {measure}")
    return new


@transaction.atomic
def measure_publish(*, scope: Scope, measure: Measure, reason: str = "") -> Measure:
    """draft → published (公布). The previously published version of the code is retired."""
    _require_coordinator(scope)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.status != Measure.Status.DRAFT:
        raise ValidationError({"status": ["只有草稿可以公布。"]})
    _clean_measure({f: getattr(measure, f) for f in MEASURE_FIELDS}, publishing=True)
    if not measure.implementing_departments.exists():
        raise ValidationError({"implementing_departments": ["请指定至少一个实施部门。"]})
    now = timezone.now()
    for old in Measure.objects.filter(code=measure.code, status=Measure.Status.PUBLISHED).exclude(pk=measure.pk):
        _measure_retire(old, now=now, reason=f"被第{measure.version}版取代")
    updated = Measure.objects.filter(pk=measure.pk, status=Measure.Status.DRAFT).update(
        status=Measure.Status.PUBLISHED, published_at=now
    )
    if not updated:
        raise ValidationError({"status": [_STALE]})
    measure.refresh_from_db()
    audit.record(
        action="update",
        instance=measure,
        before={"status": "draft"},
        after={"status": "published"},
        reason=reason or "公布措施",
    )
    _change(ChangeEvent.Kind.MEASURE_PUBLISHED, measure=measure)
    return measure


def _measure_retire(measure: Measure, *, now: datetime, reason: str) -> None:
    updated = Measure.objects.filter(pk=measure.pk, status=Measure.Status.PUBLISHED).update(
        status=Measure.Status.RETIRED, retired_at=now
    )
    if updated:
        audit.record(
            action="update",
            instance=measure,
            before={"status": "published"},
            after={"status": "retired"},
            reason=reason,
        )
        _change(ChangeEvent.Kind.MEASURE_RETIRED, measure=measure)


@transaction.atomic
def measure_retire(*, scope: Scope, measure: Measure, reason: str = "") -> Measure:
    """published (or draft) → retired: never applied again; existing tasks keep it."""
    _require_coordinator(scope)
    if measure.status == Measure.Status.DRAFT:
        Measure.objects.filter(pk=measure.pk, status=Measure.Status.DRAFT).update(status=Measure.Status.RETIRED)
        audit.record(action="update", instance=measure, before={"status": "draft"}, after={"status": "retired"})
    elif measure.status == Measure.Status.PUBLISHED:
        _measure_retire(measure, now=timezone.now(), reason=reason or "废止措施")
    else:
        raise ValidationError({"status": ["该措施已废止。"]})
    measure.refresh_from_db()
    return measure


@transaction.atomic
def memorandum_create(
    *, scope: Scope, number: str, title: str, list_type: str, categories=(), signing_departments=(), signed_on=None
) -> Memorandum:
    _require_coordinator(scope)
    errors = {}
    if not number.strip():
        errors["number"] = ["文号不能为空。"]
    if not title.strip():
        errors["title"] = ["标题不能为空。"]
    if list_type not in ListType.values:
        errors["list_type"] = ["名单类型无效。"]
    if Memorandum.objects.filter(number=number.strip()).exists():
        errors["number"] = ["该文号的备忘录已存在。"]
    if errors:
        raise ValidationError(errors)
    memo = Memorandum.objects.create(
        number=number.strip(),
        title=title.strip(),
        list_type=list_type,
        categories=list(categories),
        signed_on=signed_on,
    )
    memo.signing_departments.set(signing_departments)
    audit.record(action="create", instance=memo, after=audit.snapshot(memo))
    return memo


# === List entries =================================================================================


def _entry_audit(entry: ListEntry, *, action: str = "update", before=None, after=None, reason: str = "") -> None:
    audit.record(action=action, instance=entry, subject_id=entry.subject_id, before=before, after=after, reason=reason)


def _transition(entry: ListEntry, old: str | tuple[str, ...], new: str, **fields) -> ListEntry:
    olds = (old,) if isinstance(old, str) else old
    updated = ListEntry.objects.filter(pk=entry.pk, status__in=olds).update(
        status=new, updated_at=timezone.now(), **fields
    )
    if not updated:
        raise ValidationError({"status": [_STALE]})
    before_status = entry.status
    entry.refresh_from_db()
    after = {"status": new, **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fields.items()}}
    after = {k: (v.pk if hasattr(v, "pk") else v) for k, v in after.items()}
    _entry_audit(entry, before={"status": before_status}, after=after, reason=fields.get("review_note", ""))
    return entry


def _require_entry_scope(scope: Scope | None, entry: ListEntry) -> None:
    if scope is not None and not selectors.can_edit_entry(scope, entry):
        raise PermissionDenied(_NO_SCOPE)


@transaction.atomic
def entry_create(
    *,
    scope: Scope,
    subject: Subject,
    list_type: str,
    basis_document: str,
    legal_basis: str,
    decision_date: date,
    category: str = "",
    facts: str = "",
    initiating_department: Department | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    proposed_by: User | None = None,
    proposer_name: str = "",
    reviewer_name: str = "",
    submit: bool = False,
    via: str = "web",
    today: date | None = None,
) -> ListEntry:
    """Propose an entry. ``submit`` sends it to review; a county system (API) that did its own
    four-eyes review passes both names and the entry starts approved."""
    today = _today(today)
    profile = get_profile()
    errors: dict[str, list[str]] = {}
    if list_type not in ListType.values or list_type not in profile.list_types:
        errors["list_type"] = [f"名单类型无效；本地区使用：{'、'.join(profile.list_types)}。"]
    category = category or ""
    if list_type == ListType.BLACK:
        if category not in BlackCategory.values:
            errors["category"] = ["列入严重失信主体名单须选择失信类别。"]
    elif category and category not in BlackCategory.values:
        errors["category"] = ["失信类别无效。"]
    if list_type == ListType.RED:
        category = ""
    if not (basis_document or "").strip():
        errors["basis_document"] = ["请填写认定文书号。"]
    if not (legal_basis or "").strip():
        errors["legal_basis"] = ["请填写认定依据（法律、法规或规章条款）。"]
    if decision_date and decision_date > today:
        errors["decision_date"] = ["认定日期不能晚于今天。"]
    valid_from = valid_from or decision_date
    if list_type == ListType.RED and valid_until is None and valid_from:
        valid_until = profile.red_list_default_validity.due_from(valid_from).date
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = ["有效期至不能早于有效期自。"]
    if not scope.region_allowed(subject.region_id):
        errors["subject"] = ["该主体不在您的管辖范围内。"]
    department = initiating_department or scope.department
    if department is None:
        errors["initiating_department"] = ["请指定认定部门。"]
    elif not scope.is_global:
        if scope.edit_by_region:
            if not scope.region_allowed(department.region_id):
                errors["initiating_department"] = ["认定部门不在您的管辖区划内。"]
        elif department != scope.department:
            raise PermissionDenied("只能以本部门名义提出名单。")
    proposer_name = (proposer_name or (str(proposed_by) if proposed_by else "")).strip()
    reviewer_name = (reviewer_name or "").strip()
    if reviewer_name and reviewer_name == proposer_name:
        errors["reviewer_name"] = ["审核人不能与提出人为同一人（双人审核）。"]
    if errors:
        raise ValidationError(errors)
    if list_type == ListType.RED:
        obstacles = selectors.red_list_obstacles(subject, on=today)
        if obstacles:
            raise ValidationError({"list_type": ["该主体不符合守信激励对象条件：", *obstacles]})
    if (
        ListEntry.objects.filter(
            subject=subject,
            list_type=list_type,
            basis_document=basis_document.strip(),
            initiating_department=department,
        )
        .exclude(status=ListEntry.Status.REMOVED)
        .exists()
    ):
        raise ValidationError({"basis_document": ["该主体已有同一文书号的名单记录，请勿重复提出。"]})
    status = ListEntry.Status.DRAFT
    reviewed_at = None
    if reviewer_name and proposer_name:
        status, reviewed_at = ListEntry.Status.APPROVED, timezone.now()
    elif submit:
        status = ListEntry.Status.UNDER_REVIEW
    entry = ListEntry.objects.create(
        subject=subject,
        region=subject.region,
        list_type=list_type,
        category=category,
        basis_document=basis_document.strip(),
        legal_basis=legal_basis.strip(),
        facts=(facts or "").strip(),
        initiating_department=department,
        decision_date=decision_date,
        valid_from=valid_from,
        valid_until=valid_until,
        status=status,
        proposed_by=proposed_by,
        proposer_name=proposer_name,
        reviewer_name=reviewer_name,
        reviewed_at=reviewed_at,
        created_via=via,
    )
    _entry_audit(entry, action="create", after=audit.snapshot(entry))
    return entry


@transaction.atomic
def entry_submit(*, scope: Scope, entry: ListEntry) -> ListEntry:
    _require_entry_scope(scope, entry)
    return _transition(entry, ListEntry.Status.DRAFT, ListEntry.Status.UNDER_REVIEW)


@transaction.atomic
def entry_review(*, scope: Scope, entry: ListEntry, user: User, approve: bool, note: str = "") -> ListEntry:
    """Four-eyes review: the reviewer must be a reviewer (or coordinator) other than the proposer."""
    _require_entry_scope(scope, entry)
    if user.role not in REVIEWER_ROLES and not user.is_superuser:
        raise PermissionDenied("只有审核员或信用办协调员可以审核名单。")
    if entry.proposed_by_id is not None and entry.proposed_by_id == user.pk:
        raise ValidationError({"reviewer": ["审核人不能与提出人为同一人（双人审核）。"]})
    if approve:
        return _transition(
            entry,
            ListEntry.Status.UNDER_REVIEW,
            ListEntry.Status.APPROVED,
            reviewed_by=user,
            reviewer_name=str(user),
            reviewed_at=timezone.now(),
            review_note=(note or "").strip()[:500],
        )
    if not (note or "").strip():
        raise ValidationError({"note": ["退回时请填写审核意见。"]})
    return _transition(
        entry,
        ListEntry.Status.UNDER_REVIEW,
        ListEntry.Status.DRAFT,
        reviewed_by=user,
        reviewed_at=timezone.now(),
        review_note=note.strip()[:500],
    )


@transaction.atomic
def entry_notify(*, scope: Scope, entry: ListEntry, today: date | None = None) -> ListEntry:
    """告知: the subject is told facts, basis, measures and remedies; the statement period starts."""
    _require_entry_scope(scope, entry)
    today = _today(today)
    due = get_profile().notice_period.due_from(today)
    return _transition(
        entry,
        ListEntry.Status.APPROVED,
        ListEntry.Status.NOTIFIED,
        notice_sent_on=today,
        notice_due=due.date,
        notice_due_provisional=due.provisional,
    )


@transaction.atomic
def entry_publish(
    *, scope: Scope, entry: ListEntry, statement_waived: bool = False, today: date | None = None
) -> ListEntry:
    """Publish an entry and initiate joint action (SPEC §6, §8.1)."""
    _require_entry_scope(scope, entry)
    today = _today(today)
    entry = ListEntry.objects.select_related("subject").get(pk=entry.pk)
    if entry.list_type == ListType.RED:
        allowed = (ListEntry.Status.APPROVED, ListEntry.Status.NOTIFIED)
        obstacles = selectors.red_list_obstacles(entry.subject, on=today)
        if obstacles:
            raise ValidationError({"list_type": ["该主体已不符合守信激励对象条件：", *obstacles]})
    else:
        allowed = (ListEntry.Status.NOTIFIED,)
        if entry.status == ListEntry.Status.APPROVED:
            raise ValidationError({"status": ["列入重点关注名单或黑名单前须先告知当事人。"]})
        if entry.status == ListEntry.Status.NOTIFIED and not statement_waived and entry.notice_due >= today:
            raise ValidationError(
                {
                    "status": [
                        f"陈述申辩期至{entry.notice_due:%Y年%m月%d日}，期满后方可公布（当事人书面放弃陈述申辩的除外）。"
                    ]
                }
            )
    if entry.status not in allowed:
        raise ValidationError({"status": ["当前状态不能公布。"]})
    if entry.valid_until and entry.valid_until < today:
        raise ValidationError({"valid_until": ["有效期已届满，不能公布。"]})
    entry = _transition(
        entry,
        allowed,
        ListEntry.Status.PUBLISHED,
        published_at=timezone.now(),
        statement_waived=statement_waived or entry.statement_waived,
    )
    _after_publish(entry, today=today)
    return entry


def _after_publish(entry: ListEntry, *, today: date) -> None:
    catalogue = selectors.MeasureCatalogue.load()
    if entry.list_type == ListType.BLACK:
        for red in ListEntry.objects.filter(
            subject=entry.subject, list_type=ListType.RED, status=ListEntry.Status.PUBLISHED
        ):
            _entry_remove(
                red,
                reason=ListEntry.RemovalReason.DISQUALIFIED,
                note=f"因列入严重失信主体名单（{entry.basis_document}）移出红名单",
                today=today,
            )
    _initiate(entry, catalogue=catalogue, today=today)
    _change(ChangeEvent.Kind.ENTRY_PUBLISHED, entry=entry)
    if entry.list_type == ListType.BLACK and entry.subject.kind != Subject.Kind.NATURAL_PERSON:
        for derived in _record_answerable_persons(entry, today=today):
            _initiate(derived, catalogue=catalogue, today=today)


def _record_answerable_persons(entry: ListEntry, *, today: date) -> list[ListEntry]:
    """落实到人: the organisation's entry is also recorded against its current answerable persons."""
    relations = (
        SubjectRelation.objects.filter(organization=entry.subject, role__in=ANSWERABLE_ROLES, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("person")
    )
    derived = []
    for relation in relations:
        if ListEntry.objects.filter(source_entry=entry, subject=relation.person).exists():
            continue
        person_entry = ListEntry.objects.create(
            subject=relation.person,
            region=relation.person.region,
            list_type=entry.list_type,
            category=entry.category,
            basis_document=entry.basis_document,
            legal_basis=entry.legal_basis,
            facts=f"作为{entry.subject.name}的{relation.get_role_display()}，同步记入。{entry.facts}"[:2000],
            initiating_department=entry.initiating_department,
            decision_date=entry.decision_date,
            valid_from=entry.valid_from,
            valid_until=entry.valid_until,
            status=ListEntry.Status.PUBLISHED,
            published_at=entry.published_at,
            proposer_name=entry.proposer_name,
            reviewer_name=entry.reviewer_name,
            is_suspended=entry.is_suspended,
            suspension_reason=entry.suspension_reason,
            source_entry=entry,
            relation_role=relation.role,
            created_via="system",
        )
        _entry_audit(person_entry, action="create", after=audit.snapshot(person_entry), reason="落实到人")
        derived.append(person_entry)
    return derived


def _initiate(entry: ListEntry, *, catalogue, today: date) -> list[EnforcementTask]:
    created = []
    for measure in selectors.measures_for_entry(entry, catalogue):
        for department in measure.implementing_departments.all():
            if not department.is_active:
                continue
            task, was_created = task_create(
                entry=entry, measure=measure, department=department, kind=EnforcementTask.Kind.APPLY, today=today
            )
            if was_created:
                created.append(task)
    return created


@transaction.atomic
def task_create(
    *, entry: ListEntry, measure: Measure, department: Department, kind: str, today: date | None = None
) -> tuple[EnforcementTask, bool]:
    """Create one enforcement task (idempotent on its key). An unpublished measure is refused."""
    today = _today(today)
    if kind == EnforcementTask.Kind.APPLY:
        status = Measure.objects.filter(pk=measure.pk).values_list("status", flat=True).first()
        if status != Measure.Status.PUBLISHED:
            raise ValidationError({"measure": ["未经公布的信用惩戒措施不得实施。"]})
        if entry.status != ListEntry.Status.PUBLISHED:
            raise ValidationError({"entry": ["名单记录未公布，不能发起联合奖惩。"]})
    existing = EnforcementTask.objects.filter(entry=entry, measure=measure, department=department, kind=kind).first()
    if existing:
        return existing, False
    profile = get_profile()
    due = profile.feedback_period.due_from(today)
    escalate = profile.reminder_lead.due_from(due.date)
    try:
        with transaction.atomic():
            task = EnforcementTask.objects.create(
                entry=entry,
                measure=measure,
                department=department,
                kind=kind,
                started_on=today,
                due_date=due.date,
                due_provisional=due.provisional or escalate.provisional,
                escalate_on=escalate.date,
            )
    except IntegrityError:
        return EnforcementTask.objects.get(entry=entry, measure=measure, department=department, kind=kind), False
    audit.record(action="create", instance=task, subject_id=entry.subject_id, after=audit.snapshot(task))
    return task, True


@transaction.atomic
def entry_remove(
    *, scope: Scope | None, entry: ListEntry, reason: str, note: str = "", today: date | None = None
) -> ListEntry:
    """Remove (移出) an entry with a reason; lifts its measures. Before publication: withdraw."""
    _require_entry_scope(scope, entry)
    if reason not in ListEntry.RemovalReason.values:
        raise ValidationError({"reason": ["请选择移出原因。"]})
    if entry.source_entry_id and reason != ListEntry.RemovalReason.ORGANIZATION_REMOVED:
        raise ValidationError({"reason": ["该记录随所在组织的名单记录同步记入，请移出组织的名单记录。"]})
    return _entry_remove(entry, reason=reason, note=note, today=_today(today))


def _entry_remove(entry: ListEntry, *, reason: str, note: str, today: date) -> ListEntry:
    entry.refresh_from_db()
    was_published = entry.status == ListEntry.Status.PUBLISHED
    open_states = [s for s in ListEntry.Status.values if s != ListEntry.Status.REMOVED]
    entry = _transition(
        entry,
        tuple(open_states),
        ListEntry.Status.REMOVED,
        removed_at=timezone.now(),
        removal_reason=reason,
        removal_note=(note or "").strip()[:500],
        is_suspended=False,
    )
    if not was_published:
        return entry
    _lift(entry, today=today)
    _change(ChangeEvent.Kind.ENTRY_REMOVED, entry=entry)
    for derived in ListEntry.objects.filter(source_entry=entry, status=ListEntry.Status.PUBLISHED):
        _entry_remove(derived, reason=ListEntry.RemovalReason.ORGANIZATION_REMOVED, note=note, today=today)
    return entry


def _lift(entry: ListEntry, *, today: date) -> None:
    """Create lift tasks for every measure that was (or may have been) applied; cancel open ones."""
    apply_tasks = list(
        EnforcementTask.objects.filter(entry=entry, kind=EnforcementTask.Kind.APPLY).select_related(
            "measure", "department"
        )
    )
    for task in apply_tasks:
        if task.status == EnforcementTask.Status.ANSWERED and task.outcome == EnforcementTask.Outcome.NOT_APPLICABLE:
            continue
        if task.status == EnforcementTask.Status.PENDING:
            EnforcementTask.objects.filter(pk=task.pk, status=EnforcementTask.Status.PENDING).update(
                status=EnforcementTask.Status.CANCELLED
            )
        task_create(
            entry=entry, measure=task.measure, department=task.department, kind=EnforcementTask.Kind.LIFT, today=today
        )


@transaction.atomic
def entry_suspend(*, entry: ListEntry, reason: str, scope: Scope | None = None) -> ListEntry:
    """While an objection is open the entry's measures are not applied (SPEC §6, §9).

    Called by the disputes app; idempotent (suspending a suspended entry changes nothing).
    """
    _require_entry_scope(scope, entry)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请说明暂停执行的原因。"]})
    active = (ListEntry.Status.NOTIFIED, ListEntry.Status.PUBLISHED, ListEntry.Status.APPROVED)
    ids = [entry.pk, *ListEntry.objects.filter(source_entry=entry).values_list("pk", flat=True)]
    updated = ListEntry.objects.filter(pk__in=ids, status__in=active, is_suspended=False).update(
        is_suspended=True, suspension_reason=reason.strip()[:300], suspended_at=timezone.now()
    )
    entry.refresh_from_db()
    if updated:
        _entry_audit(entry, before={"is_suspended": False}, after={"is_suspended": True}, reason=reason)
        if entry.status == ListEntry.Status.PUBLISHED:
            _change(ChangeEvent.Kind.ENTRY_SUSPENDED, entry=entry)
    return entry


@transaction.atomic
def entry_resume(*, entry: ListEntry, reason: str = "", scope: Scope | None = None) -> ListEntry:
    _require_entry_scope(scope, entry)
    ids = [entry.pk, *ListEntry.objects.filter(source_entry=entry).values_list("pk", flat=True)]
    updated = ListEntry.objects.filter(pk__in=ids, is_suspended=True).update(
        is_suspended=False, suspension_reason="", suspended_at=None
    )
    entry.refresh_from_db()
    if updated:
        _entry_audit(entry, before={"is_suspended": True}, after={"is_suspended": False}, reason=reason)
        if entry.status == ListEntry.Status.PUBLISHED:
            _change(ChangeEvent.Kind.ENTRY_RESUMED, entry=entry)
    return entry


ENTRY_CORRECTABLE = ("basis_document", "legal_basis", "facts", "category", "decision_date", "valid_from", "valid_until")


@transaction.atomic
def entry_correct(*, entry: ListEntry, reason: str, scope: Scope | None = None, **changes) -> ListEntry:
    """更正 an entry's identifying data (after an objection, SPEC §9); history stays in the audit log.

    Only the facts of the finding can change here; the list type and the subject cannot (that is a
    new finding: remove and propose again).
    """
    _require_entry_scope(scope, entry)
    entry = ListEntry.objects.select_for_update().get(pk=entry.pk)
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(changes) - set(ENTRY_CORRECTABLE))
    for field in unknown:
        errors[field] = ["该字段不能更正；名单类型或主体有误的，请撤销后重新认定。"]
    if not (reason or "").strip():
        errors["reason"] = ["请填写更正事由。"]
    if "category" in changes and changes["category"] and changes["category"] not in BlackCategory.values:
        errors["category"] = ["失信类别无效。"]
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(entry)
    for field, value in changes.items():
        if field in ("decision_date", "valid_from", "valid_until") and isinstance(value, str):
            try:
                value = date.fromisoformat(value) if value else None
            except ValueError:
                raise ValidationError({field: ["日期格式应为 YYYY-MM-DD。"]}) from None
        setattr(entry, field, value.strip() if isinstance(value, str) else value)
    if entry.valid_until and entry.valid_until < entry.valid_from:
        raise ValidationError({"valid_until": ["有效期至不能早于有效期自。"]})
    if not entry.basis_document or not entry.legal_basis:
        raise ValidationError({"basis_document": ["认定文书号和认定依据不能为空。"]})
    entry.save()
    b, a = audit.diff(before, audit.snapshot(entry))
    if a:
        _entry_audit(entry, before=b, after=a, reason=reason)
    return entry


# === Feedback ======================================================================================


@transaction.atomic
def task_feedback(
    *,
    scope: Scope,
    task: EnforcementTask,
    outcome: str,
    matter_name: str = "",
    matter_number: str = "",
    action_date: date | None = None,
    result: str = "",
    remarks: str = "",
    user: User | None = None,
    client: ApiClient | None = None,
    today: date | None = None,
) -> EnforcementTask:
    today = _today(today)
    task = EnforcementTask.objects.select_related("department").get(pk=task.pk)
    if not selectors.can_answer_task(scope, task):
        raise PermissionDenied("只有实施部门可以反馈该任务。")
    errors: dict[str, list[str]] = {}
    allowed = (
        (EnforcementTask.Outcome.APPLIED, EnforcementTask.Outcome.NOT_APPLICABLE)
        if task.kind == EnforcementTask.Kind.APPLY
        else (EnforcementTask.Outcome.LIFTED, EnforcementTask.Outcome.NOT_APPLICABLE)
    )
    if outcome not in allowed:
        labels = "、".join(EnforcementTask.Outcome(o).label for o in allowed)
        errors["outcome"] = [f"执行情况应为：{labels}。"]
    if outcome in (EnforcementTask.Outcome.APPLIED, EnforcementTask.Outcome.LIFTED):
        if not (matter_name or "").strip():
            errors["matter_name"] = ["请填写办理事项名称。"]
        if action_date is None:
            errors["action_date"] = ["请填写执行日期。"]
    if action_date and action_date > today:
        errors["action_date"] = ["执行日期不能晚于今天。"]
    if outcome == EnforcementTask.Outcome.NOT_APPLICABLE and not ((result or "").strip() or (remarks or "").strip()):
        errors["result"] = ["不适用时请说明理由。"]
    if errors:
        raise ValidationError(errors)
    fields = {
        "outcome": outcome,
        "matter_name": (matter_name or "").strip()[:200],
        "matter_number": (matter_number or "").strip()[:100],
        "action_date": action_date,
        "result": (result or "").strip()[:500],
        "remarks": (remarks or "").strip()[:500],
    }
    updated = EnforcementTask.objects.filter(pk=task.pk, status=EnforcementTask.Status.PENDING).update(
        status=EnforcementTask.Status.ANSWERED,
        answered_at=timezone.now(),
        answered_by=user,
        answered_by_client=client,
        **fields,
    )
    if not updated:
        raise ValidationError({"status": ["该任务已反馈或已撤销，不能重复反馈。"]})
    task.refresh_from_db()
    audit.record(
        action="update",
        instance=task,
        subject_id=task.entry.subject_id,
        before={"status": "pending"},
        after={"status": "answered", **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}},
    )
    return task


# === The check (应查必查) ============================================================================


def _principal_fields(principal) -> dict:
    if isinstance(principal, ApiClient):
        return {
            "user": None,
            "api_client": principal,
            "department": principal.department,
            "region": principal.region or (principal.department.region if principal.department else None),
            "channel": "api",
        }
    dept = getattr(principal, "department", None)
    return {
        "user": principal,
        "api_client": None,
        "department": dept,
        "region": getattr(principal, "region", None) or (dept.region if dept else None),
        "channel": "web",
    }


def _insert_check_logs(columns: dict[str, list]) -> None:
    """Write the check logs, given as one list per column (``attname``): one INSERT, whatever their number.

    One statement in autocommit (no BEGIN/COMMIT round trips), without ``CheckLog`` instances
    (building 1,000 of them cost more than the insert). On PostgreSQL a single check is a prepared
    ``INSERT … VALUES``, a batch one ``INSERT … SELECT`` from a JSON text (``insert_columns``).
    Elsewhere (the SQLite default) the rows go through ``bulk_create``; all write the same rows.
    """
    if connection.vendor != "postgresql":
        count = len(columns["check_id"])
        logs = [CheckLog(**{name: values[i] for name, values in columns.items()}) for i in range(count)]
        with transaction.atomic():
            CheckLog.objects.bulk_create(logs)
        return
    if len(columns["check_id"]) > 1:
        insert_columns(CheckLog, columns)
        return
    fields, one_sql = _check_log_insert()
    # A prepared statement (parsed and planned once per connection) unless they are turned off.
    with prepared_cursor() if settings.DB_PREPARED_STATEMENTS else connection.cursor() as cursor:
        cursor.execute(one_sql, [columns[f.attname][0] for f in fields])


@functools.cache
def _check_log_insert() -> tuple[list, str]:
    fields = [f for f in CheckLog._meta.concrete_fields if not f.primary_key]
    table = CheckLog._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    return fields, f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608


def _new_check_ids(count: int) -> list[uuid.UUID]:
    """``uuid4()`` ``count`` times, with one read of the random source (a batch needs 1,000)."""
    data = os.urandom(16 * count)
    return [uuid.UUID(bytes=data[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


def check_perform(*, principal, codes: list[str], matter: str, on: date | None = None) -> list[dict]:
    """Answer one or many checks for the asking department and log each one (查询留痕)."""
    matter = (matter or "").strip()
    if not matter:
        raise ValidationError({"matter": ["请填写办理事项（如：政府采购、行政许可、财政资金申请）。"]})
    if len(matter) > 200:
        raise ValidationError({"matter": ["办理事项不能超过200个字符。"]})
    if not codes:
        raise ValidationError({"codes": ["请提供至少一个代码。"]})
    if len(codes) > 1000:
        raise ValidationError({"codes": ["一次最多核查1000个代码。"]})
    who = _principal_fields(principal)
    dept = who["department"]
    results = selectors.check_answers(
        [str(code) for code in codes],
        department_id=dept.pk if dept else None,
        on=on,
        catalogue=selectors.MeasureCatalogue.current(),
    )
    count = len(results)
    check_ids = _new_check_ids(count)
    answers = [answer for answer, _subject in results]
    columns = {
        "check_id": check_ids,
        "checked_at": [timezone.now()] * count,
        "matter": [matter] * count,
        "code": [a["code"][:40] for a in answers],
        "found": [a["found"] for a in answers],
        "entry_count": [len(a["entries"]) for a in answers],
        "measure_count": [len(a["measures"]) for a in answers],
        "summary": [a["message"][:500] for a in answers],
        "subject_id": [subject.pk if subject is not None else None for _a, subject in results],
        "channel": [who["channel"]] * count,
    }
    for name in ("user", "api_client", "department", "region"):
        columns[f"{name}_id"] = [who[name].pk if who[name] is not None else None] * count
    _insert_check_logs(columns)
    for answer, check_id in zip(answers, check_ids, strict=True):
        answer["check_id"] = str(check_id)
        answer["matter"] = matter
    return answers


# === Sweeps (beat, idempotent, O(due items)) ======================================================


def tasks_sweep_overdue(*, today: date | None = None) -> dict:
    """Remind the department of overdue tasks, then escalate to the credit office."""
    today = _today(today)
    counts = {"reminded": 0, "escalated": 0}
    due = EnforcementTask.objects.filter(
        status=EnforcementTask.Status.PENDING, due_date__lt=today, reminded_at__isnull=True
    ).select_related("department", "measure", "entry__subject")
    for task in due.iterator(chunk_size=500):
        with transaction.atomic():
            if not EnforcementTask.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            _, created = TaskAlert.objects.get_or_create(
                task=task,
                kind=TaskAlert.Kind.REMIND,
                defaults={
                    "department": task.department,
                    "message": f"{task.department}：“{task.measure.name}”（{task.entry.subject}）已超过反馈期限"
                    f"{task.due_date:%Y-%m-%d}，请尽快反馈。",
                },
            )
            counts["reminded"] += created
    escalate = EnforcementTask.objects.filter(
        status=EnforcementTask.Status.PENDING, escalate_on__lt=today, escalated_at__isnull=True
    ).select_related("department", "measure", "entry__subject")
    office = Department.objects.filter(is_credit_office=True, region__parent__isnull=True).first()
    for task in escalate.iterator(chunk_size=500):
        with transaction.atomic():
            if not EnforcementTask.objects.filter(pk=task.pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            ):
                continue
            _, created = TaskAlert.objects.get_or_create(
                task=task,
                kind=TaskAlert.Kind.ESCALATE,
                defaults={
                    "department": office,
                    "message": f"逾期未反馈：{task.department}“{task.measure.name}”（{task.entry.subject}），"
                    f"截止{task.due_date:%Y-%m-%d}，请督办。",
                },
            )
            if created:
                audit.record(action="event", instance=task, subject_id=task.entry.subject_id, reason="逾期报信用办督办")
            counts["escalated"] += created
    return counts


def entries_sweep_expired(*, today: date | None = None) -> dict:
    """Entries whose validity ended are removed automatically and their measures lifted."""
    today = _today(today)
    removed = 0
    qs = ListEntry.objects.filter(status=ListEntry.Status.PUBLISHED, valid_until__lt=today).order_by(
        "source_entry_id", "pk"
    )
    for entry in qs.iterator(chunk_size=200):
        try:
            with transaction.atomic():
                reason = (
                    ListEntry.RemovalReason.ORGANIZATION_REMOVED
                    if entry.source_entry_id
                    else ListEntry.RemovalReason.EXPIRED
                )
                _entry_remove(entry, reason=reason, note=f"有效期至{entry.valid_until:%Y-%m-%d}届满", today=today)
                removed += 1
        except ValidationError:
            continue  # already removed by a concurrent sweep or with its organisation
    return {"removed": removed}


def tasks_recompute_provisional(*, year: int) -> int:
    """Recompute provisional due dates when the holiday schedule of ``year`` is entered."""
    from datetime import date as _date

    profile = get_profile()
    changed = 0
    qs = EnforcementTask.objects.filter(
        due_provisional=True, status=EnforcementTask.Status.PENDING, due_date__gte=_date(year, 1, 1)
    )
    for task in qs.iterator():
        due = profile.feedback_period.due_from(task.started_on)
        escalate = profile.reminder_lead.due_from(due.date)
        changed += EnforcementTask.objects.filter(pk=task.pk, due_provisional=True).update(
            due_date=due.date, escalate_on=escalate.date, due_provisional=due.provisional or escalate.provisional
        )
    for entry in ListEntry.objects.filter(notice_due_provisional=True, notice_due__gte=_date(year, 1, 1)):
        due = profile.notice_period.due_from(entry.notice_sent_on)
        changed += ListEntry.objects.filter(pk=entry.pk, notice_due_provisional=True).update(
            notice_due=due.date, notice_due_provisional=due.provisional
        )
    return changed


# === Change feed and webhook outbox ===============================================================


CHANGE_FEED_LOCK = 0x43484746  # 'CHGF'


def _change(kind: str, *, entry: ListEntry | None = None, measure: Measure | None = None) -> ChangeEvent:
    payload = {"event": kind}
    if entry is not None:
        payload["entry"] = entry_payload(entry)
    if measure is not None:
        payload["measure"] = {
            "code": measure.code,
            "version": measure.version,
            "name": measure.name,
            "status": measure.status,
        }
    # Ids must become visible in id order, or a client reading ``?after=<id>`` could skip an event
    # committed late by a slower transaction: serialise the inserts until commit (PostgreSQL).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_FEED_LOCK])
    change = ChangeEvent.objects.create(
        kind=kind,
        entry=entry,
        measure=measure,
        region_id=entry.region_id if entry else None,
        department_id=entry.initiating_department_id if entry else None,
        payload=payload,
    )
    if entry is not None and kind in (ChangeEvent.Kind.ENTRY_PUBLISHED, ChangeEvent.Kind.ENTRY_REMOVED):
        _queue_webhooks(change, entry)
    return change


def entry_payload(entry: ListEntry) -> dict:
    subject = entry.subject
    return {
        "id": entry.pk,
        "subject": {"name": subject.name, "code": subject.code, "kind": subject.kind},
        "list_type": entry.list_type,
        "category": entry.category,
        "status": entry.status,
        "basis_document": entry.basis_document,
        "initiating_department": entry.initiating_department.uscc,
        "region": entry.region.code,
        "decision_date": entry.decision_date.isoformat(),
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "removal_reason": entry.removal_reason,
        "suspended": entry.is_suspended,
        "source_entry": entry.source_entry_id,
    }


def subscription_matches(sub: WebhookSubscription, entry: ListEntry) -> bool:
    if sub.list_types and entry.list_type not in sub.list_types:
        return False
    if sub.department_id and sub.department_id != entry.initiating_department_id:
        return False
    if sub.region_id and entry.region_id not in sub.region.subtree_ids():
        return False
    return scope_for_client(sub.client).region_allowed(entry.region_id)


def _queue_webhooks(change: ChangeEvent, entry: ListEntry) -> None:
    now = timezone.now()
    subs = WebhookSubscription.objects.filter(is_active=True, client__is_active=True).select_related(
        "client__department__region", "client__region", "region"
    )
    queued = 0
    for sub in subs:
        if subscription_matches(sub, entry):
            WebhookDelivery.objects.get_or_create(subscription=sub, change=change, defaults={"next_attempt_at": now})
            queued += 1
    if queued:
        _on_commit_enqueue("deliver_webhooks")


WEBHOOK_MAX_ATTEMPTS = 10
WEBHOOK_LEASE = timedelta(minutes=5)
WEBHOOK_TIMEOUT = 10


def webhook_backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - admin-set URL
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
        return response.status


def webhook_deliver_due(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Deliver due outbox rows. Each row is claimed with a conditional update (a lease), so two
    sweeps never send the same row at once; failures back off exponentially."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .select_related("subscription", "change")
        .order_by("next_attempt_at", "pk")[:limit]
    )
    for delivery in due:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=now + WEBHOOK_LEASE, attempts=delivery.attempts + 1)
        if not claimed:
            continue
        attempts = delivery.attempts + 1
        body = json.dumps(
            {"id": delivery.change_id, "delivery": delivery.pk, **delivery.change.payload},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "creditsys-webhook/1",
            "X-Creditsys-Event": delivery.change.kind,
            "X-Creditsys-Delivery": str(delivery.pk),
            "X-Creditsys-Signature": webhook_signature(delivery.subscription.secret, timestamp, body),
        }
        error, code = "", None
        try:
            code = _post(delivery.subscription.url, body, headers)
        except urllib.error.HTTPError as exc:
            code, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(exc)[:500] or exc.__class__.__name__
        if code is not None and 200 <= code < 300:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.DELIVERED,
                delivered_at=timezone.now(),
                last_status_code=code,
                last_error="",
            )
            counts["delivered"] += 1
        elif attempts >= WEBHOOK_MAX_ATTEMPTS:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.FAILED, last_status_code=code, last_error=error or f"HTTP {code}"
            )
            counts["failed"] += 1
        else:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=now + webhook_backoff(attempts),
                last_status_code=code,
                last_error=error or f"HTTP {code}",
            )
            counts["retry"] += 1
    return counts
