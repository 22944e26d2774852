"""Keys derived from FIELD_ENCRYPTION_KEY: Fernet for encryption at rest, HMAC for exact lookup.

Separate derived keys mean the lookup HMAC reveals nothing about the encryption key.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(label: bytes) -> bytes:
    return hmac.new(settings.FIELD_ENCRYPTION_KEY.encode(), label, hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"creditsys-field-encryption-v1")))


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value: our fault, never the user's
        raise ValueError("cannot decrypt field: wrong FIELD_ENCRYPTION_KEY or altered data") from exc


def lookup_hmac(value: str) -> str:
    return hmac.new(_derive(b"creditsys-lookup-hmac-v1"), value.encode(), hashlib.sha256).hexdigest()


def sign(data: bytes, purpose: str) -> str:
    """Keyed signature for documents (credit reports, webhooks) bound to a purpose."""
    key = _derive(b"creditsys-sign-" + purpose.encode())
    return hmac.new(key, data, hashlib.sha256).hexdigest()
