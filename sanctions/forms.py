"""Workbench forms: field shapes only; the rules are in ``sanctions.services``."""

from django import forms

from registry.models import Department

from .models import BlackCategory, EnforcementTask, ListEntry, ListType, Measure, Memorandum, SubjectTarget

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class MeasureForm(forms.Form):
    code = forms.CharField(label="措施编号", max_length=20, help_text="如 P-041（惩戒）、I-017（激励）。")
    name = forms.CharField(label="措施名称", max_length=300)
    kind = forms.ChoiceField(label="类型", choices=Measure.Kind.choices)
    national_class = forms.TypedChoiceField(
        label="全国清单分类",
        choices=[("", "—（激励措施不分类）"), *Measure.NationalClass.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    binding = forms.ChoiceField(label="约束性", choices=Measure.Binding.choices)
    legal_basis = forms.CharField(label="法律依据", widget=forms.Textarea(attrs={"rows": 3}))
    field = forms.CharField(label="领域", max_length=50, required=False)
    list_types = forms.MultipleChoiceField(
        label="适用名单", choices=ListType.choices, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label="适用失信类别（不选表示全部）",
        choices=BlackCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    subject_kinds = forms.MultipleChoiceField(
        label="适用对象", choices=SubjectTarget.choices, widget=forms.CheckboxSelectMultiple
    )
    for_clean_record = forms.BooleanField(label="连续无不良信用记录主体也可享受（激励）", required=False)
    implementing_departments = forms.ModelMultipleChoiceField(
        label="实施部门", queryset=Department.objects.filter(is_active=True), widget=forms.CheckboxSelectMultiple
    )
    memorandum = forms.ModelChoiceField(label="合作备忘录", queryset=Memorandum.objects.all(), required=False)
    source = forms.CharField(label="来源", max_length=200, required=False)


class EntryForm(forms.Form):
    subject_code = forms.CharField(label="主体代码", max_length=40, help_text="统一社会信用代码或身份证号码。")
    list_type = forms.ChoiceField(label="名单类型", choices=ListType.choices)
    category = forms.ChoiceField(
        label="失信类别（黑名单必填）", choices=[("", "—"), *BlackCategory.choices], required=False
    )
    basis_document = forms.CharField(label="认定文书号", max_length=100)
    legal_basis = forms.CharField(label="认定依据（法律法规条款）", widget=forms.Textarea(attrs={"rows": 2}))
    facts = forms.CharField(label="认定事实", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    decision_date = forms.DateField(label="认定日期", **DATE)
    valid_from = forms.DateField(label="有效期自（默认认定日期）", required=False, **DATE)
    valid_until = forms.DateField(label="有效期至", required=False, **DATE)
    initiating_department = forms.ModelChoiceField(
        label="认定部门（默认本部门）", queryset=Department.objects.filter(is_active=True), required=False
    )


class ReviewForm(forms.Form):
    note = forms.CharField(label="审核意见", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(forms.Form):
    statement_waived = forms.BooleanField(label="当事人已书面放弃陈述申辩（可在期满前公布）", required=False)


class RemoveForm(forms.Form):
    reason = forms.ChoiceField(
        label="移出原因",
        choices=[c for c in ListEntry.RemovalReason.choices if c[0] not in ("disqualified", "organization_removed")],
    )
    note = forms.CharField(label="说明", max_length=500, required=False)


class FeedbackForm(forms.Form):
    outcome = forms.ChoiceField(label="执行情况", choices=EnforcementTask.Outcome.choices)
    matter_name = forms.CharField(label="办理事项名称", max_length=200, required=False)
    matter_number = forms.CharField(label="事项编号", max_length=100, required=False)
    action_date = forms.DateField(label="执行日期", required=False, **DATE)
    result = forms.CharField(label="执行结果", max_length=500, required=False)
    remarks = forms.CharField(label="备注", max_length=500, required=False)


class CheckForm(forms.Form):
    matter = forms.CharField(
        label="办理事项", max_length=200, help_text="如：政府采购资格审查、行政许可、财政资金申请。"
    )
    codes = forms.CharField(
        label="主体代码",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="统一社会信用代码或身份证号码；每行一个，最多1000个。",
    )

    def code_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["codes"].splitlines() if line.strip()]
