"""Joint rewards and sanctions (SPEC §6–§8): measures, memoranda, list entries, enforcement tasks,
the check log, the change feed and the county webhook outbox.

State changes happen only in ``sanctions.services``; status moves are conditional UPDATEs
(``filter(pk=..., status=old).update(status=new)``) so two people acting at once get one result.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from creditsys.ids import uuid7


class ListType(models.TextChoices):
    RED = "red", "守信激励对象名单（红名单）"
    FOCUS = "focus", "重点关注名单"
    BLACK = "black", "严重失信主体名单（黑名单）"


LIST_TYPE_SHORT = {"red": "红名单", "focus": "重点关注名单", "black": "黑名单"}


class BlackCategory(models.TextChoices):
    HEALTH_SAFETY = "health_safety", "严重危害人民群众身体健康和生命安全"
    MARKET_ORDER = "market_order", "严重破坏市场公平竞争秩序和社会正常秩序"
    LEGAL_OBLIGATION = "legal_obligation", "拒不履行法定义务，严重影响司法机关、行政机关公信力（含失信被执行人）"
    DEFENSE = "defense", "拒不履行国防义务"
    OTHER = "other", "法律、行政法规规定的其他严重失信行为"


class SubjectTarget(models.TextChoices):
    ORGANIZATION = "organization", "法人和非法人组织（含个体工商户）"
    NATURAL_PERSON = "natural_person", "自然人"
    ANSWERABLE_PERSON = "answerable_person", "相关责任人（法定代表人、主要负责人、直接责任人员）"


class Memorandum(models.Model):
    """合作备忘录: binds signing departments to measures for a list type (and categories)."""

    number = models.CharField("文号", max_length=100, unique=True)
    title = models.CharField("标题", max_length=200)
    signed_on = models.DateField("签署日期", null=True, blank=True)
    signing_departments = models.ManyToManyField(
        "registry.Department", verbose_name="签署部门", related_name="memoranda", blank=True
    )
    list_type = models.CharField("适用名单", max_length=10, choices=ListType.choices)
    categories = models.JSONField("适用类别", default=list, blank=True, help_text="为空表示该名单的所有类别。")
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "合作备忘录"
        verbose_name_plural = "合作备忘录"
        ordering = ["number"]

    def __str__(self):
        return f"{self.title}（{self.number}）"

    def covers(self, list_type: str, category: str) -> bool:
        return (
            self.is_active
            and self.list_type == list_type
            and (not self.categories or not category or category in self.categories)
        )


class Measure(models.Model):
    """One version of a reward or sanction measure (措施清单). Only ``published`` versions apply."""

    class Kind(models.TextChoices):
        INCENTIVE = "incentive", "激励措施"
        PUNISHMENT = "punishment", "惩戒措施"

    class NationalClass(models.IntegerChoices):
        ONE = 1, "一类：公共管理机构依法减损权益或增加义务"
        TWO = 2, "二类：公共管理机构管理措施"
        THREE = 3, "三类：市场与行业组织自主措施"

    class Binding(models.TextChoices):
        MANDATORY = "mandatory", "强制性"
        RECOMMENDED = "recommended", "推荐性"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已公布"
        RETIRED = "retired", "已废止"

    code = models.CharField("措施编号", max_length=20)
    version = models.PositiveIntegerField("版本", default=1)
    name = models.CharField("措施名称", max_length=300)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    national_class = models.PositiveSmallIntegerField(
        "全国清单分类", choices=NationalClass.choices, null=True, blank=True, help_text="惩戒措施适用；激励措施不分类。"
    )
    binding = models.CharField("约束性", max_length=12, choices=Binding.choices, default=Binding.MANDATORY)
    legal_basis = models.TextField("法律依据（法律法规及条款）")
    field = models.CharField("领域", max_length=50, blank=True)
    list_types = models.JSONField("适用名单", default=list)
    categories = models.JSONField("适用失信类别", default=list, blank=True, help_text="为空表示所有类别。")
    subject_kinds = models.JSONField("适用对象", default=list)
    for_clean_record = models.BooleanField(
        "适用于连续无不良信用记录主体",
        default=False,
        help_text="激励措施：连续三年（按政策配置）无不良信用记录的主体即使未列入红名单也可享受（如绿色通道、容缺受理）。",
    )
    implementing_departments = models.ManyToManyField(
        "registry.Department", verbose_name="实施部门", related_name="measures", blank=True
    )
    implementing_department_names = models.JSONField(
        "实施部门（清单原文）", default=list, blank=True, help_text="措施清单列明的实施部门名称。"
    )
    memorandum = models.ForeignKey(
        Memorandum,
        verbose_name="合作备忘录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    source = models.CharField("来源", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    previous = models.ForeignKey(
        "self", verbose_name="上一版本", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    retired_at = models.DateTimeField("废止时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "奖惩措施"
        verbose_name_plural = "奖惩措施清单"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="measure_code_version_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="published"), name="measure_one_published_version"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="measure_status_kind_idx")]

    def __str__(self):
        return f"{self.code} v{self.version} {self.name}"


class ListEntry(models.Model):
    """An entry of a subject on the red, focus or black list (SPEC §6)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        UNDER_REVIEW = "under_review", "待审核"
        APPROVED = "approved", "已审核待告知"
        NOTIFIED = "notified", "已告知（陈述申辩期）"
        PUBLISHED = "published", "已公布"
        REMOVED = "removed", "已移出"

    class RemovalReason(models.TextChoices):
        EXPIRED = "expired", "期满移出"
        REPAIRED = "repaired", "信用修复移出"
        REVOKED_OBJECTION = "revoked_objection", "异议撤销"
        REVOKED_COURT = "revoked_court", "法院撤销"
        WITHDRAWN = "withdrawn", "主动撤回"
        DISQUALIFIED = "disqualified", "失去守信激励资格（列入严重失信主体名单）"
        ORGANIZATION_REMOVED = "organization_removed", "所在组织的名单记录已移出"

    subject = models.ForeignKey(
        "registry.Subject", verbose_name="信用主体", on_delete=models.PROTECT, related_name="list_entries"
    )
    region = models.ForeignKey(
        "registry.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="list_entries"
    )
    list_type = models.CharField("名单类型", max_length=10, choices=ListType.choices)
    category = models.CharField("失信类别", max_length=30, choices=BlackCategory.choices, blank=True)
    basis_document = models.CharField("认定文书号", max_length=100)
    legal_basis = models.TextField("认定依据（法律法规）")
    facts = models.TextField("认定事实", blank=True)
    initiating_department = models.ForeignKey(
        "registry.Department", verbose_name="认定部门", on_delete=models.PROTECT, related_name="initiated_entries"
    )
    decision_date = models.DateField("认定日期")
    valid_from = models.DateField("有效期自")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    status = models.CharField("状态", max_length=15, choices=Status.choices, default=Status.DRAFT)
    # Four-eyes: proposer and reviewer (users in the workbench, names attested by county systems via API).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposer_name = models.CharField("提出人姓名", max_length=50, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewer_name = models.CharField("审核人姓名", max_length=50, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    notice_sent_on = models.DateField("告知日期", null=True, blank=True)
    notice_due = models.DateField("陈述申辩截止日", null=True, blank=True)
    notice_due_provisional = models.BooleanField("截止日为临时计算", default=False)
    statement_waived = models.BooleanField("当事人放弃陈述申辩", default=False)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    removed_at = models.DateTimeField("移出时间", null=True, blank=True)
    removal_reason = models.CharField("移出原因", max_length=25, choices=RemovalReason.choices, blank=True)
    removal_note = models.CharField("移出说明", max_length=500, blank=True)
    is_suspended = models.BooleanField("措施暂停执行", default=False)
    suspension_reason = models.CharField("暂停原因", max_length=300, blank=True)
    suspended_at = models.DateTimeField("暂停时间", null=True, blank=True)
    # "落实到人": an entry recorded against an answerable person of a listed organisation.
    source_entry = models.ForeignKey(
        "self",
        verbose_name="所在组织的名单记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived_entries",
    )
    relation_role = models.CharField("与组织的关系", max_length=30, blank=True)
    created_via = models.CharField("录入渠道", max_length=10, default="web")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "名单记录"
        verbose_name_plural = "名单记录"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["subject", "status"], name="entry_subject_status_idx"),
            models.Index(fields=["status", "valid_until"], name="entry_status_until_idx"),
            models.Index(fields=["region", "status"], name="entry_region_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="entry_dates_ordered",
            ),
            models.UniqueConstraint(fields=["source_entry", "subject"], name="entry_derived_unique"),
        ]

    def __str__(self):
        return f"{self.subject} · {LIST_TYPE_SHORT.get(self.list_type, self.list_type)} · {self.basis_document}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def short_type(self) -> str:
        return LIST_TYPE_SHORT.get(self.list_type, self.list_type)


class EnforcementTask(models.Model):
    """发起—响应—反馈: one (entry, measure version, implementing department), to apply or to lift."""

    class Kind(models.TextChoices):
        APPLY = "apply", "实施措施"
        LIFT = "lift", "解除措施"

    class Status(models.TextChoices):
        PENDING = "pending", "待反馈"
        ANSWERED = "answered", "已反馈"
        CANCELLED = "cancelled", "已撤销"

    class Outcome(models.TextChoices):
        APPLIED = "applied", "已实施"
        NOT_APPLICABLE = "not_applicable", "不适用（无相关事项）"
        LIFTED = "lifted", "已解除"

    entry = models.ForeignKey(ListEntry, verbose_name="名单记录", on_delete=models.PROTECT, related_name="tasks")
    measure = models.ForeignKey(Measure, verbose_name="措施（版本）", on_delete=models.PROTECT, related_name="tasks")
    department = models.ForeignKey(
        "registry.Department", verbose_name="实施部门", on_delete=models.PROTECT, related_name="enforcement_tasks"
    )
    kind = models.CharField("任务类型", max_length=10, choices=Kind.choices, default=Kind.APPLY)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    started_on = models.DateField("起算日")
    due_date = models.DateField("反馈截止日")
    due_provisional = models.BooleanField("截止日为临时计算", default=False)
    escalate_on = models.DateField("逾期报信用办日期")
    reminded_at = models.DateTimeField("逾期提醒时间", null=True, blank=True)
    escalated_at = models.DateTimeField("报信用办时间", null=True, blank=True)
    outcome = models.CharField("执行情况", max_length=20, choices=Outcome.choices, blank=True)
    matter_name = models.CharField("事项名称", max_length=200, blank=True)
    matter_number = models.CharField("事项编号", max_length=100, blank=True)
    action_date = models.DateField("执行日期", null=True, blank=True)
    result = models.CharField("执行结果", max_length=500, blank=True)
    remarks = models.CharField("备注", max_length=500, blank=True)
    answered_at = models.DateTimeField("反馈时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="反馈人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_by_client = models.ForeignKey(
        "registry.ApiClient", verbose_name="反馈系统", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "联合奖惩任务"
        verbose_name_plural = "联合奖惩任务"
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "measure", "department", "kind"], name="task_unique"),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="task_dept_status_idx"),
            models.Index(fields=["status", "due_date"], name="task_status_due_idx"),
            models.Index(fields=["status", "escalate_on"], name="task_status_escalate_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.measure.name} → {self.department}"

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.PENDING and self.due_date < today


class TaskAlert(models.Model):
    """A reminder (to the department) or an escalation (to the credit office) of an overdue task.

    The unique key (task, kind) makes the sweep idempotent: running it twice alerts once.
    """

    class Kind(models.TextChoices):
        REMIND = "remind", "逾期提醒"
        ESCALATE = "escalate", "逾期报信用办"

    task = models.ForeignKey(EnforcementTask, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    department = models.ForeignKey(
        "registry.Department",
        verbose_name="接收部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    message = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "任务提醒"
        verbose_name_plural = "任务提醒"
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["task", "kind"], name="taskalert_unique")]

    def __str__(self):
        return self.message


def _log_reference(model, verbose_name: str):
    """An optional reference of the check log: kept by Django, not by a database constraint or a
    single-column index (see ``CheckLog``)."""
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class CheckLog(models.Model):
    """查询留痕: who checked which code, for which matter, and what the answer was.

    An append-only, high-volume log (a batch check writes 1,000 rows): its references are kept by
    Django (``PROTECT``) without database foreign-key constraints, whose per-row checks at commit
    cost more than the insert itself and made concurrent checks of one client contend on the same
    parent rows; only the indexes the reads and the ``PROTECT`` lookups need are kept (partial on the
    columns that are empty for half the rows).
    """

    check_id = models.UUIDField("核查编号", default=uuid7, unique=True, editable=False)
    checked_at = models.DateTimeField("核查时间", auto_now_add=True, db_index=True)
    user = _log_reference(settings.AUTH_USER_MODEL, "核查人")
    api_client = _log_reference("registry.ApiClient", "核查系统")
    department = _log_reference("registry.Department", "核查部门")  # checklog_dept_idx starts with it
    region = _log_reference("registry.Region", "核查区划")
    channel = models.CharField("渠道", max_length=10, default="web")
    matter = models.CharField("办理事项", max_length=200)
    code = models.CharField("查询代码（脱敏）", max_length=40)
    subject = _log_reference("registry.Subject", "信用主体")
    found = models.BooleanField("找到主体", default=False)
    entry_count = models.PositiveIntegerField("有效名单数", default=0)
    measure_count = models.PositiveIntegerField("适用措施数", default=0)
    summary = models.CharField("结果摘要", max_length=500)

    class Meta:
        verbose_name = "核查记录"
        verbose_name_plural = "核查记录（查询留痕）"
        ordering = ["-checked_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "checked_at"], name="checklog_dept_idx"),
            models.Index(fields=["region", "checked_at"], name="checklog_region_idx"),
            models.Index(fields=["subject"], name="checklog_subject_idx", condition=Q(subject__isnull=False)),
            models.Index(fields=["user"], name="checklog_user_idx", condition=Q(user__isnull=False)),
            models.Index(fields=["api_client"], name="checklog_client_idx", condition=Q(api_client__isnull=False)),
        ]

    def __str__(self):
        return f"{self.checked_at:%Y-%m-%d %H:%M} {self.matter} {self.code}"


class ChangeEvent(models.Model):
    """Ordered feed of published changes for county sync (``GET /api/v1/changes/?after=``)."""

    class Kind(models.TextChoices):
        ENTRY_PUBLISHED = "entry.published", "名单公布"
        ENTRY_REMOVED = "entry.removed", "名单移出"
        ENTRY_SUSPENDED = "entry.suspended", "措施暂停"
        ENTRY_RESUMED = "entry.resumed", "措施恢复"
        MEASURE_PUBLISHED = "measure.published", "措施公布"
        MEASURE_RETIRED = "measure.retired", "措施废止"

    kind = models.CharField("类型", max_length=30, choices=Kind.choices)
    entry = models.ForeignKey(ListEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="changes")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.PROTECT, related_name="changes")
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "registry.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField("内容", default=dict)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "变更事件"
        verbose_name_plural = "变更事件"
        ordering = ["pk"]

    def __str__(self):
        return f"#{self.pk} {self.kind}"


class WebhookSubscription(models.Model):
    """A county system that wants signed callbacks when entries in its area are published/removed."""

    client = models.ForeignKey(
        "registry.ApiClient", verbose_name="API 客户端", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField("回调地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=128, help_text="用于 HMAC-SHA256 签名，请与对方系统约定。")
    region = models.ForeignKey(
        "registry.Region", verbose_name="订阅区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "registry.Department",
        verbose_name="订阅部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    list_types = models.JSONField("订阅名单类型", default=list, blank=True, help_text="为空表示全部。")
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "回调订阅"
        verbose_name_plural = "回调订阅"

    def __str__(self):
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    """Outbox row: delivered by a beat-swept task with retries and exponential backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "待投递"
        DELIVERED = "delivered", "已投递"
        FAILED = "failed", "投递失败（已放弃）"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    change = models.ForeignKey(ChangeEvent, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", db_index=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    last_status_code = models.PositiveIntegerField("最近响应码", null=True, blank=True)
    delivered_at = models.DateTimeField("投递时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "回调投递"
        verbose_name_plural = "回调投递（发件箱）"
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["subscription", "change"], name="delivery_unique")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self):
        return f"{self.change} → {self.subscription.url}"
