"""Objections 异议 and credit repair 信用修复 (SPEC §9, §10), their attachments and deadline events.

Every deadline is a stored date. ``next_action``/``next_action_on`` hold the next deadline event of an
open item (a reminder before the due date, an escalation after it); the beat sweep reads them through
a partial index on open items only, so its cost grows with what is due, not with all rows.
``DeadlineEvent`` is unique per (item, event kind): an event fires once even if sweeps overlap.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    PUBLIC = "public", "信用网站"
    WEB = "web", "窗口受理（工作台）"
    API = "api", "系统接口"


class ApplicantFields(models.Model):
    """Tracking number, hashed query code and the applicant (ID number never in clear)."""

    tracking_number = models.CharField("申请编号", max_length=24, unique=True)
    query_code_hash = models.CharField(max_length=64, editable=False)
    channel = models.CharField("受理渠道", max_length=10, choices=Channel.choices)
    subject = models.ForeignKey("registry.Subject", verbose_name="信用主体", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "registry.Department", verbose_name="承办部门", on_delete=models.PROTECT, related_name="+"
    )
    applicant_name = models.CharField("申请人", max_length=100)
    applicant_id_hmac = models.CharField(max_length=64, editable=False, db_index=True)
    applicant_id_encrypted = models.TextField(editable=False)
    applicant_id_masked = models.CharField("申请人身份证号码", max_length=30)
    applicant_phone = models.CharField("联系电话", max_length=30)
    received_on = models.DateField("收到日期")
    next_action = models.CharField("下一期限事件", max_length=20, blank=True)
    next_action_on = models.DateField("下一期限事件日期", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="决定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by_name = models.CharField("决定人", max_length=150, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decision_reasons = models.TextField("决定理由", max_length=2000, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.tracking_number


class Objection(ApplicantFields):
    class TargetKind(models.TextChoices):
        PENALTY = "penalty", "行政处罚信息"
        LICENSE = "license", "行政许可信息"
        ENTRY = "entry", "名单记录"
        PUBLICATION = "publication", "处罚信息公示期限"

    class Status(models.TextChoices):
        OPEN = "open", "核实中（存在异议）"
        DECIDED = "decided", "已办结"

    class Decision(models.TextChoices):
        CORRECT = "correct", "更正"
        REVOKE = "revoke", "撤销"
        UPHOLD = "uphold", "维持"

    target_kind = models.CharField("异议对象", max_length=12, choices=TargetKind.choices)
    penalty = models.ForeignKey(
        "registry.PenaltyRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    license = models.ForeignKey(
        "registry.LicenseRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    entry = models.ForeignKey(
        "sanctions.ListEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    reason = models.TextField("异议理由", max_length=4000)
    is_agent = models.BooleanField("代理人申请", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField("核实期限")
    due_provisional = models.BooleanField("期限为临时计算", default=False)
    remind_on = models.DateField("提醒日期")
    suspended_entry_ids = models.JSONField("已暂停措施的名单记录", default=list, blank=True)
    decision = models.CharField("处理结果", max_length=10, choices=Decision.choices, blank=True)
    routed_note = models.CharField("转办说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "异议申请"
        verbose_name_plural = "异议申请"
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(
                fields=["next_action_on"], name="objection_next_action_idx", condition=Q(next_action_on__isnull=False)
            ),
            models.Index(fields=["department", "status"], name="objection_dept_status_idx"),
            models.Index(fields=["subject", "status"], name="objection_subject_status_idx"),
        ]

    @property
    def target(self):
        return self.entry or self.license or self.penalty

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def kind_label(self) -> str:
        return "异议申请"


class RepairApplication(ApplicantFields):
    class TargetKind(models.TextChoices):
        PENALTY = "penalty", "行政处罚信息"
        ENTRY = "entry", "名单记录"

    class Status(models.TextChoices):
        RECEIVED = "received", "待受理"
        ACCEPTED = "accepted", "已受理（审核中）"
        NOT_ACCEPTED = "not_accepted", "不予受理"
        APPROVED = "approved", "修复成功"
        REJECTED = "rejected", "不予修复"

    OPEN_STATUSES = (Status.RECEIVED, Status.ACCEPTED)

    target_kind = models.CharField("修复对象", max_length=12, choices=TargetKind.choices)
    penalty = models.ForeignKey(
        "registry.PenaltyRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="repairs"
    )
    entry = models.ForeignKey(
        "sanctions.ListEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="repairs"
    )
    statement = models.TextField("申请说明（纠正失信行为、消除不良影响的情况）", max_length=4000)
    status = models.CharField("状态", max_length=14, choices=Status.choices, default=Status.RECEIVED)
    accept_due = models.DateField("受理期限")
    accept_due_provisional = models.BooleanField("受理期限为临时计算", default=False)
    decision_due = models.DateField("办结期限")
    decision_due_provisional = models.BooleanField("办结期限为临时计算", default=False)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accept_note = models.CharField("受理意见", max_length=500, blank=True)
    false_materials = models.BooleanField("提供虚假材料", default=False)
    repair_statement = models.TextField("修复说明（公示）", max_length=2000, blank=True)
    statement_published_at = models.DateTimeField("修复说明公示时间", null=True, blank=True)

    class Meta:
        verbose_name = "信用修复申请"
        verbose_name_plural = "信用修复申请"
        ordering = ["decision_due", "pk"]
        indexes = [
            models.Index(
                fields=["next_action_on"], name="repair_next_action_idx", condition=Q(next_action_on__isnull=False)
            ),
            models.Index(fields=["department", "status"], name="repair_dept_status_idx"),
            models.Index(fields=["subject", "status"], name="repair_subject_status_idx"),
        ]

    @property
    def target(self):
        return self.entry or self.penalty

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def due_date(self):
        return self.accept_due if self.status == self.Status.RECEIVED else self.decision_due

    @property
    def due_provisional(self) -> bool:
        return self.accept_due_provisional if self.status == self.Status.RECEIVED else self.decision_due_provisional

    @property
    def kind_label(self) -> str:
        return "信用修复申请"


class Attachment(models.Model):
    """An uploaded material, stored under MEDIA_ROOT (outside the web root) and served only by a
    permission-checked workbench view."""

    class Kind(models.TextChoices):
        APPLICATION = "application", "申请书"
        COMMITMENT = "commitment", "信用承诺书"
        PROOF = "proof", "履行义务证明材料"
        AUTHORIZATION = "authorization", "授权委托书"
        EVIDENCE = "evidence", "证明材料"
        OTHER = "other", "其他材料"

    objection = models.ForeignKey(
        Objection, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    repair = models.ForeignKey(
        RepairApplication, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField("材料类型", max_length=14, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField("文件", upload_to="disputes/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(objection__isnull=False, repair__isnull=True)
                | Q(objection__isnull=True, repair__isnull=False),
                name="attachment_one_owner",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"


class DeadlineEvent(models.Model):
    """A reminder or escalation that fired; unique per (item, kind) so it fires exactly once."""

    class Kind(models.TextChoices):
        REMIND = "remind", "到期提醒"
        ESCALATE = "escalate", "逾期报信用办"
        ACCEPT_REMIND = "accept_remind", "受理期限提醒"
        ACCEPT_ESCALATE = "accept_escalate", "受理逾期报信用办"
        DECIDE_REMIND = "decide_remind", "办结期限提醒"
        DECIDE_ESCALATE = "decide_escalate", "办结逾期报信用办"

    item_type = models.CharField("事项类型", max_length=10)  # objection / repair
    item_id = models.BigIntegerField("事项ID")
    kind = models.CharField("事件", max_length=20, choices=Kind.choices)
    due_date = models.DateField("期限")
    fired_on = models.DateField("触发日期")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "期限事件"
        verbose_name_plural = "期限事件"
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["item_type", "item_id", "kind"], name="deadline_event_unique"),
        ]

    def __str__(self):
        return f"{self.item_type}#{self.item_id} {self.get_kind_display()}"
