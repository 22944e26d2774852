from dataclasses import replace

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
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
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming[:64] if incoming.isascii() and incoming else context.new_request_id()
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.set_context(
            context.RequestContext(request_id=request_id, ip=client_ip(request), channel=channel)
        )
        request.request_id = request_id
        try:
            with versions.request_snapshot():
                response = self.get_response(request)
        finally:
            context.reset_context(token)
        response["X-Request-ID"] = request_id
        return response


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
