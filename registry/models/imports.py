"""Excel/CSV import jobs: the file, its progress and its outcome, kept in the database so that the
workbench can show progress and a killed worker can be resumed (rows are upserted idempotently)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .subjects import Department


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        PENALTY = "penalty", "行政处罚"
        LICENSE = "license", "行政许可"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("数据类别", max_length=10, choices=Kind.choices)
    file = models.FileField("文件", upload_to="imports/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    department = models.ForeignKey(Department, verbose_name="导入部门", null=True, on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField("总行数", null=True, blank=True)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    created_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("未变化", default=0)
    rejected_count = models.PositiveIntegerField("拒收", default=0)
    errors = models.JSONField("拒收明细（前200行）", default=list, blank=True)
    error_report = models.FileField("错误报告", upload_to="imports/reports/%Y/%m/", blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}导入 {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
