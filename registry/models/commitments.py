"""信用承诺: written credit commitments made by subjects (seeds 尤溪 三(一)/四(二), 孝义 4).

告知承诺 for a licence, 容缺受理 with materials promised by a date, repair commitments and
voluntary public commitments. A commitment not kept by its due date is flagged by the beat sweep
and counts as adverse information (red-list eligibility).
"""

from __future__ import annotations

from django.db import models

from .records import Disclosure
from .subjects import Department, Subject


class Commitment(models.Model):
    class Kind(models.TextChoices):
        NOTIFICATION = "notification", "告知承诺"
        TOLERANCE = "tolerance", "容缺受理承诺"
        REPAIR = "repair", "信用修复承诺"
        VOLUNTARY = "voluntary", "主动公开承诺"
        INDUSTRY = "industry", "行业自律承诺"

    class Status(models.TextChoices):
        PENDING = "pending", "履约中"
        FULFILLED = "fulfilled", "已履约"
        UNKEPT = "unkept", "未履约（失信）"
        WITHDRAWN = "withdrawn", "已撤销"

    subject = models.ForeignKey(Subject, verbose_name="承诺主体", on_delete=models.PROTECT, related_name="commitments")
    number = models.CharField("承诺书编号", max_length=64)
    kind = models.CharField("承诺类型", max_length=16, choices=Kind.choices)
    matter = models.CharField("承诺事项", max_length=200, help_text="如：食品经营许可申请、容缺受理补交材料。")
    content = models.TextField("承诺内容", max_length=4000)
    commitment_date = models.DateField("承诺日期")
    due_date = models.DateField(
        "履约期限", null=True, blank=True, help_text="承诺补交材料或履行义务的期限；到期未履约自动标记。"
    )
    department = models.ForeignKey(
        Department, verbose_name="受理部门", on_delete=models.PROTECT, related_name="commitments"
    )
    disclosure = models.CharField("公开属性", max_length=12, choices=Disclosure.choices, default=Disclosure.PUBLIC)
    status = models.CharField("履约状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_note = models.CharField("履约说明", max_length=500, blank=True)
    flagged_at = models.DateTimeField("标记未履约时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "信用承诺"
        verbose_name_plural = "信用承诺"
        ordering = ["-commitment_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["department", "number"], name="commitment_dept_number_unique"),
            models.CheckConstraint(
                condition=models.Q(due_date__isnull=True) | models.Q(due_date__gte=models.F("commitment_date")),
                name="commitment_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="commitment_status_due_idx")]

    def __str__(self):
        return f"{self.subject} {self.get_kind_display()} {self.number}"
