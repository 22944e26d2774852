from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from creditsys.middleware import client_ip

from . import login_throttle
from .models import Region, Subject, SubjectCode, SubjectRelation


class ThrottledLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码错误。",
        "inactive": "该账号已停用。",
        "locked": "登录失败次数过多，请 %(minutes)d 分钟后再试。",
    }

    def clean(self):
        username = self.data.get("username", "")
        ip = client_ip(self.request) if self.request else ""
        if login_throttle.is_locked(username, ip):
            from django.conf import settings

            raise ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_throttle.record_failure(username, ip)
            raise
        login_throttle.reset(username, ip)
        return cleaned


class SubjectSearchForm(forms.Form):
    q = forms.CharField(label="名称或代码", required=False, max_length=100)
    kind = forms.ChoiceField(label="主体类别", required=False, choices=[("", "全部类别"), *Subject.Kind.choices])
    status = forms.ChoiceField(label="登记状态", required=False, choices=[("", "全部状态"), *Subject.Status.choices])
    region = forms.ModelChoiceField(
        label="所属区划", required=False, queryset=Region.objects.none(), empty_label="全部区划"
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions


class SubjectCreateForm(forms.Form):
    """Field shapes only; the rules (code validity, duplicates, scope) are in ``services``."""

    kind = forms.ChoiceField(label="主体类别", choices=Subject.Kind.choices)
    name = forms.CharField(label="名称/姓名", max_length=200)
    uscc = forms.CharField(
        label="统一社会信用代码",
        max_length=40,
        required=False,
        help_text="组织和个体工商户填写；可含空格或全角字符，系统自动规范。",
    )
    id_number = forms.CharField(
        label="身份证号码", max_length=40, required=False, help_text="自然人填写；只加密保存，页面上脱敏显示。"
    )
    legal_representative = forms.CharField(label="法定代表人/负责人", max_length=50, required=False)
    address = forms.CharField(label="住所/经营场所", max_length=300, required=False)
    region = forms.ModelChoiceField(label="所属区划", queryset=Region.objects.none())
    status = forms.ChoiceField(label="登记状态", choices=Subject.Status.choices, initial=Subject.Status.ACTIVE)

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.all()


class SubjectEditForm(forms.Form):
    name = forms.CharField(label="名称/姓名", max_length=200, help_text="更名后原名称自动记为曾用名。")
    legal_representative = forms.CharField(label="法定代表人/负责人", max_length=50, required=False)
    address = forms.CharField(label="住所/经营场所", max_length=300, required=False)
    region = forms.ModelChoiceField(label="所属区划", queryset=Region.objects.none())
    status = forms.ChoiceField(label="登记状态", choices=Subject.Status.choices)
    reason = forms.CharField(label="修改事由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.all()


class SubjectCodeForm(forms.Form):
    kind = forms.ChoiceField(label="代码类型", choices=SubjectCode.Kind.choices)
    value = forms.CharField(label="代码", max_length=40)


class RelationForm(forms.Form):
    person_name = forms.CharField(label="关联人员姓名", max_length=50)
    person_id_number = forms.CharField(label="关联人员身份证号码", max_length=40)
    role = forms.ChoiceField(label="关系", choices=SubjectRelation.Role.choices)
    valid_from = forms.DateField(label="起始日期", widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label="终止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="备注", max_length=200, required=False)


class RevealForm(forms.Form):
    reason = forms.CharField(label="查看事由", max_length=200)


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form's fields (or on top when it has no field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
