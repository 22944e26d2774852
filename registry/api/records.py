"""API for 双公示 records and commitments (SPEC §13): ``GET,POST /api/v1/licenses/``,
``/api/v1/penalties/`` and ``/api/v1/commitments/``.

POST takes one object or a list (≤ 500) and upserts each item through the same service the workbench
and the import use; the answer is per item: created / updated / unchanged / rejected (with errors).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from creditsys.api.errors import error_body
from creditsys.api.permissions import ReadOrWriteScope

from .. import services
from ..filters_records import CommitmentFilterSet, LicenseFilterSet, PenaltyFilterSet
from ..models import Commitment, LicenseRecord, PenaltyRecord
from ..record_fields import COLUMNS
from ..scoping import scope_for
from ..selectors_records import visible_commitments, visible_records

MAX_ITEMS = 500

_COMMON_OUT = [
    "id",
    "subject_name",
    "subject_category",
    "uscc",
    "id_type",
    "id_number_masked",
    "legal_representative",
    "document_number",
    "decision_date",
    "authority_name",
    "authority_uscc",
    "source_name",
    "source_uscc",
    "disclosure",
    "remarks",
    "status",
    "status_reason",
    "reported_on",
    "report_due",
    "report_due_provisional",
    "is_late",
    "version",
    "created_at",
    "updated_at",
]


class PenaltySerializer(serializers.ModelSerializer):
    class Meta:
        model = PenaltyRecord
        fields = [
            *_COMMON_OUT,
            "violation_type",
            "violation_facts",
            "legal_basis",
            "categories",
            "penalty_content",
            "fine_amount",
            "confiscated_amount",
            "license_suspended",
            "penalty_valid_until",
            "severity",
            "rule_set",
            "published",
            "publish_from",
            "repairable_from",
            "publish_until",
        ]


class LicenseSerializer(serializers.ModelSerializer):
    class Meta:
        model = LicenseRecord
        fields = [
            *_COMMON_OUT,
            "decision_document_name",
            "category",
            "certificate_name",
            "license_number",
            "content",
            "valid_from",
            "valid_until",
            "current_status",
        ]


def _input_serializer(kind: str, name: str):
    fields = {
        field: serializers.CharField(required=required, allow_blank=not required, help_text=label, label=label)
        for field, label, required in COLUMNS[kind]
    }
    return inline_serializer(name=name, fields=fields)


ItemResult = inline_serializer(
    name="UpsertItemResult",
    fields={
        "index": serializers.IntegerField(),
        "outcome": serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"]),
        "id": serializers.IntegerField(allow_null=True),
        "key": serializers.CharField(help_text="文书号或承诺书编号"),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)
BulkResult = inline_serializer(
    name="UpsertBulkResult",
    fields={
        "results": ItemResult.__class__(many=True),
        "counts": serializers.DictField(child=serializers.IntegerField()),
    },
)


def _errors_of(exc) -> dict:
    if isinstance(exc, PermissionDenied):
        return {"non_field_errors": [str(exc) or "没有权限。"]}
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


class _BulkUpsertMixin:
    """POST one object → that item's result (201 / 200 / 400); a list → per-item results (200)."""

    key_field = "document_number"

    def upsert_one(self, scope, item):  # pragma: no cover - overridden
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        scope = scope_for(request.auth)
        payload = request.data
        single = not isinstance(payload, list)
        items = [payload] if single else payload
        if len(items) > MAX_ITEMS:
            return Response(
                error_body("too_many_items", f"一次最多提交 {MAX_ITEMS} 条，请分批提交。"),
                status=status.HTTP_400_BAD_REQUEST,
            )
        results, counts = [], {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        for index, item in enumerate(items):
            key = str(item.get(self.key_field, ""))[:128] if isinstance(item, dict) else ""
            try:
                if not isinstance(item, dict):
                    raise ValidationError({"non_field_errors": ["每条记录应为一个 JSON 对象。"]})
                obj, outcome = self.upsert_one(scope, item)
                results.append({"index": index, "outcome": outcome, "id": obj.pk, "key": key})
            except (ValidationError, PermissionDenied) as exc:
                outcome = "rejected"
                results.append({"index": index, "outcome": outcome, "id": None, "key": key, "errors": _errors_of(exc)})
            counts[outcome] += 1
        if single:
            result = results[0]
            if result["outcome"] == "rejected":
                errors = result["errors"]
                first = next(iter(errors.values()))[0]
                return Response(
                    error_body("invalid", f"提交的数据有误，请按字段提示修改。（{first}）", errors),
                    status=status.HTTP_400_BAD_REQUEST,
                )
            code = status.HTTP_201_CREATED if result["outcome"] == "created" else status.HTTP_200_OK
            return Response(result, status=code)
        return Response({"results": results, "counts": counts}, status=status.HTTP_200_OK)


class _RecordViewSet(_BulkUpsertMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadOrWriteScope]
    kind = ""

    def get_queryset(self):
        return visible_records(scope_for(self.request.auth), self.kind).order_by("-updated_at", "-pk")

    def upsert_one(self, scope, item):
        result = services.record_upsert(scope=scope, kind=self.kind, data=item)
        return result.record, result.outcome


def _create_schema(kind, input_name, summary):
    return extend_schema(
        summary=f"报送{summary}信息（单条或批量，幂等）",
        description="请求体为一个对象或对象数组（最多 500 条）；以（决定机关统一社会信用代码, 文书号）幂等更新。"
        "单条：201 新增 / 200 更新或未变化 / 400 拒收；批量：200，逐条返回结果。",
        request=_input_serializer(kind, input_name),
        responses={200: BulkResult, 201: ItemResult},
    )


@extend_schema_view(
    list=extend_schema(summary="查询行政处罚信息"),
    retrieve=extend_schema(summary="获取一条行政处罚信息"),
    create=_create_schema("penalty", "PenaltyInput", "行政处罚"),
)
class PenaltyViewSet(_RecordViewSet):
    kind = "penalty"
    serializer_class = PenaltySerializer
    filterset_class = PenaltyFilterSet
    queryset = PenaltyRecord.objects.none()


@extend_schema_view(
    list=extend_schema(summary="查询行政许可信息"),
    retrieve=extend_schema(summary="获取一条行政许可信息"),
    create=_create_schema("license", "LicenseInput", "行政许可"),
)
class LicenseViewSet(_RecordViewSet):
    kind = "license"
    serializer_class = LicenseSerializer
    filterset_class = LicenseFilterSet
    queryset = LicenseRecord.objects.none()


class CommitmentSerializer(serializers.ModelSerializer):
    subject_code = serializers.CharField(source="subject.code", read_only=True)
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    department = serializers.CharField(source="department.uscc", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "number",
            "subject_code",
            "subject_name",
            "kind",
            "matter",
            "content",
            "commitment_date",
            "due_date",
            "department",
            "department_name",
            "disclosure",
            "status",
            "status_note",
            "flagged_at",
            "created_at",
            "updated_at",
        ]


CommitmentInput = inline_serializer(
    name="CommitmentInput",
    fields={
        "subject_code": serializers.CharField(help_text="承诺主体的统一社会信用代码或身份证号码"),
        "number": serializers.CharField(help_text="承诺书编号（与受理部门一起构成幂等键）"),
        "kind": serializers.ChoiceField(choices=Commitment.Kind.choices),
        "matter": serializers.CharField(),
        "content": serializers.CharField(),
        "commitment_date": serializers.DateField(),
        "due_date": serializers.DateField(required=False, allow_null=True),
        "department": serializers.CharField(required=False, help_text="受理部门统一社会信用代码；部门客户端可省略"),
        "disclosure": serializers.CharField(required=False),
    },
)

_COMMITMENT_FIELDS = {"number", "kind", "matter", "content", "commitment_date", "due_date", "disclosure"}


@extend_schema_view(
    list=extend_schema(summary="查询信用承诺"),
    retrieve=extend_schema(summary="获取一条信用承诺"),
    create=extend_schema(
        summary="报送信用承诺（单条或批量，幂等）",
        request=CommitmentInput,
        responses={200: BulkResult, 201: ItemResult},
    ),
)
class CommitmentViewSet(_BulkUpsertMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadOrWriteScope]
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilterSet
    queryset = Commitment.objects.none()
    key_field = "number"

    def get_queryset(self):
        return visible_commitments(scope_for(self.request.auth)).order_by("-updated_at", "-pk")

    def upsert_one(self, scope, item):
        unknown = set(item) - _COMMITMENT_FIELDS - {"subject_code", "department"}
        if unknown:
            raise ValidationError({f: ["未知字段。"] for f in sorted(unknown)})
        for key, value in item.items():
            if isinstance(value, dict | list):
                raise ValidationError({key: ["字段值应为文本、数字或日期。"]})
        result = services.commitment_upsert(
            scope=scope,
            subject_code=str(item.get("subject_code") or ""),
            department_uscc=str(item.get("department") or ""),
            **{k: v for k, v in item.items() if k in _COMMITMENT_FIELDS},
        )
        return result.commitment, result.outcome
