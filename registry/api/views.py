from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from creditsys.api.permissions import ReadOrWriteScope

from .. import selectors, services
from ..filters import SubjectFilterSet
from ..models import Subject, SubjectRelation
from ..scoping import scope_for, visible_subjects
from .serializers import SubjectCreateSerializer, SubjectDetailSerializer, SubjectSerializer


@extend_schema_view(
    list=extend_schema(
        summary="查询信用主体",
        parameters=[
            OpenApiParameter("q", str, description="名称关键字（支持1—2个字）或代码"),
            OpenApiParameter("code", str, description="统一社会信用代码、身份证号码或其他代码（精确）"),
        ],
    ),
    retrieve=extend_schema(summary="按代码获取信用主体"),
    create=extend_schema(
        summary="新增信用主体", request=SubjectCreateSerializer, responses={201: SubjectDetailSerializer}
    ),
)
class SubjectViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ReadOrWriteScope]
    filterset_class = SubjectFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no client
            return Subject.objects.none()
        qs = visible_subjects(scope_for(self.request.auth)).select_related("region", "managing_department")
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                "codes",
                "former_names",
                Prefetch("person_relations", queryset=SubjectRelation.objects.select_related("person")),
            )
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return SubjectCreateSerializer
        return SubjectDetailSerializer if self.action == "retrieve" else SubjectSerializer

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action != "list":
            return queryset
        code = self.request.query_params.get("code")
        if code:
            found = selectors.subject_by_code(code, queryset)
            queryset = queryset.filter(pk=found.pk) if found else queryset.none()
        q = self.request.query_params.get("q")
        if q:
            queryset = selectors.subject_search(q, queryset)
        return queryset

    def get_object(self):
        subject = selectors.subject_by_code(self.kwargs["code"], self.get_queryset())
        if subject is None:
            raise NotFound("未找到该代码对应的信用主体（或不在您的查询范围内）。")
        return subject

    def create(self, request, *args, **kwargs):
        serializer = SubjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject = services.subject_create(scope=scope_for(request.auth), **serializer.validated_data)
        subject = Subject.objects.select_related("region", "managing_department").get(pk=subject.pk)
        return Response(SubjectDetailSerializer(subject).data, status=status.HTTP_201_CREATED)
