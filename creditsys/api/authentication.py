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


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("认证头格式应为：Authorization: Bearer <密钥>。")
        key = parts[1]
        pieces = key.split("_", 2)
        if len(pieces) != 3 or pieces[0] != KEY_PREFIX:
            raise exceptions.AuthenticationFailed("API 密钥无效。")
        client = (
            api_client_model()
            .objects.select_related("department__region", "region")
            .filter(key_prefix=pieces[1])
            .first()
        )
        if client is None or not hmac.compare_digest(client.key_hash, hash_key(key)):
            raise exceptions.AuthenticationFailed("API 密钥无效。")
        if not client.is_active:
            raise exceptions.AuthenticationFailed("该 API 客户端已停用。")
        now = timezone.now()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            type(client).objects.filter(pk=client.pk).update(last_used_at=now)
        from creditsys import context

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
        return (client, client)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when no credentials were sent.
        return f'{self.keyword} realm="creditsys"'
