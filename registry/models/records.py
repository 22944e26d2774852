"""双公示 records: administrative licences and penalties (SPEC §5), with their revision history.

Fields follow the national 双公示 data standard (行政许可 / 行政处罚 templates). A record is keyed by
(issuing department, 文书号); corrections keep every prior version in ``RecordRevision`` and a
withdrawal (撤销) keeps the record with its reason. Personal ID numbers are never stored in clear:
the subject holds them encrypted; records keep only masked values.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q

from ..rules import SEVERITY_CHOICES
from .subjects import Department, Subject

LONG_TERM = date(2099, 12, 31)  # 有效期至 2099-12-31 = 长期


class Disclosure(models.TextChoices):
    PUBLIC = "public", "社会公开"
    AUTHORIZED = "authorized", "授权查询"
    GOVERNMENT = "government", "政务共享"


class SubjectCategory(models.TextChoices):
    """行政相对人类别 (national standard wording)."""

    ORGANIZATION = "organization", "法人及非法人组织"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    NATURAL_PERSON = "natural_person", "自然人"


class IdType(models.TextChoices):
    ID_CARD = "id_card", "身份证"
    PASSPORT = "passport", "护照号"
    HK_MACAO = "hk_macao", "港澳居民来往内地通行证"
    TAIWAN = "taiwan", "台湾居民来往大陆通行证"
    FOREIGN_PR = "foreign_pr", "外国人永久居留身份证"


class RecordStatus(models.TextChoices):
    PUBLISHED = "published", "公示中"
    NOT_PUBLISHED = "not_published", "不予公示"
    ENDED = "ended", "公示期满（已停止公示）"
    REPAIRED = "repaired", "已信用修复（停止公示）"
    WITHDRAWN = "withdrawn", "已撤销"


class RecordBase(models.Model):
    """Fields shared by licences and penalties: the 行政相对人 block, keys, publication state."""

    # No single-column indexes on subject and department: the (subject, decision_date) index and the
    # (department, document_number) constraint start with them and serve every lookup; the extra
    # indexes only cost each imported row two more index insertions.
    subject = models.ForeignKey(Subject, verbose_name="信用主体", on_delete=models.PROTECT, db_index=False)
    subject_name = models.CharField("行政相对人名称", max_length=200)
    subject_category = models.CharField("行政相对人类别", max_length=20, choices=SubjectCategory.choices)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    business_registration_no = models.CharField("工商注册号", max_length=50, blank=True)
    organization_code = models.CharField("组织机构代码", max_length=20, blank=True)
    tax_number = models.CharField("税务登记号", max_length=30, blank=True)
    institution_certificate_no = models.CharField("事业单位证书号", max_length=30, blank=True)
    social_organization_no = models.CharField("社会组织登记证号", max_length=30, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    legal_rep_id_type = models.CharField("法定代表人证件类型", max_length=20, choices=IdType.choices, blank=True)
    legal_rep_id_masked = models.CharField("法定代表人证件号码", max_length=30, blank=True)
    legal_rep_id_encrypted = models.TextField(blank=True, editable=False)
    id_type = models.CharField("证件类型", max_length=20, choices=IdType.choices, blank=True)
    id_number_masked = models.CharField("证件号码", max_length=30, blank=True)

    document_number = models.CharField("文书号", max_length=128)
    decision_date = models.DateField("决定日期")
    department = models.ForeignKey(
        Department,
        verbose_name="决定机关",
        on_delete=models.PROTECT,
        related_name="%(class)s_issued",
        db_index=False,
    )
    authority_name = models.CharField("决定机关名称", max_length=200)
    authority_uscc = models.CharField("决定机关统一社会信用代码", max_length=18)
    source_department = models.ForeignKey(
        Department, verbose_name="数据来源单位", on_delete=models.PROTECT, related_name="%(class)s_provided"
    )
    source_name = models.CharField("数据来源单位名称", max_length=200)
    source_uscc = models.CharField("数据来源单位统一社会信用代码", max_length=18)
    remarks = models.CharField("备注", max_length=1000, blank=True)
    disclosure = models.CharField("公开属性", max_length=12, choices=Disclosure.choices, default=Disclosure.PUBLIC)

    status = models.CharField("状态", max_length=16, choices=RecordStatus.choices, default=RecordStatus.PUBLISHED)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_reason = models.CharField("状态变更事由", max_length=500, blank=True)

    reported_on = models.DateField("报送日期")
    report_due = models.DateField("报送期限")
    report_due_provisional = models.BooleanField("报送期限为临时计算", default=False)
    is_late = models.BooleanField("迟报", default=False)

    version = models.PositiveIntegerField("版本", default=1)
    input_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.subject_name} {self.document_number}"

    @property
    def is_withdrawn(self) -> bool:
        return self.status == RecordStatus.WITHDRAWN


class LicenseRecord(RecordBase):
    class Category(models.TextChoices):
        ORDINARY = "ordinary", "普通"
        SPECIAL = "special", "特许"
        RECOGNITION = "recognition", "认可"
        APPROVAL = "approval", "核准"
        REGISTRATION = "registration", "登记"
        OTHER = "other", "其他"

    class CurrentStatus(models.TextChoices):
        VALID = "valid", "有效"
        INVALID = "invalid", "无效"

    decision_document_name = models.CharField("行政许可决定文书名称", max_length=200)
    category = models.CharField("许可类别", max_length=16, choices=Category.choices)
    certificate_name = models.CharField("许可证书名称", max_length=200, blank=True)
    license_number = models.CharField("许可编号", max_length=128, blank=True)
    content = models.TextField("许可内容", max_length=4000)
    valid_from = models.DateField("有效期自")
    valid_until = models.DateField("有效期至", help_text="2099-12-31 表示长期。")
    current_status = models.CharField(
        "当前状态", max_length=10, choices=CurrentStatus.choices, default=CurrentStatus.VALID
    )

    class Meta:
        verbose_name = "行政许可信息"
        verbose_name_plural = "行政许可信息"
        ordering = ["-decision_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["department", "document_number"], name="license_dept_docno_unique"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="license_valid_order"),
        ]
        indexes = [models.Index(fields=["subject", "decision_date"], name="license_subject_date_idx")]

    @property
    def is_long_term(self) -> bool:
        return self.valid_until == LONG_TERM

    @property
    def kind_label(self) -> str:
        return "行政许可"


class PenaltyRecord(RecordBase):
    class Category(models.TextChoices):
        WARNING = "警告", "警告"
        CRITICISM = "通报批评", "通报批评"
        FINE = "罚款", "罚款"
        CONFISCATE_GAINS = "没收违法所得", "没收违法所得"
        CONFISCATE_PROPERTY = "没收非法财物", "没收非法财物"
        SUSPEND_LICENSE = "暂扣许可证件", "暂扣许可证件"
        DOWNGRADE = "降低资质等级", "降低资质等级"
        REVOKE_LICENSE = "吊销许可证件", "吊销许可证件"
        RESTRICT_BUSINESS = "限制开展生产经营活动", "限制开展生产经营活动"
        STOP_BUSINESS = "责令停产停业", "责令停产停业"
        CLOSE = "责令关闭", "责令关闭"
        RESTRICT_EMPLOYMENT = "限制从业", "限制从业"
        DETENTION = "行政拘留", "行政拘留"
        OTHER = "其他", "其他"

    violation_type = models.CharField("违法行为类型", max_length=500)
    violation_facts = models.TextField("违法事实", max_length=5000)
    legal_basis = models.TextField("处罚依据", max_length=2000)
    categories = models.CharField("处罚类别", max_length=200, help_text="多个类别以分号分隔。")
    penalty_content = models.TextField("处罚内容", max_length=4000)
    fine_amount = models.DecimalField("罚款金额（万元）", max_digits=16, decimal_places=6, null=True, blank=True)
    confiscated_amount = models.DecimalField(
        "没收违法所得、没收非法财物的金额（万元）", max_digits=16, decimal_places=6, null=True, blank=True
    )
    license_suspended = models.CharField("暂扣或吊销证照名称及编号", max_length=500, blank=True)
    penalty_valid_until = models.DateField("处罚有效期")
    publication_deadline = models.DateField(
        "公示截止期（报送值）", null=True, blank=True, help_text="部门报送的公示截止期；为空时按规则计算。"
    )
    severity = models.CharField("失信程度", max_length=10, choices=SEVERITY_CHOICES)
    rule_set = models.CharField("适用规则", max_length=20)
    published = models.BooleanField("予以公示", default=True)
    publish_from = models.DateField("公示起始日", null=True, blank=True)
    repairable_from = models.DateField("最早可修复日期", null=True, blank=True)
    publish_until = models.DateField("公示截止日", null=True, blank=True)
    publication_ended_at = models.DateTimeField("停止公示时间", null=True, blank=True)

    class Meta:
        verbose_name = "行政处罚信息"
        verbose_name_plural = "行政处罚信息"
        ordering = ["-decision_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["department", "document_number"], name="penalty_dept_docno_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "publish_until"], name="penalty_status_until_idx"),
            models.Index(fields=["subject", "decision_date"], name="penalty_subject_date_idx"),
        ]

    @property
    def kind_label(self) -> str:
        return "行政处罚"

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(";") if c]

    @property
    def rule_set_name(self) -> str:
        from ..rules import RULE_SETS_BY_CODE

        rs = RULE_SETS_BY_CODE.get(self.rule_set)
        return rs.name if rs else self.rule_set


class RecordRevision(models.Model):
    """A prior version of a licence or penalty record, kept when it is corrected or withdrawn."""

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        CORRECT = "correct", "更正"
        WITHDRAW = "withdraw", "撤销"
        END = "end", "公示期满停止公示"
        REPAIR = "repair", "信用修复停止公示"

    license = models.ForeignKey(
        LicenseRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    penalty = models.ForeignKey(
        PenaltyRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField("版本")
    action = models.CharField("动作", max_length=10, choices=Action.choices)
    reason = models.CharField("事由", max_length=500, blank=True)
    actor = models.CharField("操作人", max_length=150, blank=True)
    channel = models.CharField("渠道", max_length=10, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    data = models.JSONField("该版本内容")

    class Meta:
        verbose_name = "双公示记录历史版本"
        verbose_name_plural = "双公示记录历史版本"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(license__isnull=False, penalty__isnull=True)
                | Q(license__isnull=True, penalty__isnull=False),
                name="revision_one_record",
            )
        ]

    def __str__(self):
        return f"v{self.version} {self.get_action_display()}"
