"""Public-site data: articles (policies, typical cases, notices), credit reports, tips (举报)."""

from django.db import models


class Article(models.Model):
    class Category(models.TextChoices):
        NOTICE = "notice", "通知公告"
        POLICY = "policy", "政策法规"
        CASE = "case", "典型案例"
        GUIDE = "guide", "办事指南"

    category = models.CharField("栏目", max_length=10, choices=Category.choices)
    title = models.CharField("标题", max_length=200)
    source = models.CharField("来源/文号", max_length=200, blank=True)
    body = models.TextField("正文", help_text="纯文本，段落之间空一行。")
    published_on = models.DateField("发布日期")
    is_published = models.BooleanField("发布", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "文章（政策、案例、公告）"
        verbose_name_plural = "文章（政策、案例、公告）"
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["category", "is_published", "-published_on"], name="article_listing_idx")]

    def __str__(self):
        return self.title


class CreditReport(models.Model):
    """A generated 公共信用信息报告. The payload is what the PDF shows; both are signed.

    Verification recomputes the digest of the stored payload and checks the keyed signature, and
    compares an uploaded PDF's SHA-256 with the one recorded at generation.
    """

    number = models.CharField("报告编号", max_length=32, unique=True)
    verification_code = models.CharField("验证码", max_length=12)
    subject_id = models.BigIntegerField("主体ID", db_index=True)
    subject_name = models.CharField("主体名称（公开显示）", max_length=200)
    generated_at = models.DateTimeField("生成时间")
    payload = models.JSONField("报告内容")
    content_digest = models.CharField("内容摘要（SHA-256）", max_length=64)
    signature = models.CharField("签名", max_length=64)
    pdf_sha256 = models.CharField("PDF 摘要（SHA-256）", max_length=64, blank=True)

    class Meta:
        verbose_name = "信用报告"
        verbose_name_plural = "信用报告"
        ordering = ["-generated_at"]

    def __str__(self):
        return self.number


class Tip(models.Model):
    """举报: the reporter's identity is encrypted and shown only to authorised staff."""

    class Status(models.TextChoices):
        RECEIVED = "received", "已受理"
        FORWARDED = "forwarded", "已转办"
        CLOSED = "closed", "已办结"

    tracking_number = models.CharField("受理编号", max_length=32, unique=True)
    query_code_hash = models.CharField(max_length=64, editable=False)
    target_name = models.CharField("被举报主体", max_length=200)
    target_code = models.CharField("被举报主体代码", max_length=40, blank=True)
    content = models.TextField("举报内容", max_length=5000)
    reporter_encrypted = models.TextField("举报人信息（加密）", editable=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RECEIVED)
    reply = models.TextField("答复", blank=True)
    created_at = models.DateTimeField("受理时间", auto_now_add=True)

    class Meta:
        verbose_name = "举报"
        verbose_name_plural = "举报"
        ordering = ["-created_at"]

    def __str__(self):
        return self.tracking_number
