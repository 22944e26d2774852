"""The sanctions panel of the workbench home page (registered in ``SanctionsConfig.ready``)."""

from django.urls import reverse
from django.utils import timezone

from .models import EnforcementTask, ListEntry
from .selectors import visible_entries, visible_tasks


def home_panel(*, user, scope) -> dict:
    today = timezone.localdate()
    pending = visible_tasks(scope).filter(status=EnforcementTask.Status.PENDING)
    items = [
        {
            "label": "待反馈的奖惩任务",
            "count": pending.count(),
            "url": reverse("sanctions:task-list") + "?status=pending",
        },
        {
            "label": "逾期未反馈",
            "count": pending.filter(due_date__lt=today).count(),
            "url": reverse("sanctions:task-list") + "?status=overdue",
            "alert": True,
        },
    ]
    if user.role in ("reviewer", "coordinator", "county_coordinator", "admin") or user.is_superuser:
        items.append(
            {
                "label": "待审核的名单",
                "count": visible_entries(scope).filter(status=ListEntry.Status.UNDER_REVIEW).count(),
                "url": reverse("sanctions:entry-list") + "?status=under_review",
            }
        )
    return {"title": "联合奖惩", "order": 10, "items": items}
