"""What several sanctions service modules share: the stale-row message and the default day."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

_STALE = "该记录已被他人处理或状态已变化，请刷新后重试。"


def _today(today: date | None) -> date:
    return today or timezone.localdate()
