"""Cross-cutting data: the working-day calendar and the append-only audit log."""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import models


class CalendarYear(models.Model):
    """A year whose State Council holiday schedule an administrator has entered.

    Once a year is marked complete, its ``CalendarDay`` rows are authoritative: other weekdays are
    working days and other weekend days are rest days. Until then deadlines in that year rely on
    chinesecalendar (up to 2026) or are provisional.
    """

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    complete = models.BooleanField(
        "安排已完整录入", default=False, help_text="录入全年节假日和调休上班日后勾选；勾选后该年期限不再是临时计算。"
    )
    source = models.CharField("依据", max_length=200, blank=True, help_text="如：国办发明电〔2026〕X号")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "节假日安排年度"
        verbose_name_plural = "节假日安排年度"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年" + ("（已完整）" if self.complete else "（未完整）")


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日（休息）"
        WORKDAY = "workday", "调休上班日"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=40, blank=True, help_text="如：春节、国庆节")

    class Meta:
        verbose_name = "节假日/调休日"
        verbose_name_plural = "节假日/调休日"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"


class AuditEvent(models.Model):
    """Append-only, hash-chained record of a change or of a read of non-public data (SPEC §14).

    Each row's ``hash`` covers its content and the previous row's hash, so altering or deleting a
    row breaks the chain; ``manage.py verify_audit_log`` checks it.
    """

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        READ = "read", "查看非公开信息"
        EVENT = "event", "系统事件"

    created_at = models.DateTimeField("时间", db_index=True)
    action = models.CharField("动作", max_length=10, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=60)
    object_id = models.CharField("对象ID", max_length=64)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    # The subject a change concerns, so a subject page can show its whole history.
    subject_id = models.BigIntegerField("相关主体ID", null=True, blank=True, db_index=True)
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)
    actor = models.CharField("操作人", max_length=150, blank=True)
    channel = models.CharField("渠道", max_length=10, blank=True)
    request_id = models.CharField("请求号", max_length=64, blank=True)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    reason = models.CharField("事由", max_length=500, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        # A constraint rather than ``unique=True``: the same unique index, without the second
        # (pattern-matching) index Django adds for unique text columns on PostgreSQL, which nothing
        # reads and every append had to update.
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_hash_unique")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("审计日志只能追加，不能删除。")

    def canonical_content(self) -> bytes:
        data = {
            "created_at": self.created_at.isoformat(),
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "subject_id": self.subject_id,
            "actor_id": self.actor_id,
            "actor": self.actor,
            "channel": self.channel,
            "request_id": self.request_id,
            "ip": self.ip,
            "reason": self.reason,
            "before": self.before,
            "after": self.after,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.canonical_content()).hexdigest()


class Notification(models.Model):
    """One message to one recipient, written in the business transaction (the outbox, SPEC §3).

    ``dedupe_key`` is unique: a sweep that runs twice, crashes half-way or runs in two workers at once
    cannot create a second copy. In-app (inbox) and applicant messages are visible as soon as their
    transaction commits; e-mails stay ``pending`` until the outbox delivery (a task nudged after commit,
    and a beat sweep as the safety net when the broker is down) has sent them, with retries.
    Recipients are plain ids: this lowest layer does not depend on the registry's tables.
    """

    class Channel(models.TextChoices):
        INBOX = "inbox", "站内消息"
        EMAIL = "email", "电子邮件"
        APPLICANT = "applicant", "申请人消息"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已送达"
        FAILED = "failed", "发送失败"

    dedupe_key = models.CharField("去重键", max_length=200, unique=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    recipient_user_id = models.BigIntegerField("接收用户ID", null=True, blank=True, db_index=True)
    recipient_department_id = models.BigIntegerField("接收部门ID", null=True, blank=True, db_index=True)
    recipient_email = models.EmailField("接收邮箱", blank=True)
    tracking_number = models.CharField("申请编号", max_length=40, blank=True, db_index=True)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", max_length=4000, blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.SENT)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The outbox sweep reads only what is waiting (cost grows with pending mail, not all rows).
            models.Index(
                fields=["next_attempt_at"],
                name="notification_outbox_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.title}"
