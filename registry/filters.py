import django_filters

from .models import Region, Subject


class SubjectFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Subject.Kind.choices, label="主体类别")
    status = django_filters.ChoiceFilter(choices=Subject.Status.choices, label="登记状态")
    region = django_filters.ModelChoiceFilter(
        field_name="region", queryset=Region.objects.all(), to_field_name="code", label="所属区划代码"
    )
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt", label="更新时间晚于")

    class Meta:
        model = Subject
        fields = ["kind", "status", "region", "updated_after"]
