"""REST API of the sanctions app (SPEC §13). Views parse and serialize; services hold the rules."""

import logging

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView

from creditsys.api.authentication import authenticate_key
from creditsys.api.errors import SERVER_ERROR_BODY
from creditsys.api.permissions import CheckScope, ReadOrWriteScope, ReadScope
from creditsys.api.renderers import JSONRenderer
from registry.scoping import scope_for, visible_subjects
from registry.selectors import subject_by_code

from .. import selectors, services
from ..filters import ListEntryFilterSet, MeasureFilterSet, TaskFilterSet
from ..models import EnforcementTask, ListEntry, Measure
from .serializers import (
    ChangePageSerializer,
    ChangeSerializer,
    CheckAnswerSerializer,
    CheckBatchAnswerSerializer,
    CheckBatchSerializer,
    FeedbackSerializer,
    ListEntryCreateSerializer,
    ListEntrySerializer,
    MeasureSerializer,
    PublishSerializer,
    RemoveSerializer,
    TaskSerializer,
)

logger = logging.getLogger("creditsys.api")


@extend_schema_view(
    list=extend_schema(summary="查询名单记录（本部门/本区划）"),
    retrieve=extend_schema(summary="获取名单记录"),
    create=extend_schema(
        summary="提出名单记录",
        description="填写 reviewer_name（与提出人不同）表示已在本系统外完成双人审核，记录直接进入“已审核待告知”；"
        "否则进入待审核，由工作台审核员审核。",
        request=ListEntryCreateSerializer,
        responses={201: ListEntrySerializer},
    ),
)
class ListEntryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ReadOrWriteScope]
    serializer_class = ListEntrySerializer
    queryset = ListEntry.objects.none()  # for the schema; real rows come from get_queryset
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ListEntryFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ListEntry.objects.none()
        return selectors.visible_entries(scope_for(self.request.auth)).select_related(
            "subject", "initiating_department", "region"
        )

    def create(self, request, *args, **kwargs):
        data = ListEntryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        scope = scope_for(request.auth)
        subject = subject_by_code(values.pop("subject_code"), visible_subjects(scope))
        if subject is None:
            raise ValidationError(
                {"subject_code": ["未找到该代码对应的信用主体（或不在您的管辖范围内），请先登记主体。"]}
            )
        entry = services.entry_create(scope=scope, subject=subject, via="api", submit=True, **values)
        return Response(ListEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="告知当事人（开始陈述申辩期）", request=None, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def notify(self, request, pk=None):
        entry = services.entry_notify(scope=scope_for(request.auth), entry=self.get_object())
        return Response(ListEntrySerializer(entry).data)

    @extend_schema(summary="公布名单记录（发起联合奖惩）", request=PublishSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_publish(scope=scope_for(request.auth), entry=self.get_object(), **data.validated_data)
        return Response(ListEntrySerializer(entry).data)

    @extend_schema(summary="移出名单（解除措施）", request=RemoveSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        data = RemoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_remove(scope=scope_for(request.auth), entry=self.get_object(), **data.validated_data)
        return Response(ListEntrySerializer(entry).data)


@extend_schema_view(
    list=extend_schema(summary="奖惩措施清单（默认仅已公布的措施）"),
    retrieve=extend_schema(summary="获取措施"),
)
class MeasureViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ReadScope]
    serializer_class = MeasureSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = MeasureFilterSet

    def get_queryset(self):
        qs = Measure.objects.select_related("memorandum").prefetch_related("implementing_departments")
        if "status" not in self.request.query_params:
            qs = qs.filter(status=Measure.Status.PUBLISHED)
        return qs.order_by("code", "-version")


@extend_schema_view(
    list=extend_schema(summary="联合奖惩任务（本部门收件箱）"),
    retrieve=extend_schema(summary="获取任务"),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadOrWriteScope]
    serializer_class = TaskSerializer
    queryset = EnforcementTask.objects.none()  # for the schema
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = TaskFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EnforcementTask.objects.none()
        return selectors.visible_tasks(scope_for(self.request.auth)).select_related(
            "measure", "department", "entry__subject"
        )

    @extend_schema(summary="反馈执行情况", request=FeedbackSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.task_feedback(
            scope=scope_for(request.auth), task=self.get_object(), client=request.auth, **data.validated_data
        )
        task = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(task).data)


class CheckView(APIView):
    """The check (应查必查). Its plain requests never reach this view: ``plain_check`` answers them
    from the top of the middleware chain (``SHORT_PATHS``); the rest — other methods, bad keys or
    input, content negotiation — comes here and is answered like every other endpoint."""

    permission_classes = [CheckScope]

    @extend_schema(
        summary="核查信用主体（应查必查）",
        parameters=[
            OpenApiParameter("code", str, required=True, description="统一社会信用代码或身份证号码"),
            OpenApiParameter("matter", str, required=True, description="办理事项，如：政府采购、行政许可"),
        ],
        responses=CheckAnswerSerializer,
    )
    def get(self, request):
        code = request.query_params.get("code", "")
        matter = request.query_params.get("matter", "")
        if not code.strip():
            raise ValidationError({"code": ["请提供要核查的代码（code）。"]})
        [answer] = services.check_perform(principal=request.auth, codes=[code], matter=matter)
        return Response(answer)


# What DRF would negotiate to our JSON renderer without looking further.
_PLAIN_ACCEPT = frozenset(("", "*/*", "application/json"))
_RENDERER = JSONRenderer()


def plain_check(request) -> HttpResponse | None:
    """``CheckView.get`` without DRF's request wrapping, negotiation and exception machinery, for
    ``ShortPathMiddleware`` (``SHORT_PATHS``): every counter's 应查必查 lookup is one.

    Same key check, scope, service and renderer, so the same bytes and headers as DRF's answer
    (tested); None when the request is not the plain case, and the usual chain and DRF answer it
    instead. Nothing is written before None is returned: the service validates before it reads or logs.
    """
    meta = request.META
    if request.method != "GET" or meta.get("HTTP_ACCEPT", "") not in _PLAIN_ACCEPT:
        return None
    keyword, _, key = meta.get("HTTP_AUTHORIZATION", "").partition(" ")
    params = request.GET
    code = params.get("code", "")
    if keyword != "Bearer" or not key or " " in key or not code.strip() or "format" in params:
        return None
    try:
        client = authenticate_key(key)
    except AuthenticationFailed:
        return None
    if CheckScope.scope not in client.scopes:
        return None
    try:
        [answer] = services.check_perform(principal=client, codes=[code], matter=params.get("matter", ""))
    except ValidationError:
        return None
    except Exception:
        logger.exception("unhandled API error", extra={"path": request.path})
        return JsonResponse(SERVER_ERROR_BODY, status=500)
    response = HttpResponse(_RENDERER.render(answer), content_type="application/json")
    response["Allow"] = "GET, HEAD, OPTIONS"  # as DRF says it (one renderer: no Vary: Accept); tested
    return response


class CheckBatchView(APIView):
    permission_classes = [CheckScope]

    @extend_schema(
        summary="批量核查（最多1000个代码）", request=CheckBatchSerializer, responses=CheckBatchAnswerSerializer
    )
    def post(self, request):
        data = CheckBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = services.check_perform(
            principal=request.auth, codes=data.validated_data["codes"], matter=data.validated_data["matter"]
        )
        return Response({"count": len(answers), "results": answers})


class ChangesView(APIView):
    permission_classes = [ReadScope]
    page_size = 500

    @extend_schema(
        summary="变更订阅（按游标顺序拉取已公布的变更）",
        parameters=[
            OpenApiParameter("after", int, description="上次返回的 next_cursor；首次为 0"),
            OpenApiParameter("limit", int, description="每次最多条数（≤500）"),
        ],
        responses=ChangePageSerializer,
    )
    def get(self, request):
        try:
            after = int(request.query_params.get("after", "0") or 0)
            limit = min(max(int(request.query_params.get("limit", self.page_size)), 1), self.page_size)
        except ValueError:
            raise ValidationError({"after": ["游标应为整数。"]})
        if after < 0:
            raise ValidationError({"after": ["游标不能为负数。"]})
        rows = list(selectors.visible_changes(scope_for(request.auth)).filter(pk__gt=after).order_by("pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {
                "results": ChangeSerializer(rows, many=True).data,
                "next_cursor": rows[-1].pk if rows else after,
                "has_more": has_more,
            }
        )
