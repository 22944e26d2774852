from django import forms
from django.core.exceptions import ValidationError

from disputes.services import MAX_UPLOAD_BYTES
from registry.models import Department

from .protection import challenge_question, check_challenge, new_challenge

ALLOWED_UPLOADS = f"支持 .pdf、.jpg、.png，单个文件不超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"


class ChallengeForm(forms.Form):
    """Adds a human check (a small sum) and a honeypot field that people never fill in."""

    website = forms.CharField(
        required=False, label="请勿填写", widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )
    challenge_token = forms.CharField(widget=forms.HiddenInput)
    challenge_answer = forms.CharField(label="验证问题", max_length=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = self.data.get("challenge_token", "") if self.is_bound else ""
        if not challenge_question(token):
            token = new_challenge()
            if self.is_bound:
                self.data = self.data.copy()
                self.data["challenge_token"] = token
        self.initial["challenge_token"] = token
        self.fields["challenge_answer"].label = f"验证问题：{challenge_question(token)}"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError("提交失败，请刷新页面后重试。")
        if not check_challenge(self.data.get("challenge_token", ""), self.data.get("challenge_answer", "")):
            self.add_error("challenge_answer", "验证问题回答错误或已过期，请重新计算。")
        return cleaned


class ApplicantFields(forms.Form):
    applicant_name = forms.CharField(label="申请人（主体名称或姓名）", max_length=200)
    applicant_id_number = forms.CharField(
        label="经办人身份证号码", max_length=40, help_text="仅用于核验身份，加密保存，不公开。"
    )
    applicant_phone = forms.CharField(label="联系电话", max_length=30)


class ObjectionForm(ApplicantFields, ChallengeForm):
    reason = forms.CharField(
        label="异议理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="请写明认为信息有误的具体内容和理由。",
    )
    attachment = forms.FileField(label="证明材料", required=False, help_text=ALLOWED_UPLOADS)
    field_order = [
        "applicant_name",
        "applicant_id_number",
        "applicant_phone",
        "reason",
        "attachment",
        "challenge_answer",
    ]


class RepairForm(ApplicantFields, ChallengeForm):
    statement = forms.CharField(
        label="修复申请说明",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="说明已纠正失信行为、履行法定义务的情况。",
    )
    commitment_letter = forms.FileField(label="信用承诺书", required=False, help_text=ALLOWED_UPLOADS)
    proof = forms.FileField(label="履行义务证明材料", required=False, help_text=ALLOWED_UPLOADS)
    field_order = [
        "applicant_name",
        "applicant_id_number",
        "applicant_phone",
        "statement",
        "commitment_letter",
        "proof",
        "challenge_answer",
    ]


class TipForm(ChallengeForm):
    target_name = forms.CharField(label="被举报主体名称", max_length=200)
    target_code = forms.CharField(label="统一社会信用代码（如知道）", max_length=40, required=False)
    content = forms.CharField(label="举报内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    reporter_name = forms.CharField(
        label="举报人姓名", max_length=50, help_text="举报人信息严格保密，仅授权工作人员可见。"
    )
    reporter_phone = forms.CharField(label="举报人联系电话", max_length=30)
    field_order = ["target_name", "target_code", "content", "reporter_name", "reporter_phone", "challenge_answer"]


class StatusForm(forms.Form):
    tracking_number = forms.CharField(label="受理编号", max_length=40)
    query_code = forms.CharField(label="查询码", max_length=40)


class VerifyForm(forms.Form):
    number = forms.CharField(label="报告编号", max_length=40)
    code = forms.CharField(label="验证码", max_length=12)
    pdf = forms.FileField(label="报告文件（可选，用于核对文件是否被修改）", required=False)


class RecordFilterForm(forms.Form):
    q = forms.CharField(label="行政相对人名称", max_length=100, required=False)
    department = forms.ModelChoiceField(
        label="决定机关", queryset=Department.objects.filter(is_active=True), required=False, empty_label="全部"
    )
    date_from = forms.DateField(label="决定日期自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
