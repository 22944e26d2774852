from rest_framework import serializers

from registry.models import Department

from ..models import BlackCategory, ChangeEvent, EnforcementTask, ListEntry, ListType, Measure


class ListEntrySerializer(serializers.ModelSerializer):
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    subject_code = serializers.CharField(
        source="subject.code", read_only=True, help_text="统一社会信用代码或脱敏身份证号"
    )
    list_type_display = serializers.CharField(source="get_list_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    initiating_department = serializers.CharField(source="initiating_department.uscc", read_only=True)
    initiating_department_name = serializers.CharField(source="initiating_department.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "subject_name",
            "subject_code",
            "list_type",
            "list_type_display",
            "category",
            "basis_document",
            "legal_basis",
            "facts",
            "initiating_department",
            "initiating_department_name",
            "region",
            "decision_date",
            "valid_from",
            "valid_until",
            "status",
            "status_display",
            "proposer_name",
            "reviewer_name",
            "notice_sent_on",
            "notice_due",
            "notice_due_provisional",
            "published_at",
            "removed_at",
            "removal_reason",
            "removal_note",
            "is_suspended",
            "suspension_reason",
            "source_entry",
            "relation_role",
            "updated_at",
        ]


class ListEntryCreateSerializer(serializers.Serializer):
    subject_code = serializers.CharField(max_length=40, label="主体代码", help_text="统一社会信用代码或身份证号码")
    list_type = serializers.ChoiceField(choices=ListType.choices, label="名单类型")
    category = serializers.ChoiceField(choices=BlackCategory.choices, required=False, allow_blank=True, default="")
    basis_document = serializers.CharField(max_length=100, label="认定文书号")
    legal_basis = serializers.CharField(max_length=2000, label="认定依据")
    facts = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    initiating_department = serializers.SlugRelatedField(
        slug_field="uscc",
        queryset=Department.objects.all(),
        required=False,
        label="认定部门统一社会信用代码",
        error_messages={"does_not_exist": "认定部门“{value}”不存在。"},
    )
    decision_date = serializers.DateField(label="认定日期")
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    proposer_name = serializers.CharField(max_length=50, label="提出人")
    reviewer_name = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="已在本系统外双人审核时填写（须与提出人不同）",
    )


class PublishSerializer(serializers.Serializer):
    statement_waived = serializers.BooleanField(default=False, help_text="当事人书面放弃陈述申辩")


class RemoveSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ListEntry.RemovalReason.choices, label="移出原因")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MeasureSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    binding_display = serializers.CharField(source="get_binding_display", read_only=True)
    implementing_departments = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    memorandum = serializers.CharField(source="memorandum.number", read_only=True, default=None)

    class Meta:
        model = Measure
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "kind_display",
            "national_class",
            "binding",
            "binding_display",
            "legal_basis",
            "field",
            "list_types",
            "categories",
            "subject_kinds",
            "for_clean_record",
            "implementing_departments",
            "memorandum",
            "status",
            "published_at",
        ]


class TaskSerializer(serializers.ModelSerializer):
    measure_code = serializers.CharField(source="measure.code", read_only=True)
    measure_version = serializers.IntegerField(source="measure.version", read_only=True)
    measure_name = serializers.CharField(source="measure.name", read_only=True)
    legal_basis = serializers.CharField(source="measure.legal_basis", read_only=True)
    department = serializers.CharField(source="department.uscc", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    subject_name = serializers.CharField(source="entry.subject.name", read_only=True)
    subject_code = serializers.CharField(source="entry.subject.code", read_only=True)
    list_type = serializers.CharField(source="entry.list_type", read_only=True)
    entry_suspended = serializers.BooleanField(source="entry.is_suspended", read_only=True)

    class Meta:
        model = EnforcementTask
        fields = [
            "id",
            "kind",
            "status",
            "entry",
            "subject_name",
            "subject_code",
            "list_type",
            "entry_suspended",
            "measure_code",
            "measure_version",
            "measure_name",
            "legal_basis",
            "department",
            "department_name",
            "started_on",
            "due_date",
            "due_provisional",
            "outcome",
            "matter_name",
            "matter_number",
            "action_date",
            "result",
            "remarks",
            "answered_at",
        ]


class FeedbackSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=EnforcementTask.Outcome.choices, label="执行情况")
    matter_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    matter_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    action_date = serializers.DateField(required=False, allow_null=True, default=None)
    result = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    remarks = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CheckCodeField(serializers.CharField):
    """A code of a batch check: ``CharField(max_length=64, allow_blank=True)`` with a fast path.

    A plain ASCII string of at most 64 characters without NUL (every real code) is only stripped:
    for it DRF's checks (blank, length, NUL, surrogates) cannot fail, and running them 1,000 times
    was a sixth of a batch's CPU. Anything else goes through the full ``CharField`` validation.
    """

    def __init__(self, **kwargs):
        super().__init__(max_length=64, allow_blank=True, **kwargs)

    def run_validation(self, data=serializers.empty):
        if type(data) is str and len(data) <= 64 and data.isascii() and "\x00" not in data:
            return data.strip()
        return super().run_validation(data)


class CheckBatchSerializer(serializers.Serializer):
    matter = serializers.CharField(max_length=200, label="办理事项")
    codes = serializers.ListField(child=CheckCodeField(), min_length=1, max_length=1000, label="代码列表")


class CheckMeasureSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    binding = serializers.CharField()
    legal_basis = serializers.CharField()
    entry_id = serializers.IntegerField(allow_null=True)
    implementing_departments = serializers.ListField(child=serializers.CharField())
    suspended = serializers.BooleanField()
    suspension_reason = serializers.CharField()


class CheckAnswerSerializer(serializers.Serializer):
    """Documentation of the check answer (the view returns the selector's dict)."""

    check_id = serializers.UUIDField()
    matter = serializers.CharField()
    code = serializers.CharField()
    valid_code = serializers.BooleanField()
    found = serializers.BooleanField()
    subject = serializers.DictField(allow_null=True)
    entries = serializers.ListField(child=serializers.DictField())
    measures = CheckMeasureSerializer(many=True)
    incentives = CheckMeasureSerializer(many=True)
    trustworthy = serializers.BooleanField()
    message = serializers.CharField()


class CheckBatchAnswerSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = CheckAnswerSerializer(many=True)


class ChangeSerializer(serializers.ModelSerializer):
    cursor = serializers.IntegerField(source="pk")

    class Meta:
        model = ChangeEvent
        fields = ["cursor", "kind", "created_at", "payload"]


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.IntegerField()
    has_more = serializers.BooleanField()
