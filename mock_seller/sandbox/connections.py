"""Connection limits of the mock's HTTP server: no client can hold the sandbox for others.

A slowloris client opens many connections and sends a byte now and then: each one stays
"active", and once the server's connection limit is reached nobody else gets in. The limits
here are named for what they bound, not for a server's knobs, so another server can apply them
the same way; ``apply_to_waitress`` applies them to waitress:

- ``request_timeout``: seconds to receive one whole request, headers and body, from its
  first byte (or from the connection, for the first request) -- past it: 408 and the
  connection is closed, however steady the drip;
- ``idle_timeout``: seconds a kept-alive connection may wait for its next request;
- ``max_connections``: open connections in all;
- ``max_connections_per_client``: open connections from one client address (past it the
  new connection is answered 503 and closed at once).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_PER_CLIENT = 64


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_client: int = DEFAULT_MAX_PER_CLIENT

    def __post_init__(self) -> None:
        if self.request_timeout <= 0 or self.idle_timeout <= 0:
            raise ValueError("connection timeouts must be positive")
        if not 1 <= self.max_connections_per_client <= self.max_connections:
            raise ValueError("need 1 <= max_connections_per_client <= max_connections")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A MEF Error answer given before the app runs; the connection is closed after it."""

    status: str
    code: str
    reason: str
    body: bytes = field(init=False)  # both made once: a refusal is answered under load
    headers: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        body = json.dumps({"code": self.code, "reason": self.reason}).encode()
        retry = (("Retry-After", "1"),) if self.status.startswith("503") else ()
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "headers", (
            ("Content-Type", "application/json;charset=utf-8"),
            ("Content-Length", str(len(body))), ("Connection", "close"), *retry))

    def raw(self) -> bytes:
        head = "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return f"HTTP/1.1 {self.status}\r\n{head}\r\n".encode() + self.body


TOO_MANY_REFUSAL = Refusal("503 Service Unavailable", "tooManyRequests",
                           "Too many open connections from this client address")
TOO_SLOW_REFUSAL = Refusal("408 Request Timeout", "invalidBody",
                           "The request was not received in time")
TOO_MANY = TOO_MANY_REFUSAL.raw()
TOO_SLOW = TOO_SLOW_REFUSAL.raw()


class _Admission:
    """Open connections per client address, shared by the channels of one server."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.refused = 0

    def enter(self, client: str) -> bool:
        with self._lock:
            if self._open[client] >= self.limit:
                self.refused += 1
                return False
            self._open[client] += 1
            return True

    def leave(self, client: str) -> None:
        with self._lock:
            self._open[client] -= 1
            if self._open[client] <= 0:
                del self._open[client]


def waitress_adjustments(limits: ConnectionLimits) -> dict[str, Any]:
    """Waitress settings for ``limits`` (the request deadline is ``apply_to_waitress``'s)."""
    return {"channel_timeout": max(1, round(limits.idle_timeout)),
            "connection_limit": limits.max_connections,
            "cleanup_interval": 1,  # how often deadlines are looked at (s)
            "asyncore_use_poll": True}  # select() stops at 1,024 descriptors


def apply_to_waitress(server: Any, limits: ConnectionLimits) -> None:
    """Guard every listening socket of a waitress server (create_server's return value)."""
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer

    admission = _Admission(limits.max_connections_per_client)

    class GuardedChannel(HTTPChannel):  # type: ignore[misc]
        partial_since: float | None = None
        client = ""

        def __init__(self, server: Any, sock: Any, addr: Any, adj: Any,
                     map: Any = None) -> None:  # noqa: A002 - waitress's signature
            super().__init__(server, sock, addr, adj, map)
            self.client = str(addr[0]) if isinstance(addr, tuple) and addr else str(addr)
            self.admitted = admission.enter(self.client)
            if not self.admitted:
                self._answer_and_close(TOO_MANY)
            else:  # a connection that never sends a byte is held to the same deadline
                self.partial_since = time.monotonic()

        def _answer_and_close(self, raw: bytes) -> None:
            with self.outbuf_lock:
                self.outbufs[-1].append(raw)
                self.total_outbufs_len += len(raw)
            self.close_when_flushed = True

        def received(self, data: bytes) -> bool:
            before = self.request
            out: bool = super().received(data)
            if self.request is None:
                self.partial_since = None
            elif self.request is not before or self.partial_since is None:
                self.partial_since = time.monotonic()
            return out

        def writable(self) -> bool:
            # While a request thread runs a task it sends its own output (waitress's
            # send_bytes is 1) and pulls the loop's trigger when something is left, and again
            # when the task ends. Yet waitress also polls the channel for writing then, and
            # its handle_write finds the output locked by that thread and sends nothing: the
            # loop spins on a writable socket, holding the GIL the request threads need
            # (measured: create at 64 connections fell from about 600 to 70-180 req/s, at
            # random). Over the high watermark the thread waits for the loop: watch it then.
            if (self.requests and not self.will_close and not self.close_when_flushed
                    and self.total_outbufs_len < self.adj.outbuf_high_watermark):
                return False
            return bool(super().writable())

        def overdue(self, now: float) -> bool:
            return (self.partial_since is not None and not self.requests
                    and now - self.partial_since > limits.request_timeout)

        def del_channel(self, map: Any = None) -> None:  # noqa: A002
            if getattr(self, "admitted", False):
                self.admitted = False
                admission.leave(self.client)
            super().del_channel(map)

    def guard(one: Any) -> None:
        original = one.maintenance

        def maintenance(now: float) -> None:
            original(now)
            mono = time.monotonic()
            for channel in list(one.active_channels.values()):
                if isinstance(channel, GuardedChannel) and channel.overdue(mono):
                    channel.partial_since = None
                    channel._answer_and_close(TOO_SLOW)

        one.channel_class = GuardedChannel
        one.maintenance = maintenance
        one.poq_admission = admission

    if isinstance(server, BaseWSGIServer):
        guard(server)
    else:  # MultiSocketServer: one dispatcher per listening socket
        for one in list(getattr(server, "map", {}).values()):
            if isinstance(one, BaseWSGIServer):
                guard(one)


__all__ = ["ConnectionLimits", "apply_to_waitress", "waitress_adjustments"]
