"""One JSON error format for the whole API (SPEC §13).

``{"code": "<stable code>", "detail": "<中文说明>", "errors": {"field": ["中文消息", ...]}}``.
Bad input is always 4xx; an unexpected error is logged with its request id and answered as a
generic 500 without a stack trace.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("creditsys.api")

CODES = {
    exceptions.NotAuthenticated: (
        "not_authenticated",
        "需要 API 密钥：请在请求头中提供 Authorization: Bearer <密钥>。",
    ),
    exceptions.AuthenticationFailed: ("authentication_failed", "API 密钥无效。"),
    exceptions.PermissionDenied: ("permission_denied", "没有权限执行该操作。"),
    exceptions.NotFound: ("not_found", "未找到该资源。"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法。"),
    exceptions.ParseError: ("parse_error", "请求体不是有效的 JSON。"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "不支持的请求内容类型，请使用 application/json。"),
    exceptions.Throttled: ("throttled", "请求过于频繁，请稍后再试。"),
    exceptions.NotAcceptable: ("not_acceptable", "无法按要求的格式返回结果。"),
    exceptions.ValidationError: ("invalid", "提交的数据有误，请按字段提示修改。"),
}


def _messages(detail) -> list[str] | dict:
    if isinstance(detail, dict):
        return {k: _messages(v) for k, v in detail.items()}
    if isinstance(detail, list):
        flat = []
        for item in detail:
            sub = _messages(item)
            if isinstance(sub, list):
                flat.extend(sub)
            else:
                flat.append(sub)
        return flat
    return [str(detail)]


def error_body(code: str, detail: str, errors: dict | None = None) -> dict:
    body = {"code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


SERVER_ERROR_BODY = error_body("server_error", "服务器内部错误，已记录，请稍后重试或联系管理员。")


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.exception("unhandled API error", extra={"path": getattr(request, "path", "")})
        return Response(SERVER_ERROR_BODY, status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    code, default_detail = "error", "请求无法处理。"
    for cls, pair in CODES.items():
        if isinstance(exc, cls):
            code, default_detail = pair
            break
    errors = None
    detail = default_detail
    if isinstance(exc, exceptions.ValidationError):
        messages = _messages(exc.detail)
        if isinstance(messages, dict):
            errors = messages
            first_field = next(iter(messages), None)
            if first_field and first_field != "non_field_errors":
                first = messages[first_field]
                if isinstance(first, list) and first:
                    detail = f"{default_detail}（{first_field}：{first[0]}）"
        else:
            errors = {"non_field_errors": messages}
            detail = messages[0] if messages else default_detail
    elif isinstance(exc, exceptions.APIException):
        text = str(exc.detail) if not isinstance(exc.detail, list | dict) else ""
        # DRF's own English defaults are replaced by our Chinese ones; our own messages are kept.
        if text and text != str(type(exc).default_detail):
            detail = text
    response.data = error_body(code, detail, errors)
    return response
