"""Enforcement tasks (联合奖惩任务): creation, the implementing department's feedback, the beat sweep
of overdue tasks, and the recomputation of provisional due dates (tasks' and entries' notice periods)
once a year's holidays are entered."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from creditsys import audit
from creditsys.policy import get_profile
from registry.models import ApiClient, Department, User
from registry.scoping import Scope

from .. import selectors
from ..models import EnforcementTask, ListEntry, Measure, TaskAlert
from .common import _today


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
