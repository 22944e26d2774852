"""Per-request context (request id, acting user, client address) for logging and audit.

Kept in context variables so that services called from a view, an API call or a Celery task can
read who is acting without having it passed through every function.
"""

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = "-"
    actor_id: int | None = None
    actor: str = ""
    ip: str = ""
    channel: str = "system"  # web / api / task / admin / system


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "creditsys_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def set_context(ctx: RequestContext):
    return _current.set(ctx)


def reset_context(token) -> None:
    _current.reset(token)


@contextmanager
def acting(*, actor: str, actor_id: int | None = None, channel: str = "system", ip: str = ""):
    """Run a block on behalf of someone (a task, a command, a test)."""
    token = _current.set(
        RequestContext(
            request_id=current().request_id if current().request_id != "-" else new_request_id(),
            actor_id=actor_id,
            actor=actor,
            ip=ip,
            channel=channel,
        )
    )
    try:
        yield
    finally:
        _current.reset(token)
