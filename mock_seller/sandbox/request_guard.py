"""The connection limits (connections.py) for granian, which hands a request to a Python
thread once its headers are in: the app's read of the body then holds that thread until
the last byte. Waitress reads the whole request first, so there a dripping client holds a
socket, not a thread, and the request deadline covers the body too.

``RequestGuard`` wraps the WSGI app so that no client holds the request threads others need,
when there are more threads than one client may hold (``--threads`` above the cap): one
client address has at most ``max_connections_per_client`` requests in progress, all
clients at most ``max_connections`` (past either: 503 with a MEF Error body, and the
connection is closed); and a body declared larger than the cap is refused unread (413).
What granian cannot give: a deadline on the body (it has none, and a read cannot be
abandoned), the 408 answer, and MEF Error bodies on its own refusals. How granian calls the
app (no process environment in the environ, the answer in one piece) is
mock_seller/granian_socket.py's concern."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mock_seller.api.limits import too_large_body
from mock_seller.sandbox.connections import (
    TOO_MANY_REFUSAL,
    ConnectionLimits,
    Refusal,
    _Admission,
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestGuard:
    """WSGI middleware: ``RequestGuard(app, limits, body_cap)``. ``body_cap``: the largest
    declared body that is read at all (the app applies its own, lower cap after reading)."""

    def __init__(self, app: WSGIApp, limits: ConnectionLimits, body_cap: int) -> None:
        self.app, self.body_cap = app, body_cap
        self.per_client = _Admission(limits.max_connections_per_client)
        self.in_all = _Admission(limits.max_connections)
        self.too_large = Refusal("413 Payload Too Large", "invalidBody",
                                 too_large_body(body_cap)["reason"])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        client = str(environ.get("REMOTE_ADDR") or "")
        if not self.per_client.enter(client):
            return _refuse(start_response, TOO_MANY_REFUSAL)
        try:
            if not self.in_all.enter(""):
                return _refuse(start_response, TOO_MANY_REFUSAL)
            try:
                if _declared_length(environ) > self.body_cap:
                    return _refuse(start_response, self.too_large)
                return self.app(environ, start_response)
            finally:
                self.in_all.leave("")
        finally:
            self.per_client.leave(client)


def _declared_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refuse(start_response: Callable[..., Any], refusal: Refusal) -> list[bytes]:
    start_response(refusal.status, list(refusal.headers))  # PEP 3333: a list
    return [refusal.body]


__all__ = ["RequestGuard"]
