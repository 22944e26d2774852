"""Abuse protection for public forms without any external service: rate limits and a challenge."""

from __future__ import annotations

import functools
import secrets
import time

from django.http import HttpResponse
from django.template.loader import render_to_string

from creditsys import crypto
from creditsys.cache import count_hit
from creditsys.middleware import client_ip

CHALLENGE_TTL = 1800


def rate_limited(*, key: str, limit: int, window: int, methods=("POST",)):
    """Allow ``limit`` requests per ``window`` seconds per client address (shared cache counters)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                bucket = f"ratelimit:{key}:{client_ip(request)}:{int(time.time() // window)}"
                if count_hit(bucket, window) > limit:
                    html = render_to_string(
                        "publicity/too_many.html", {"window_minutes": max(1, window // 60)}, request
                    )
                    response = HttpResponse(html, status=429)
                    response["Retry-After"] = str(window)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def new_challenge() -> str:
    """A signed token ``a.b.expires.signature`` for the question "a + b = ?"."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    expires = int(time.time()) + CHALLENGE_TTL
    return f"{a}.{b}.{expires}.{crypto.sign(f'{a}.{b}.{expires}'.encode(), 'challenge')}"


def parse_challenge(token: str) -> tuple[int, int, int] | None:
    try:
        a, b, expires, signature = (token or "").split(".", 3)
        a, b, expires = int(a), int(b), int(expires)
    except ValueError:
        return None
    if not secrets.compare_digest(crypto.sign(f"{a}.{b}.{expires}".encode(), "challenge"), signature):
        return None
    return a, b, expires


def challenge_question(token: str) -> str:
    parsed = parse_challenge(token)
    return f"{parsed[0]} + {parsed[1]} = ?" if parsed else ""


def check_challenge(token: str, answer: str) -> bool:
    parsed = parse_challenge(token)
    if parsed is None or parsed[2] < time.time():
        return False
    try:
        return int((answer or "").strip()) == parsed[0] + parsed[1]
    except ValueError:
        return False
