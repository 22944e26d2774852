from rest_framework import serializers

from ..models import Region, Subject, SubjectCode, SubjectName, SubjectRelation


class SubjectCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubjectCode
        fields = ["kind", "value"]


class FormerNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubjectName
        fields = ["name", "used_until"]


class RelationSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name")
    person_id_number = serializers.CharField(source="person.id_number_masked", help_text="脱敏后的身份证号码")

    class Meta:
        model = SubjectRelation
        fields = ["role", "person_name", "person_id_number", "valid_from", "valid_until"]


class SubjectSerializer(serializers.ModelSerializer):
    """A subject as the API shows it: ID numbers only masked."""

    code = serializers.CharField(read_only=True, help_text="统一社会信用代码，或脱敏后的身份证号码")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    managing_department = serializers.CharField(source="managing_department.uscc", read_only=True)
    managing_department_name = serializers.CharField(source="managing_department.name", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)

    class Meta:
        model = Subject
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "code",
            "uscc",
            "id_number",
            "legal_representative",
            "address",
            "region",
            "region_name",
            "managing_department",
            "managing_department_name",
            "status",
            "status_display",
            "created_at",
            "updated_at",
        ]


class SubjectDetailSerializer(SubjectSerializer):
    codes = SubjectCodeSerializer(many=True, read_only=True)
    former_names = FormerNameSerializer(many=True, read_only=True)
    relations = RelationSerializer(source="person_relations", many=True, read_only=True)

    class Meta(SubjectSerializer.Meta):
        fields = [*SubjectSerializer.Meta.fields, "codes", "former_names", "relations"]


class SubjectCreateSerializer(serializers.Serializer):
    """Input for ``POST /api/v1/subjects/``; codes are validated by the service."""

    kind = serializers.ChoiceField(choices=Subject.Kind.choices, label="主体类别")
    name = serializers.CharField(max_length=200, label="名称/姓名")
    uscc = serializers.CharField(max_length=40, required=False, allow_blank=True, label="统一社会信用代码")
    id_number = serializers.CharField(max_length=40, required=False, allow_blank=True, label="身份证号码")
    legal_representative = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        label="所属区划代码",
        error_messages={"does_not_exist": "行政区划代码“{value}”不存在。"},
    )
    status = serializers.ChoiceField(choices=Subject.Status.choices, default=Subject.Status.ACTIVE)
