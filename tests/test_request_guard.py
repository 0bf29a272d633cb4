"""``RequestGuard`` (granian's connection limits): requests in progress are capped per client
address and in all, a body declared over the cap is refused unread, and every refusal is a
MEF Error that closes the connection."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from mock_seller.sandbox.connections import ConnectionLimits
from mock_seller.sandbox.request_guard import RequestGuard


class Held:
    """A WSGI app whose requests wait until released, counting those in progress."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        self.entered.release()
        self.release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def call(app: Any, client: str = "10.0.0.1", **environ: Any) -> tuple[str, dict[str, str],
                                                                        bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(status=status, headers=dict(headers))

    env = {"REMOTE_ADDR": client, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b""),
           **environ}
    body = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], body


def hold(guard: RequestGuard, app: Held, clients: list[str]) -> list[threading.Thread]:
    threads = [threading.Thread(target=call, args=(guard, c)) for c in clients]
    for thread in threads:
        thread.start()
        assert app.entered.acquire(timeout=5)
    return threads


@pytest.mark.parametrize("limits, held, refused_from, other", [
    (ConnectionLimits(max_connections=10, max_connections_per_client=2),
     ["10.0.0.1", "10.0.0.1"], "10.0.0.1", "10.0.0.2"),
    (ConnectionLimits(max_connections=2, max_connections_per_client=2),
     ["10.0.0.1", "10.0.0.2"], "10.0.0.3", None),
])
def test_requests_in_progress_are_capped(limits: ConnectionLimits, held: list[str],
                                         refused_from: str, other: str | None) -> None:
    app = Held()
    guard = RequestGuard(app, limits, body_cap=1000)
    threads = hold(guard, app, held)
    try:
        status, headers, body = call(guard, refused_from)
        assert status.startswith("503")
        assert headers["Connection"] == "close" and headers["Retry-After"] == "1"
        assert json.loads(body)["code"] == "tooManyRequests"
        if other is not None:  # another address is still served
            threading.Timer(0.2, app.release.set).start()
            assert call(guard, other)[0] == "200 OK"
    finally:
        app.release.set()
        for thread in threads:
            thread.join(5)
    assert call(guard, refused_from)[0] == "200 OK"  # released once they ended


def test_a_body_declared_over_the_cap_is_refused_unread() -> None:
    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the body was read")

    guard = RequestGuard(Held(), ConnectionLimits(), body_cap=100)
    status, headers, body = call(guard, REQUEST_METHOD="POST", CONTENT_LENGTH="101",
                                 **{"wsgi.input": Unreadable()})
    assert status.startswith("413") and headers["Connection"] == "close"
    assert json.loads(body) == {"code": "invalidBody",
                                "reason": "The request body is larger than the limit of 100 "
                                          "bytes"}


def test_a_failing_app_releases_its_place() -> None:
    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("boom")

    guard = RequestGuard(broken, ConnectionLimits(max_connections=1,
                                                  max_connections_per_client=1), 100)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            call(guard)
    assert guard.in_all._open == {} and guard.per_client._open == {}
