"""The request being served, its app and its ``g`` as the objects themselves: each
``request.x``, ``current_app.x`` or ``g.x`` through Flask's proxies costs about a microsecond
(a few thousand instructions), and every API request made some forty of them."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Request, current_app, g, request
from flask.ctx import _AppCtxGlobals

#: environ key of the instant (``time.monotonic()``) the app took the request
#: (``mock_seller.app.SellerFlask``): the request log's and console log's latency
STARTED = "poq.started"


def current_flask() -> Flask:
    """The app serving this request itself (``current_app`` without its proxy)."""
    return current_app._get_current_object()  # type: ignore[attr-defined, no-any-return]


def current_request() -> Request:
    """The request object itself (only inside a request)."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


def current_g() -> _AppCtxGlobals:
    """The ``g`` of the current app context itself."""
    return g._get_current_object()  # type: ignore[attr-defined, no-any-return]


def started_ms_ago(environ: dict[str, Any]) -> float | None:
    """Milliseconds since the app took the request of ``environ`` (None: not stamped)."""
    t0 = environ.get(STARTED)
    return None if t0 is None else (time.monotonic() - t0) * 1000


__all__ = ["STARTED", "current_flask", "current_g", "current_request", "started_ms_ago"]
