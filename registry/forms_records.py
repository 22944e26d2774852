"""Workbench forms for 双公示 records, commitments and imports: field shapes only (rules: services)."""

from django import forms

from .models import Commitment, Disclosure, IdType, ImportJob, LicenseRecord, RecordStatus, SubjectCategory
from .record_fields import COLUMNS
from .rules import SEVERITY_CHOICES

_DATE_FIELDS = {"decision_date", "penalty_valid_until", "publication_deadline", "valid_from", "valid_until"}
_TEXTAREAS = {"violation_facts", "legal_basis", "penalty_content", "content", "remarks"}
_CHOICES = {
    "subject_category": SubjectCategory.choices,
    "severity": SEVERITY_CHOICES,
    "disclosure": Disclosure.choices,
    "category": LicenseRecord.Category.choices,
    "current_status": LicenseRecord.CurrentStatus.choices,
    "legal_rep_id_type": [("", "—"), *IdType.choices],
    "id_type": [("", "—"), *IdType.choices],
}
_HELP = {
    "categories": "可多选，以分号分隔：警告；罚款；没收违法所得；暂扣许可证件；吊销许可证件……",
    "publication_deadline": "可不填：按失信程度和适用规则自动计算（最长公示期）。",
    "valid_until": "长期有效填 2099-12-31。",
    "id_number": "自然人填写；只加密保存，页面上脱敏显示。",
    "fine_amount": "单位：万元。",
    "severity": "轻微：按本地政策不公示或短期公示；一般：3个月—1年；严重：1—3年。",
}


class RecordForm(forms.Form):
    def __init__(self, *args, kind: str, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, required in COLUMNS[kind]:
            if name in ("authority_name", "source_name"):
                continue
            kw = {"label": label, "required": required, "help_text": _HELP.get(name, "")}
            if name in _CHOICES:
                field = forms.ChoiceField(choices=_CHOICES[name], **kw)
            elif name in _DATE_FIELDS:
                field = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **kw)
            elif name in _TEXTAREAS:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **kw)
            else:
                field = forms.CharField(max_length=5000, **kw)
            if name in ("source_uscc",):
                field.required = False
                field.help_text = "为空时与决定机关相同。"
            if correcting and name in ("document_number", "authority_uscc"):
                field.disabled = True
            self.fields[name] = field
        if correcting:
            self.fields["reason"] = forms.CharField(
                label="更正事由", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
            )


class RecordFilterForm(forms.Form):
    q = forms.CharField(label="名称或文书号", required=False, max_length=100)
    department = forms.ModelChoiceField(label="部门", required=False, queryset=None, empty_label="全部部门")
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *RecordStatus.choices])
    severity = forms.ChoiceField(label="失信程度", required=False, choices=[("", "全部"), *SEVERITY_CHOICES])
    date_from = forms.DateField(label="决定日期起", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="决定日期止", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    late = forms.BooleanField(label="仅看迟报", required=False)

    def __init__(self, *args, departments, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        if kind != "penalty":
            del self.fields["severity"]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤销事由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CommitmentForm(forms.Form):
    subject_code = forms.CharField(label="承诺主体代码", max_length=40, help_text="统一社会信用代码或身份证号码。")
    number = forms.CharField(label="承诺书编号", max_length=64)
    kind = forms.ChoiceField(label="承诺类型", choices=Commitment.Kind.choices)
    matter = forms.CharField(label="承诺事项", max_length=200)
    content = forms.CharField(label="承诺内容", widget=forms.Textarea(attrs={"rows": 4}))
    commitment_date = forms.CharField(label="承诺日期", widget=forms.DateInput(attrs={"type": "date"}))
    due_date = forms.CharField(
        label="履约期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="到期未履约将自动标记。",
    )
    disclosure = forms.ChoiceField(label="公开属性", choices=Disclosure.choices)


class CommitmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="办理结果",
        choices=[
            (Commitment.Status.FULFILLED, "已履约"),
            (Commitment.Status.UNKEPT, "认定未履约"),
            (Commitment.Status.WITHDRAWN, "撤销"),
        ],
    )
    note = forms.CharField(label="说明", max_length=500, required=False)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="数据类别", choices=ImportJob.Kind.choices)
    file = forms.FileField(label="文件（.xlsx 或 .csv，国家标准模板）")
