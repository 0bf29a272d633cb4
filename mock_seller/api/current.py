"""The request being served and its ``g``, looked up once: each ``request.x`` or ``g.x``
through Flask's proxies is a context-variable lookup of its own, and the hooks every API
request passes through read a dozen attributes between them."""

from __future__ import annotations

from flask import Request, g, request
from flask.ctx import _AppCtxGlobals


def current_request() -> Request:
    """The request object itself (only inside a request)."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


def current_g() -> _AppCtxGlobals:
    """The ``g`` of the current app context itself."""
    return g._get_current_object()  # type: ignore[attr-defined, no-any-return]


__all__ = ["current_g", "current_request"]
