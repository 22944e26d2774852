"""The workbench home page collects "my work" panels from every app.

Higher layers (sanctions, disputes) register a panel provider in their ``AppConfig.ready``; registry
calls them without importing those apps, so the dependency direction stays one way.
A provider is ``fn(*, user, scope) -> dict | None`` returning
``{"title": str, "order": int, "items": [{"label", "count", "url", "alert": bool}]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("creditsys.workbench")

_providers: list[Callable] = []


def register_home_panel(provider: Callable) -> Callable:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def home_panels(*, user, scope) -> list[dict]:
    panels = []
    for provider in _providers:
        panel = provider(user=user, scope=scope)
        if panel:
            panels.append(panel)
    return sorted(panels, key=lambda p: p.get("order", 100))
