"""API shapes of objections and repairs. Validation of content is in ``disputes.services``."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Attachment, Objection, RepairApplication


class AttachmentInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Attachment.Kind.choices, default=Attachment.Kind.OTHER, label="材料类型")
    name = serializers.CharField(max_length=200, label="文件名（.pdf/.jpg/.png）")
    content_base64 = serializers.CharField(max_length=15_000_000, label="文件内容（Base64）")


class _ApplicantIn(serializers.Serializer):
    target_id = serializers.IntegerField(min_value=1, max_value=2**62, label="对象编号")
    applicant_name = serializers.CharField(max_length=100, label="申请人")
    applicant_id_number = serializers.CharField(max_length=30, label="申请人身份证号码")
    applicant_phone = serializers.CharField(max_length=30, label="联系电话")
    attachments = AttachmentInSerializer(many=True, required=False, default=list, max_length=10)


class ObjectionCreateSerializer(_ApplicantIn):
    target_kind = serializers.ChoiceField(choices=Objection.TargetKind.choices, label="异议对象")
    reason = serializers.CharField(max_length=4000, label="异议理由")
    agent_authorization = AttachmentInSerializer(required=False, allow_null=True, default=None, label="授权委托书")


class RepairCreateSerializer(_ApplicantIn):
    target_kind = serializers.ChoiceField(choices=RepairApplication.TargetKind.choices, label="修复对象")
    statement = serializers.CharField(max_length=4000, label="申请说明")


class ObjectionDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Objection.Decision.choices, label="处理结果")
    reasons = serializers.CharField(max_length=2000, label="处理理由")
    corrections = serializers.DictField(
        child=serializers.CharField(max_length=4000, allow_blank=True),
        required=False,
        default=dict,
        label="更正内容（字段 → 新值，按双公示字段名）",
    )


class RepairDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[("accept", "受理"), ("not_accept", "不予受理"), ("approve", "予以修复"), ("reject", "不予修复")],
        label="办理动作",
    )
    reasons = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", label="理由")
    statement = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", label="修复说明")
    false_materials = serializers.BooleanField(required=False, default=False, label="提供虚假材料")


class _ItemSerializer(serializers.ModelSerializer):
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    department = serializers.CharField(source="department.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    target_id = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField())
    def get_target_id(self, obj) -> int:
        return obj.target.pk


_COMMON = [
    "tracking_number",
    "channel",
    "target_kind",
    "target_id",
    "subject_name",
    "department",
    "applicant_name",
    "applicant_id_masked",
    "status",
    "status_display",
    "received_on",
    "decided_at",
    "decided_by_name",
    "decision_reasons",
]


class ObjectionSerializer(_ItemSerializer):
    class Meta:
        model = Objection
        fields = [*_COMMON, "reason", "due_date", "due_provisional", "decision", "suspended_entry_ids"]


class RepairSerializer(_ItemSerializer):
    class Meta:
        model = RepairApplication
        fields = [
            *_COMMON,
            "statement",
            "accept_due",
            "accept_due_provisional",
            "decision_due",
            "decision_due_provisional",
            "false_materials",
            "repair_statement",
        ]


class _CreatedMixin(serializers.Serializer):
    query_code = serializers.CharField(read_only=True, help_text="查询码：仅在提交时返回一次，请告知申请人妥善保存。")


class ObjectionCreatedSerializer(ObjectionSerializer, _CreatedMixin):
    class Meta(ObjectionSerializer.Meta):
        fields = [*ObjectionSerializer.Meta.fields, "query_code"]


class RepairCreatedSerializer(RepairSerializer, _CreatedMixin):
    class Meta(RepairSerializer.Meta):
        fields = [*RepairSerializer.Meta.fields, "query_code"]
