"""Registry data: regions, departments, staff users, API clients and credit subjects (SPEC §4)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from creditsys import crypto

from ..fields import GramsField
from ..validators import mask_id_number


class Region(models.Model):
    """An administrative division (GB/T 2260 code): the city and its counties/districts."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "市级"
        COUNTY = "county", "县（区）级"

    code = models.CharField("行政区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=50)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def subtree_ids(self) -> list[int]:
        """This region and every region below it (the hierarchy is at most three deep)."""
        return list(
            Region.objects.filter(Q(pk=self.pk) | Q(parent=self.pk) | Q(parent__parent=self.pk)).values_list(
                "pk", flat=True
            )
        )


class Department(models.Model):
    class Level(models.TextChoices):
        CITY = "city", "市直部门"
        COUNTY = "county", "县（区）部门"

    name = models.CharField("部门名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments")
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级部门", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_credit_office = models.BooleanField("信用办（牵头部门）", default=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["region__code", "name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A staff user of the workbench, scoped to a department or (county coordinators) a region."""

    class Role(models.TextChoices):
        CLERK = "clerk", "部门录入员"
        REVIEWER = "reviewer", "部门审核员"
        COORDINATOR = "coordinator", "信用办协调员"
        COUNTY_COORDINATOR = "county_coordinator", "县（区）信用办协调员"
        ADMIN = "admin", "系统管理员"

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.CLERK)
    department = models.ForeignKey(
        Department, verbose_name="所属部门", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    region = models.ForeignKey(
        Region,
        verbose_name="负责区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="县（区）信用办协调员负责的区划；其他角色取所属部门的区划。",
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username


class ApiClient(models.Model):
    """A system calling the REST API on behalf of a department or a county region (SPEC §13)."""

    class Scope(models.TextChoices):
        READ = "read", "读取"
        WRITE = "write", "写入"
        CHECK = "check", "核查"

    name = models.CharField("客户端名称", max_length=100, unique=True)
    department = models.ForeignKey(
        Department, verbose_name="所属部门", null=True, blank=True, on_delete=models.PROTECT, related_name="api_clients"
    )
    region = models.ForeignKey(
        Region, verbose_name="所属区划", null=True, blank=True, on_delete=models.PROTECT, related_name="api_clients"
    )
    scopes = models.JSONField("权限范围", default=list, help_text='如 ["read", "write", "check"]')
    key_prefix = models.CharField("密钥前缀", max_length=16, unique=True, editable=False)
    key_hash = models.CharField("密钥哈希", max_length=64, editable=False)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API 客户端"
        verbose_name_plural = "API 客户端"
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(region__isnull=False), name="apiclient_has_owner"
            )
        ]

    def __str__(self):
        return self.name

    # DRF treats the authenticated principal like a user.
    is_authenticated = True


class Subject(models.Model):
    """A credit subject: an organisation, an individual business or a natural person."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", "法人和非法人组织"
        INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
        NATURAL_PERSON = "natural_person", "自然人"

    class Status(models.TextChoices):
        ACTIVE = "active", "存续（在业）"
        DEREGISTERED = "deregistered", "注销"
        REVOKED = "revoked", "吊销"
        MOVED_OUT = "moved_out", "迁出"

    kind = models.CharField("主体类别", max_length=20, choices=Kind.choices)
    name = models.CharField("名称/姓名", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    id_number_hmac = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_masked = models.CharField("身份证号码", max_length=18, blank=True, editable=False)
    legal_representative = models.CharField("法定代表人/负责人", max_length=50, blank=True)
    address = models.CharField("住所/经营场所", max_length=300, blank=True)
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="subjects")
    managing_department = models.ForeignKey(
        Department,
        verbose_name="维护部门",
        on_delete=models.PROTECT,
        related_name="managed_subjects",
        help_text="负责维护该主体基础信息的部门。",
    )
    status = models.CharField("登记状态", max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Search support: normalised current + former names, and their 1-/2-character grams (GIN).
    search_text = models.TextField(editable=False, default="")
    name_grams = GramsField(editable=False, default=list)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "信用主体"
        verbose_name_plural = "信用主体"
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["region", "kind"], name="subject_region_kind_idx"),
            # Exact-name matches of the public search (ranked first even when the result is capped).
            models.Index(fields=["name"], name="subject_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="natural_person") | Q(id_number_hmac__isnull=False),
                name="subject_person_has_id",
            ),
            models.CheckConstraint(
                condition=Q(kind="natural_person") | Q(id_number_hmac__isnull=True),
                name="subject_org_has_no_id",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_person(self) -> bool:
        return self.kind == self.Kind.NATURAL_PERSON

    @property
    def code(self) -> str:
        """The code shown on screen: USCC, or the masked ID number."""
        return self.uscc or self.id_number_masked or ""

    def set_id_number(self, normalized: str) -> None:
        self.id_number_hmac = crypto.lookup_hmac(normalized)
        self.id_number_encrypted = crypto.encrypt(normalized)
        self.id_number_masked = mask_id_number(normalized)

    def reveal_id_number(self) -> str:
        """Clear ID number; callers must have checked the role and written an audit entry."""
        return crypto.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""


class SubjectCode(models.Model):
    """Secondary identifiers kept for matching old records."""

    class Kind(models.TextChoices):
        BUSINESS_REGISTRATION = "business_registration", "工商注册号"
        ORGANIZATION_CODE = "organization_code", "组织机构代码"
        INSTITUTION_CERTIFICATE = "institution_certificate", "事业单位证书号"
        SOCIAL_ORGANIZATION = "social_organization", "社会组织登记证号"
        TAX_NUMBER = "tax_number", "税务登记号"

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="codes")
    kind = models.CharField("代码类型", max_length=30, choices=Kind.choices)
    value = models.CharField("代码", max_length=40)

    class Meta:
        verbose_name = "其他代码"
        verbose_name_plural = "其他代码"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="subjectcode_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"


class SubjectName(models.Model):
    """Name history (曾用名): a row per former name with the period it was used."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="former_names")
    name = models.CharField("曾用名", max_length=200)
    used_until = models.DateField("使用至", null=True, blank=True)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "曾用名"
        verbose_name_plural = "曾用名"
        ordering = ["-recorded_at", "-pk"]

    def __str__(self):
        return self.name


class SubjectRelation(models.Model):
    """An answerable person of an organisation (法定代表人 / 主要负责人 / 直接责任人员), dated."""

    class Role(models.TextChoices):
        LEGAL_REPRESENTATIVE = "legal_representative", "法定代表人"
        PRINCIPAL = "principal", "主要负责人"
        DIRECTLY_RESPONSIBLE = "directly_responsible", "直接责任人员"
        OTHER = "other", "其他关联人员"

    organization = models.ForeignKey(
        Subject, verbose_name="组织", on_delete=models.CASCADE, related_name="person_relations"
    )
    person = models.ForeignKey(
        Subject, verbose_name="自然人", on_delete=models.PROTECT, related_name="organization_relations"
    )
    role = models.CharField("关系", max_length=30, choices=Role.choices)
    valid_from = models.DateField("起始日期")
    valid_until = models.DateField("终止日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "主体关联人员"
        verbose_name_plural = "主体关联人员"
        ordering = ["-valid_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="relation_dates_ordered",
            ),
            models.UniqueConstraint(fields=["organization", "person", "role", "valid_from"], name="relation_unique"),
        ]

    def __str__(self):
        return f"{self.organization} — {self.get_role_display()} {self.person}"

    def is_current(self, on=None) -> bool:
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.valid_from <= on and (self.valid_until is None or self.valid_until >= on)
