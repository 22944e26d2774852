from dataclasses import replace

from django.conf import settings

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
