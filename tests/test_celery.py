"""A task executed by a real Celery worker process against Redis and PostgreSQL."""

import pytest
from django.utils import timezone

from creditsys import tasks
from creditsys.models import CalendarYear


@pytest.mark.redis
def test_task_runs_in_a_real_worker(celery_worker_process):
    assert tasks.ping.apply_async(args=["世界"], queue=celery_worker_process).get(timeout=60) == "pong:世界"
    next_year = timezone.localdate().year + 1
    before = tasks.check_next_year_calendar.apply_async(queue=celery_worker_process).get(timeout=60)
    assert before == {"year": next_year, "known": False, "alert": timezone.localdate().month >= 11}
    # Data committed here is what the worker reads: entering next year's schedule changes its answer.
    CalendarYear.objects.create(year=next_year, complete=True, source="测试")
    after = tasks.check_next_year_calendar.apply_async(queue=celery_worker_process).get(timeout=60)
    assert after == {"year": next_year, "known": True, "alert": False}


def test_beat_schedule_names_existing_tasks():
    from django.conf import settings

    from creditsys.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
