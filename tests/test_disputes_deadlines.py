"""Deadline sweep and notification outbox: once-only events under reruns, crashes and concurrency."""

import threading
from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from creditsys import notifications
from creditsys.models import AuditEvent, Notification
from disputes import services
from disputes.models import DeadlineEvent, Objection
from disputes.services import deadlines as deadline_service
from registry.models import User

from .disputes_fixtures import *  # noqa: F403  (fixtures)

RECEIVED = date(2026, 3, 2)


@pytest.fixture
def staff(dept_a, credit_office):
    User.objects.create_user("clerk_mail", email="clerk@example.cn", role="clerk", department=dept_a)
    User.objects.create_user("coord_mail", email="coord@example.cn", role="coordinator", department=credit_office)


def _objections(file_objection, penalty, n):
    return [file_objection("penalty", penalty.pk, today=RECEIVED) for _ in range(n)]


@pytest.mark.django_db
def test_reminder_before_and_escalation_after_once(penalty, file_objection, staff, dept_a, credit_office):
    objection = file_objection("penalty", penalty.pk, today=RECEIVED)
    assert objection.next_action == "remind" and objection.remind_on < objection.due_date
    assert services.deadlines_sweep(today=objection.remind_on - timedelta(days=1))["fired"] == 0
    assert services.deadlines_sweep(today=objection.remind_on)["fired"] == 1
    assert services.deadlines_sweep(today=objection.remind_on)["fired"] == 0  # run twice: nothing new
    assert services.deadlines_sweep(today=objection.due_date)["fired"] == 0
    after = objection.due_date + timedelta(days=1)
    assert services.deadlines_sweep(today=after)["fired"] == 1
    assert services.deadlines_sweep(today=after + timedelta(days=5))["fired"] == 0
    kinds = set(DeadlineEvent.objects.values_list("kind", flat=True))
    assert kinds == {"remind", "escalate"}
    assert Notification.objects.filter(channel="inbox", recipient_department_id=credit_office.pk).count() == 1
    assert Notification.objects.filter(channel="email", recipient_email="coord@example.cn").count() == 1
    assert AuditEvent.objects.filter(object_type="disputes.objection", action="event").count() == 2
    objection.refresh_from_db()
    assert objection.next_action_on is None


@pytest.mark.django_db
def test_sweep_only_reads_due_items(penalty, file_objection):
    _objections(file_objection, penalty, 3)
    Objection.objects.update(next_action_on=None)  # e.g. decided ones
    with mock.patch.object(deadline_service, "_fire") as fire:
        services.deadlines_sweep(today=date(2026, 12, 31))
    fire.assert_not_called()


@pytest.mark.django_db
def test_crash_half_way_then_next_sweep_finishes(penalty, file_objection):
    items = _objections(file_objection, penalty, 4)
    day = items[0].remind_on
    real_fire = deadline_service._fire
    calls = {"n": 0}

    def crashing(item, today):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real_fire(item, today)

    with mock.patch.object(deadline_service, "_fire", crashing), pytest.raises(RuntimeError):
        services.deadlines_sweep(today=day)
    assert DeadlineEvent.objects.count() == 2
    assert services.deadlines_sweep(today=day)["fired"] == 2
    assert DeadlineEvent.objects.filter(kind="remind").count() == 4
    inbox = Notification.objects.filter(channel="inbox", dedupe_key__contains=":remind:")
    assert inbox.count() == 4


@pytest.mark.django_db
def test_event_already_recorded_is_not_notified_again(penalty, file_objection):
    """A crash after the event row but before rescheduling: the rerun notifies nothing twice."""
    objection = file_objection("penalty", penalty.pk, today=RECEIVED)
    services.deadlines_sweep(today=objection.remind_on)
    Objection.objects.filter(pk=objection.pk).update(next_action="remind", next_action_on=objection.remind_on)
    before = Notification.objects.count()
    assert services.deadlines_sweep(today=objection.remind_on)["fired"] == 0
    assert Notification.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_fire_each_event_once(postgres, penalty, file_objection, staff):
    items = _objections(file_objection, penalty, 6)
    day = items[0].remind_on
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            services.deadlines_sweep(today=day)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert DeadlineEvent.objects.count() == 6
    assert Notification.objects.filter(channel="inbox", dedupe_key__contains=":remind:").count() == 6
    assert Notification.objects.filter(channel="email", dedupe_key__contains=":remind:").count() == 6


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_exactly_one_decision(postgres, listed_penalty, file_objection, reviewer_a):
    from registry.scoping import scope_for_user

    penalty, entry = listed_penalty
    objection = file_objection("penalty", penalty.pk)
    second = User.objects.create_user("reviewer_a2", role="reviewer", department=reviewer_a.department)
    barrier = threading.Barrier(2)
    results = []

    def decide(user, decision):
        try:
            barrier.wait(timeout=10)
            services.objection_decide(
                scope=scope_for_user(user),
                objection=Objection.objects.get(pk=objection.pk),
                decision=decision,
                reasons=f"{user}核实",
                user=user,
            )
            results.append(("ok", decision))
        except Exception as exc:  # noqa: BLE001
            results.append(("error", type(exc).__name__))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(reviewer_a, "uphold")),
        threading.Thread(target=decide, args=(second, "revoke")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    oks = [r for r in results if r[0] == "ok"]
    assert len(oks) == 1 and [r for r in results if r[0] == "error"] == [("error", "ValidationError")]
    objection.refresh_from_db()
    assert objection.decision == oks[0][1]
    assert Notification.objects.filter(channel="applicant", dedupe_key__contains=":decided:").count() == 1


# --- outbox ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outbox_sends_after_commit_once_and_retries(penalty, file_objection, staff, mailoutbox):
    file_objection("penalty", penalty.pk, today=RECEIVED)
    pending = Notification.objects.filter(channel="email", status="pending")
    assert pending.count() == 1
    with mock.patch("creditsys.notifications.send_mail", side_effect=OSError("smtp down")):
        assert notifications.deliver_due()["retry"] == 1
    row = Notification.objects.get(channel="email")
    assert row.status == "pending" and row.attempts == 1 and "smtp down" in row.last_error
    assert notifications.deliver_due()["sent"] == 0  # not yet due again
    later = timezone.now() + timedelta(hours=1)
    assert notifications.deliver_due(now=later)["sent"] == 1
    assert notifications.deliver_due(now=later)["sent"] == 0
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["clerk@example.cn"]


@pytest.mark.django_db
def test_notify_is_deduplicated(db):
    a, created_a = notifications.notify(key="k1", channel="inbox", title="t", department_id=1)
    b, created_b = notifications.notify(key="k1", channel="inbox", title="t", department_id=1)
    assert created_a and not created_b and a.pk == b.pk


@pytest.mark.django_db
def test_filing_survives_broker_down(penalty, file_objection, staff, django_capture_on_commit_callbacks):
    with mock.patch("creditsys.tasks.deliver_notifications.apply_async", side_effect=ConnectionError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            objection = file_objection("penalty", penalty.pk, today=RECEIVED)
    assert Objection.objects.filter(pk=objection.pk).exists()
    assert Notification.objects.filter(channel="email", status="pending").count() == 1


def test_celery_worker_runs_the_sweep(celery_worker_process, penalty, file_objection):
    from disputes.tasks import deadlines_sweep

    file_objection("penalty", penalty.pk, today=timezone.localdate() - timedelta(days=40))
    result = deadlines_sweep.apply_async(queue=celery_worker_process)
    assert result.get(timeout=60)["fired"] >= 1
    assert DeadlineEvent.objects.count() >= 1
