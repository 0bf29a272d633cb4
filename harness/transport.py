"""HTTP plumbing that a hostile Seller cannot stretch: a whole-response deadline and a
capped body read.

``requests`` timeouts bound each socket read, so a Seller dripping one byte a second never
times out. :class:`Watchdog` bounds the whole exchange instead: connections made through
:class:`BoundedAdapter` register with the watchdog of the current thread, and when its
time is up it shuts the socket down, which ends any blocked read at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK = 64 * 1024

_scope = threading.local()


class Watchdog:
    """Context manager: after ``seconds``, cut the connection the current thread is using."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(seconds, 0.0)
        self.fired = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._outer: Watchdog | None = None

    def __enter__(self) -> Watchdog:
        self._outer = getattr(_scope, "dog", None)
        _scope.dog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _scope.dog = self._outer

    def attach(self, conn: Any) -> None:
        with self._lock:
            self._conns.append(conn)
            fired = self.fired
        if fired:
            _cut(conn)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            conns = list(self._conns)
        for conn in conns:
            _cut(conn)


def _cut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # the plain socket call: on TLS too it ends the
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # read, not touching the SSL state


class _Watched:
    """Connection mixin: each request registers with the thread's watchdog; once it has
    fired, no new request or connection goes ahead."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        dog = getattr(_scope, "dog", None)
        if dog is not None:
            if dog.fired:
                raise TimeoutError("the request's deadline has passed")
            dog.attach(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        dog = getattr(_scope, "dog", None)
        if dog is not None and dog.fired:  # fired while connecting, when there was no socket
            _cut(self)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class BoundedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections a :class:`Watchdog` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


@dataclass(slots=True)
class Capped:
    """A body read with a byte cap: ``data`` holds at most ``limit`` bytes."""

    data: bytes
    size: int  # bytes seen (at least len(data))
    over: bool  # the body is larger than the cap; reading stopped
    declared: int | None  # Content-Length, when the Seller sent one
    failure: Exception | None = None  # the read broke off (data holds what came)


def read_capped(resp: requests.Response, limit: int) -> Capped:
    """Read a streamed body up to ``limit`` bytes, stopping as soon as it is known to be
    larger (at once when Content-Length says so); a read that breaks off keeps what came."""
    declared = _content_length(resp)
    buf = bytearray()
    try:
        if declared is not None and declared > limit:  # keep a first chunk as evidence
            first = next(resp.iter_content(min(CHUNK, limit)), b"")
            return Capped(first, len(first), True, declared)
        for chunk in resp.iter_content(CHUNK):
            if len(buf) + len(chunk) > limit:
                return Capped(bytes(buf), len(buf) + len(chunk), True, declared)
            buf += chunk
    except (requests.RequestException, OSError, ValueError) as exc:
        return Capped(bytes(buf), len(buf), False, declared, exc)
    return Capped(bytes(buf), len(buf), False, declared)


def _content_length(resp: requests.Response) -> int | None:
    try:
        value = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


__all__ = ["CHUNK", "BoundedAdapter", "Capped", "Watchdog", "read_capped"]
