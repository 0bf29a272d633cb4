"""In-process mode: a buyer's ``requests`` calls go to the mock's Flask app through
``responses``, without a socket; same engine, buyer checks and journal as over HTTP.

Notifications the mock sends while intercepting go to ``on_notification`` (called with a
:class:`Notification`), or, when ``listener_url`` is given, for real to that listener.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_BASES = sorted([*BASE_PATHS.values(), *CANTATA_BASE_PATHS.values()], key=len, reverse=True)
_LISTENER = re.compile(r"https?://[^/?#]+(/[^?#]*)?/productOfferingQualificationNotification/")


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification the mock sent: where to, its event type and JSON body."""

    url: str
    event_type: str
    body: Any


def _gateway_prefix(url: str) -> tuple[str, str]:
    """(origin, path prefix the gateway adds in front of the mock's base paths)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"intercept needs an absolute http(s) URL, not {url!r}")
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    for base in _BASES:
        if path.endswith(base):
            return origin, path[: -len(base)]
    if path:
        raise ValueError(f"intercept: {url!r} must be an origin (https://seller.example) or "
                         f"end with a base path of the mock, e.g. {BASE_PATHS['v8']}")
    return origin, ""


@contextmanager
def intercept(seller: Any, url: str, *, on_notification: Callable[[Notification], Any] | None
              = None, listener_url: str | None = None) -> Iterator[Any]:
    """Route requests under ``url`` to ``seller.app`` (a ``responses.RequestsMock`` is
    yielded, for adding routes of your own). Other URLs reach the network only when they are
    the mock's own socket or ``listener_url``; anything else is refused by ``responses``."""
    import responses

    if on_notification is not None and listener_url is not None:
        raise ValueError("give on_notification or listener_url, not both")
    origin, prefix = _gateway_prefix(url)
    client = seller.app.test_client()

    def to_app(req: Any) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(req.url)
        path = parts.path[len(prefix):] if prefix else parts.path
        target = path + (f"?{parts.query}" if parts.query else "")
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() not in ("content-length", "host")}
        body = req.body.encode() if isinstance(req.body, str) else req.body
        answer = client.open(target, base_url=origin + prefix, method=req.method,
                             headers=headers, data=body)
        out = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
        return answer.status_code, out, answer.get_data()

    def to_callback(req: Any) -> tuple[int, dict[str, str], bytes]:
        body: Any = req.body.decode() if isinstance(req.body, bytes) else req.body
        with contextlib.suppress(ValueError):  # not JSON: handed over as text
            body = json.loads(body) if body else None
        event_type = urlsplit(req.url).path.rstrip("/").rsplit("/", 1)[-1]
        assert on_notification is not None
        on_notification(Notification(req.url, event_type, body))
        return 204, {}, b""

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    own = re.compile(re.escape(origin + prefix) + r"(/[^?#]*)?(\?.*)?$")
    for method in _METHODS:
        mock.add_callback(method, own, callback=to_app)
    if on_notification is not None:
        mock.add_callback("POST", _LISTENER, callback=to_callback)
    if listener_url is not None:
        mock.add_passthru(listener_url)
    mock.add_passthru(seller.root_url)
    with mock:
        try:
            yield mock
        finally:
            seller.wait_for_notifications()  # deliveries still in flight use the routes


__all__ = ["Notification", "intercept"]
