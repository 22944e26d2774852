"""Deadlines: working days, each item's plan of reminders and escalations, the next action
rescheduled, the beat sweep firing them (once per item and kind), and provisional due dates
recomputed once a year's holidays are entered."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction

from creditsys import audit, workdays
from creditsys.policy import get_profile
from registry.models import User

from ..models import DeadlineEvent, Objection, RepairApplication
from .common import _item_type, _today
from .routing import _notify_staff, credit_office


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
