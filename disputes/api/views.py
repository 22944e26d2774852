"""REST API of objections and repairs (SPEC §13). Views parse and serialize; services hold the rules."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from creditsys.api.permissions import ReadOrWriteScope
from registry.scoping import scope_for

from .. import selectors, services
from ..models import Objection, RepairApplication
from .serializers import (
    ObjectionCreatedSerializer,
    ObjectionCreateSerializer,
    ObjectionDecisionSerializer,
    ObjectionSerializer,
    RepairCreatedSerializer,
    RepairCreateSerializer,
    RepairDecisionSerializer,
    RepairSerializer,
)


def _files(items):
    return [dict(item) for item in items or ()]


class _Base(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadOrWriteScope]
    lookup_field = "tracking_number"
    lookup_value_regex = "[A-Za-z0-9]{1,24}"

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        scope = scope_for(self.request.auth)
        qs = selectors.visible_objections(scope) if model is Objection else selectors.visible_repairs(scope)
        status_filter = self.request.query_params.get("status")
        if status_filter:
            qs = qs.filter(status=status_filter)
        return qs.order_by("-received_on", "-pk")


@extend_schema_view(
    list=extend_schema(summary="异议申请（本部门/本区划承办）", description="可用 ?status=open|decided 过滤。"),
    retrieve=extend_schema(summary="获取异议申请"),
)
class ObjectionViewSet(_Base):
    serializer_class = ObjectionSerializer
    queryset = Objection.objects.none()

    @extend_schema(
        summary="提交异议申请（标注存在异议并暂停相关惩戒措施）",
        request=ObjectionCreateSerializer,
        responses={201: ObjectionCreatedSerializer},
    )
    def create(self, request):
        data = ObjectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["attachments"] = _files(values.get("attachments"))
        auth = values.pop("agent_authorization", None)
        objection = services.objection_file(
            channel="api",
            scope=scope_for(request.auth),
            agent_authorization=dict(auth) if auth else None,
            **values,
        )
        body = ObjectionCreatedSerializer(objection).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="作出异议处理决定（更正/撤销/维持）", request=ObjectionDecisionSerializer, responses=ObjectionSerializer
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, tracking_number=None):
        data = ObjectionDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        objection = services.objection_decide(
            scope=scope_for(request.auth), objection=self.get_object(), **data.validated_data
        )
        return Response(ObjectionSerializer(self.get_queryset().get(pk=objection.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="信用修复申请（本部门/本区划承办）"),
    retrieve=extend_schema(summary="获取信用修复申请"),
)
class RepairViewSet(_Base):
    serializer_class = RepairSerializer
    queryset = RepairApplication.objects.none()

    @extend_schema(
        summary="提交信用修复申请（不符合条件时说明原因和最早可申请日期）",
        request=RepairCreateSerializer,
        responses={201: RepairCreatedSerializer},
    )
    def create(self, request):
        data = RepairCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["attachments"] = _files(values.get("attachments"))
        app = services.repair_apply(channel="api", scope=scope_for(request.auth), **values)
        return Response(RepairCreatedSerializer(app).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="办理信用修复申请（受理/不予受理/予以修复/不予修复）",
        request=RepairDecisionSerializer,
        responses=RepairSerializer,
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, tracking_number=None):
        data = RepairDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scope = scope_for(request.auth)
        app = self.get_object()
        verb = values["action"]
        if verb in ("accept", "not_accept"):
            app = services.repair_accept(scope=scope, application=app, accept=verb == "accept", note=values["reasons"])
        else:
            app = services.repair_decide(
                scope=scope,
                application=app,
                approve=verb == "approve",
                reasons=values["reasons"],
                statement=values["statement"],
                false_materials=values["false_materials"],
            )
        return Response(RepairSerializer(self.get_queryset().get(pk=app.pk)).data)
