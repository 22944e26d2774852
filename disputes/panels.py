"""The objections and repairs panel of the workbench home page (registered in ``ready``)."""

from django.urls import reverse
from django.utils import timezone

from creditsys.notifications import inbox_for

from .models import Objection, RepairApplication
from .selectors import visible_objections, visible_repairs


def home_panel(*, user, scope) -> dict:
    today = timezone.localdate()
    objections = visible_objections(scope).filter(status=Objection.Status.OPEN)
    repairs = visible_repairs(scope).filter(status__in=RepairApplication.OPEN_STATUSES)
    return {
        "title": "异议与信用修复",
        "order": 20,
        "items": [
            {"label": "核实中的异议", "count": objections.count(), "url": reverse("disputes:objection-list")},
            {
                "label": "逾期的异议",
                "count": objections.filter(due_date__lt=today).count(),
                "url": reverse("disputes:objection-list"),
                "alert": True,
            },
            {"label": "办理中的修复申请", "count": repairs.count(), "url": reverse("disputes:repair-list")},
            {
                "label": "未读消息",
                "count": inbox_for(user).filter(read_at__isnull=True).count(),
                "url": reverse("disputes:inbox"),
            },
        ],
    }
