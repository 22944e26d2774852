"""What several disputes service modules share: the stale-row message, the default day and an
item's type name in deadline events and notification keys."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from ..models import Objection

_STALE = "该申请已由他人处理或状态已变化，请刷新后查看。"


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _item_type(item) -> str:
    return "objection" if isinstance(item, Objection) else "repair"
