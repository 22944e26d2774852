import django_filters

from .models import EnforcementTask, ListEntry, ListType, Measure


class ListEntryFilterSet(django_filters.FilterSet):
    list_type = django_filters.ChoiceFilter(choices=ListType.choices, label="名单类型")
    status = django_filters.ChoiceFilter(choices=ListEntry.Status.choices, label="状态")
    subject_uscc = django_filters.CharFilter(field_name="subject__uscc", label="主体统一社会信用代码")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt", label="更新时间晚于")

    class Meta:
        model = ListEntry
        fields = ["list_type", "status", "subject_uscc", "updated_after"]


class MeasureFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Measure.Kind.choices, label="类型")
    status = django_filters.ChoiceFilter(choices=Measure.Status.choices, label="状态")
    code = django_filters.CharFilter(field_name="code", label="措施编号")

    class Meta:
        model = Measure
        fields = ["kind", "status", "code"]


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[*EnforcementTask.Status.choices, ("overdue", "已逾期")], label="状态", method="filter_status"
    )
    kind = django_filters.ChoiceFilter(choices=EnforcementTask.Kind.choices, label="任务类型")

    class Meta:
        model = EnforcementTask
        fields = ["status", "kind"]

    def filter_status(self, queryset, name, value):
        if value == "overdue":
            from django.utils import timezone

            return queryset.filter(status=EnforcementTask.Status.PENDING, due_date__lt=timezone.localdate())
        return queryset.filter(status=value)
