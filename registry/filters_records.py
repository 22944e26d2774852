import django_filters
from django.db.models import Q

from . import selectors
from .models import Commitment, LicenseRecord, PenaltyRecord, RecordStatus
from .rules import SEVERITY_CHOICES


class _RecordFilterSet(django_filters.FilterSet):
    subject = django_filters.CharFilter(method="filter_subject", label="主体代码（统一社会信用代码或身份证号码）")
    department = django_filters.CharFilter(method="filter_department", label="决定机关或数据来源单位统一社会信用代码")
    decision_date_from = django_filters.DateFilter(field_name="decision_date", lookup_expr="gte", label="决定日期起")
    decision_date_to = django_filters.DateFilter(field_name="decision_date", lookup_expr="lte", label="决定日期止")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt", label="更新时间晚于")
    status = django_filters.ChoiceFilter(choices=RecordStatus.choices, label="状态")
    document_number = django_filters.CharFilter(field_name="document_number", label="文书号")

    def filter_subject(self, queryset, name, value):
        subject = selectors.subject_by_code(value)
        return queryset.filter(subject=subject) if subject else queryset.none()

    def filter_department(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(Q(department__uscc=value) | Q(source_department__uscc=value))


class PenaltyFilterSet(_RecordFilterSet):
    severity = django_filters.ChoiceFilter(choices=SEVERITY_CHOICES, label="失信程度")

    class Meta:
        model = PenaltyRecord
        fields = ["subject", "department", "decision_date_from", "decision_date_to", "updated_after", "status"]


class LicenseFilterSet(_RecordFilterSet):
    class Meta:
        model = LicenseRecord
        fields = ["subject", "department", "decision_date_from", "decision_date_to", "updated_after", "status"]


class CommitmentFilterSet(django_filters.FilterSet):
    subject = django_filters.CharFilter(method="filter_subject", label="主体代码")
    department = django_filters.CharFilter(field_name="department__uscc", label="受理部门统一社会信用代码")
    status = django_filters.ChoiceFilter(choices=Commitment.Status.choices, label="履约状态")
    kind = django_filters.ChoiceFilter(choices=Commitment.Kind.choices, label="承诺类型")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt", label="更新时间晚于")

    def filter_subject(self, queryset, name, value):
        subject = selectors.subject_by_code(value)
        return queryset.filter(subject=subject) if subject else queryset.none()

    class Meta:
        model = Commitment
        fields = ["subject", "department", "status", "kind", "updated_after"]
