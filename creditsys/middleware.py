import importlib
from contextlib import contextmanager
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation

from . import context, versions


def client_ip(request) -> str:
    """The client's address. X-Forwarded-For is believed only behind known proxies.

    With ``TRUSTED_PROXY_COUNT = n`` (n reverse proxies in front of the app), the address the
    outermost trusted proxy saw is the n-th entry from the right; anything left of it is
    client-supplied and ignored. With 0 (the default) the header is ignored entirely, so a client
    cannot choose its own address to escape the rate limits.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


class RequestContextMiddleware:
    """Give every request an id (honouring X-Request-ID) and expose it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_context(request):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


@contextmanager
def request_context(request):
    """The request's id (``request.request_id``), client address and channel as the context of
    what runs inside, with one snapshot of the shared versions (``creditsys.versions``)."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming[:64] if incoming.isascii() and incoming else context.new_request_id()
    channel = "api" if request.path.startswith("/api/") else "web"
    token = context.set_context(context.RequestContext(request_id=request_id, ip=client_ip(request), channel=channel))
    request.request_id = request_id
    try:
        with versions.request_snapshot():
            yield
    finally:
        context.reset_context(token)


class AuditUserMiddleware:
    """After authentication, record the signed-in user in the request context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ctx = context.current()
            channel = "admin" if request.path.startswith("/admin/") else ctx.channel
            token = context.set_context(replace(ctx, actor_id=user.pk, actor=user.get_username(), channel=channel))
            try:
                return self.get_response(request)
            finally:
                context.reset_context(token)
        return self.get_response(request)


class ShortPathMiddleware:
    """The busiest API call leaves the middleware chain first, for a plain handler of its own.

    ``SHORT_PATHS`` maps a path to a handler (dotted path, looked up at each request) that answers
    a request completely, or returns None — having written nothing — to leave it to the usual
    chain and its view. Around the handler run only the middleware whose work the answer needs, the
    same classes as in ``MIDDLEWARE`` (``SHORT_PATH_MIDDLEWARE``, in its order): security headers,
    the request context and id, the host check and Content-Length; then the site language, as
    ``ApiMiddleware`` sets it. Static files, sessions, CSRF, users, messages, frame options, URL
    resolution and DRF's request wrapping have nothing to do for it, and going through them cost a
    plain check a fifth of its CPU (in-process: 1.67 → 1.36 ms, 2026-12-08). A request the usual
    chain would refuse (a host not allowed, a denied user agent) is left to it, so that it answers
    as it always does.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.chains = {}
        for path, dotted in getattr(settings, "SHORT_PATHS", {}).items():
            answer = _ShortAnswer(dotted)
            for middleware in reversed(SHORT_PATH_MIDDLEWARE):
                answer = middleware(answer)
            self.chains[path] = answer

    def __call__(self, request):
        chain = self.chains.get(request.path_info)
        if chain is not None:
            try:
                return chain(request)
            except (_Declined, SuspiciousOperation, PermissionDenied):
                pass  # nothing was written: the usual chain answers (or refuses) it
        return self.get_response(request)


class _Declined(Exception):
    """The short handler left the request to the usual chain."""


class _ShortAnswer:
    def __init__(self, dotted: str):
        self.module_name, _, self.name = dotted.rpartition(".")

    def __call__(self, request):
        translation.activate(settings.LANGUAGE_CODE)  # as ApiMiddleware
        handler = getattr(importlib.import_module(self.module_name), self.name)
        response = handler(request)
        if response is None:
            raise _Declined
        return response


class ApiMiddleware:
    """Requests to the REST API (``/api/v1/``) leave the middleware chain here for their view.

    The API authenticates every request by its key and answers JSON in Chinese, so the middleware
    below this one — sessions, the CSRF token, the signed-in user, the page language, messages,
    the frame policy of HTML pages — has nothing to do for it; running it anyway cost a fifth of
    a check's CPU. What stands above it applies to every request: security headers, static files,
    the request context and ``CommonMiddleware``'s slash redirects.
    """

    prefix = "/api/v1/"

    def __init__(self, get_response):
        self.get_response = get_response
        self.get_api_response = _ViewHandler().get_view_response

    def __call__(self, request):
        if request.path_info.startswith(self.prefix):
            # No LocaleMiddleware here: whatever a page request left active in this thread, the
            # API answers in the site language.
            translation.activate(settings.LANGUAGE_CODE)
            return self.get_api_response(request)
        return self.get_response(request)


class _ViewHandler(BaseHandler):
    """Django's handling of a request from URL resolution to its view's response, without middleware
    (the outer handler has already done the rest: URLconf, signals, logging of error responses)."""

    def __init__(self):
        super().__init__()
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self.get_view_response = convert_exception_to_response(self._get_response)


# What stands above ``ApiMiddleware`` in ``MIDDLEWARE`` and applies to an API answer (not the
# static files of WhiteNoise), in the same order: the short paths' chain (tested against settings).
SHORT_PATH_MIDDLEWARE = (SecurityMiddleware, RequestContextMiddleware, CommonMiddleware)
