"""Where each defect function registers under its name (a leaf module, so that the
implementations and the registry that checks them against defects.yaml need not import each
other)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# name -> hook functions, filled by @response_defect / @notifier_defect at import
RESPONSE_HOOKS: dict[str, Callable[..., None]] = {}
NOTIFIER_HOOKS: dict[str, dict[str, Callable[..., Any]]] = {}


def response_defect(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(answer)``: mutates an outgoing answer (a core.hooks.Answer)."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        RESPONSE_HOOKS[name] = fn
        return fn

    return register


def notifier_defect(name: str, hook: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a notifier hook (``publish``, ``subscribe`` or ``unsubscribe``)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        NOTIFIER_HOOKS.setdefault(name, {})[hook] = fn
        return fn

    return register


__all__ = ["NOTIFIER_HOOKS", "RESPONSE_HOOKS", "notifier_defect", "response_defect"]
