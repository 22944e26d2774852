"""State changes made from the public site itself (举报). Objections and repairs are in disputes."""

from __future__ import annotations

import json
import secrets

from django.db import transaction
from django.utils import timezone

from creditsys import audit, crypto

from .models import Tip


def new_tracking_number(prefix: str) -> str:
    return f"{prefix}{timezone.localtime():%Y%m%d}{secrets.randbelow(10**6):06d}"


def new_query_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


@transaction.atomic
def tip_submit(
    *, target_name: str, target_code: str, content: str, reporter_name: str, reporter_phone: str
) -> tuple[Tip, str]:
    """Record a 举报; returns the tip and its query code (shown once, stored hashed)."""
    query_code = new_query_code()
    number = new_tracking_number("JB")
    while Tip.objects.filter(tracking_number=number).exists():
        number = new_tracking_number("JB")
    tip = Tip.objects.create(
        tracking_number=number,
        query_code_hash=crypto.lookup_hmac(query_code),
        target_name=target_name.strip(),
        target_code=target_code.strip(),
        content=content.strip(),
        reporter_encrypted=crypto.encrypt(
            json.dumps({"name": reporter_name, "phone": reporter_phone}, ensure_ascii=False)
        ),
    )
    audit.record(action="create", instance=tip, after={"tracking_number": number, "target_name": tip.target_name})
    return tip, query_code


def tip_reporter(tip: Tip) -> dict:
    """The reporter's identity, for authorised staff only (the caller audits the read)."""
    return json.loads(crypto.decrypt(tip.reporter_encrypted))
