"""Workbench forms: shape only; the rules are in ``disputes.services``."""

from django import forms

from registry.models import Department

from .models import Objection, RepairApplication

FILE_HELP = "PDF、JPG 或 PNG，单个文件不超过 10 MB。"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class _ApplicantForm(forms.Form):
    target_id = forms.IntegerField(label="对象编号", min_value=1)
    applicant_name = forms.CharField(label="申请人（主体名称或代理人姓名）", max_length=100)
    applicant_id_number = forms.CharField(label="申请人（经办人）身份证号码", max_length=30)
    applicant_phone = forms.CharField(label="联系电话", max_length=30)


class ObjectionForm(_ApplicantForm):
    target_kind = forms.ChoiceField(label="异议对象", choices=Objection.TargetKind.choices)
    field_order = ["target_kind", "target_id"]
    reason = forms.CharField(label="异议理由（信息不实、奖惩错误的具体情况）", widget=forms.Textarea, max_length=4000)
    attachments = MultipleFileField(label="证明材料", required=False, help_text=FILE_HELP)
    agent_authorization = forms.FileField(label="授权委托书（代理人申请时）", required=False, help_text=FILE_HELP)


class RepairForm(_ApplicantForm):
    target_kind = forms.ChoiceField(label="修复对象", choices=RepairApplication.TargetKind.choices)
    field_order = ["target_kind", "target_id"]
    statement = forms.CharField(
        label="申请说明（已纠正失信行为、履行义务、消除不良影响的情况）", widget=forms.Textarea, max_length=4000
    )
    application = forms.FileField(label="信用修复申请书", required=False, help_text=FILE_HELP)
    commitment = forms.FileField(label="信用承诺书", required=False, help_text=FILE_HELP)
    proof = MultipleFileField(label="履行法定义务、纠正失信行为的证明材料", required=False, help_text=FILE_HELP)


class ObjectionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="处理结果", choices=Objection.Decision.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label="处理理由（核实情况）", widget=forms.Textarea, max_length=2000)
    correction_field = forms.CharField(
        label="更正字段（选择“更正”时填写，如 fine_amount、penalty_content、violation_facts）",
        required=False,
        max_length=50,
    )
    correction_value = forms.CharField(label="更正后的内容", required=False, max_length=4000, widget=forms.Textarea)


class RouteForm(forms.Form):
    department = forms.ModelChoiceField(label="转办至", queryset=Department.objects.filter(is_active=True))
    reason = forms.CharField(label="转办理由", max_length=300)


class RepairAcceptForm(forms.Form):
    accept = forms.TypedChoiceField(
        label="受理意见",
        choices=[("1", "受理"), ("0", "不予受理")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="理由（不予受理时必填）", required=False, max_length=500)


class RepairDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label="修复决定",
        choices=[("1", "予以修复"), ("0", "不予修复")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label="决定理由", widget=forms.Textarea, max_length=2000)
    statement = forms.CharField(
        label="修复说明（公示；留空则按标准格式生成）", widget=forms.Textarea, required=False, max_length=2000
    )
    false_materials = forms.BooleanField(label="申请人提供虚假材料（一定期限内不再受理其修复申请）", required=False)


class EligibilityForm(forms.Form):
    target_kind = forms.ChoiceField(label="修复对象", choices=RepairApplication.TargetKind.choices)
    target_id = forms.IntegerField(label="对象编号", min_value=1)
