"""API key authentication: ``Authorization: Bearer <key>`` (SPEC §13).

Keys look like ``cs_<prefix>_<secret>``; the prefix finds the client and only a SHA-256 hash of the
whole key is stored (the key is random, so a fast hash is enough), compared in constant time.
The client model is named by ``settings.API_CLIENT_MODEL``, as Django does with its user model.
"""

import hashlib
import hmac
import secrets

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from creditsys import context, versions

KEY_PREFIX = "cs"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> tuple[str, str, str]:
    """Return (key, prefix, hash). The key itself is shown once and never stored."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def api_client_model():
    return apps.get_model(settings.API_CLIENT_MODEL)


# API clients (with their department and region) memoised per process while the shared version is
# unchanged: the lookup cost more than a whole check's reads. Any save or delete of a client, a
# department or a region bumps the version (``clients_changed``), so a revoked key stops working at
# the next request of every process. Without the shared cache: read per request.
CLIENTS_VERSION_KEY = versions.register("api:clients-version")
_clients_memo: dict = {"version": None, "clients": {}}


def _forget_clients() -> None:
    _clients_memo.update(version=None, clients={})


def clients_changed(*args, **kwargs) -> None:
    """A client, department or region changed: forget memoised clients in every process."""
    versions.changed(CLIENTS_VERSION_KEY, _forget_clients)


def client_by_prefix(prefix: str):
    version = versions.current(CLIENTS_VERSION_KEY)
    if version is None or _clients_memo["version"] != version:
        _clients_memo.update(version=version, clients={})
    clients = _clients_memo["clients"]
    if prefix in clients:
        return clients[prefix]
    client = api_client_model().objects.select_related("department__region", "region").filter(key_prefix=prefix).first()
    if version is not None and client is not None:
        clients[prefix] = client
    return client


def authenticate_key(key: str):
    """The active API client whose key this is, recorded as the actor of the request.

    Raises ``AuthenticationFailed`` (with the message the API answers) for any other key. Used by
    DRF's authentication below and by the check's short path (``sanctions.api.views``).
    """
    pieces = key.split("_", 2)
    if len(pieces) != 3 or pieces[0] != KEY_PREFIX:
        raise exceptions.AuthenticationFailed("API 密钥无效。")
    client = client_by_prefix(pieces[1])
    if client is None or not hmac.compare_digest(client.key_hash, hash_key(key)):
        raise exceptions.AuthenticationFailed("API 密钥无效。")
    if not client.is_active:
        raise exceptions.AuthenticationFailed("该 API 客户端已停用。")
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        type(client).objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now  # the memoised copy too: at most one UPDATE a minute per process
    ctx = context.current()
    context.set_context(
        context.RequestContext(
            request_id=ctx.request_id,
            actor_id=None,
            actor=f"api:{client.name}",
            ip=ctx.ip,
            channel="api",
        )
    )
    return client


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("认证头格式应为：Authorization: Bearer <密钥>。")
        client = authenticate_key(parts[1])
        return (client, client)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when no credentials were sent.
        return f'{self.keyword} realm="creditsys"'
