"""List entries (名单): propose, four-eyes review, notify, publish (which starts joint action and
records the organisation's answerable persons), suspend, resume, correct, remove, and the sweep of
expired entries."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from creditsys import audit
from creditsys.policy import get_profile
from registry.models import Department, Subject, SubjectRelation, User
from registry.scoping import Scope

from .. import selectors
from ..models import BlackCategory, ChangeEvent, EnforcementTask, ListEntry, ListType
from .changes import _change
from .common import _STALE, _today
from .enforcement import task_create

_NO_SCOPE = "您无权处理该名单记录（不属于本部门/本区划）。"
REVIEWER_ROLES = (User.Role.REVIEWER, User.Role.COORDINATOR, User.Role.COUNTY_COORDINATOR, User.Role.ADMIN)
ANSWERABLE_ROLES = (
    SubjectRelation.Role.LEGAL_REPRESENTATIVE,
    SubjectRelation.Role.PRINCIPAL,
    SubjectRelation.Role.DIRECTLY_RESPONSIBLE,
)


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
