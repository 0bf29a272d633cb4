"""The Buyer's notification listener: a real HTTP server on a background thread.

It serves ``POST .../productOfferingQualificationNotification/{v8|v7}/listener/<event>``
(Sonata and Cantata paths), answers 204 and records each notification (``nt-N``) with its
arrival time. Tests wait with :meth:`Listener.wait_for`, which blocks on a Condition until
a matching notification arrives or the timeout passes; it never sleeps blindly.

Anyone who can reach the port can post to it, so only the Seller's notifications count:
the callback registered carries a random per-run path segment, and where the Seller's
source addresses are known (``allowed_sources``) others are refused too. Refused posts are
recorded as ``foreign`` evidence and never reach waiters, timelines or verdicts. Bodies are
bounded in size and nesting; a body that cannot be parsed is recorded as malformed.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.deadline import RunGuard
from harness.evidence import Notification, Recorder, now_rfc3339, read_body
from schemas.dialect import CANTATA_LISTENER_BASE_PATHS, LISTENER_BASE_PATHS

MAX_NOTIFICATION_BYTES = 1024 * 1024
MAX_FOREIGN_RECORDED = 200  # foreign posts kept as evidence; later ones are only counted
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LISTENER_PREFIXES = tuple(
    f"{base}/listener/"
    for base in (*LISTENER_BASE_PATHS.values(), *CANTATA_LISTENER_BASE_PATHS.values())
)

Predicate = Callable[[Notification], bool]


class Listener:
    """Buyer listener bound to ``host:port`` (port 0 = any free port)."""

    def __init__(
        self,
        recorder: Recorder,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_url: str | None = None,
        record_chars: int = 65536,
        on_notification: Callable[[Notification], object] | None = None,
        allowed_sources: Iterable[Network] | None = None,
        guard: RunGuard | None = None,
    ) -> None:
        self.recorder = recorder
        self.guard = guard
        self.allowed_sources = None if allowed_sources is None else tuple(allowed_sources)
        self.token = secrets.token_urlsafe(12)
        self.foreign_count = 0
        self.on_notification = on_notification
        self.host = host
        self.port = port
        self._callback_url = callback_url
        self.record_chars = record_chars
        self._cond = threading.Condition()
        self._received: list[Notification] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> Listener:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name="poq-buyer-listener", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def callback_url(self) -> str:
        """What the Buyer registers as ``callback``: the profile's URL or this server's,
        followed by this run's path segment."""
        if self._callback_url:
            return f"{self._callback_url.rstrip('/')}/{self.token}"
        if self._server is None:
            raise RuntimeError("listener not started")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/{self.token}"

    def run_path(self, path: str) -> str | None:
        """The part of ``path`` after this run's segment (a proxy in front may keep or
        strip the profile's callback path), or None when the segment is missing."""
        marker = f"/{self.token}/"
        at = path.find(marker)
        return None if at < 0 else path[at + len(marker) - 1:]

    def foreign_source(self, address: str) -> bool:
        """True when ``address`` is not among the Seller's known source addresses."""
        if self.allowed_sources is None:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return True
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return not any(ip in net for net in self.allowed_sources)

    # -- received notifications ---------------------------------------------------------------
    @property
    def notifications(self) -> list[Notification]:
        with self._cond:
            return list(self._received)

    def mark(self) -> int:
        """Position to pass as ``since`` so a wait only sees later notifications."""
        with self._cond:
            return len(self._received)

    def wait_for(
        self, predicate: Predicate, timeout: float, since: int = 0
    ) -> Notification | None:
        """First notification (at index >= ``since``) matching ``predicate``, waiting up to
        ``timeout`` seconds for one to arrive; None when none did. A wait the run's deadline
        cuts short stops the run."""
        by_run = False
        if self.guard is not None:
            timeout, by_run = self.guard.clamp(timeout)
        found = self._wait(predicate, timeout, since)
        if found is None and by_run and self.guard is not None:
            self.guard.past_deadline("a notification at the listener")
        return found

    def _wait(self, predicate: Predicate, timeout: float, since: int) -> Notification | None:
        deadline = time.monotonic() + timeout
        checked = since
        with self._cond:
            while True:
                for n in self._received[checked:]:
                    if predicate(n):
                        return n
                checked = max(checked, len(self._received))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def wait_for_all(
        self, predicates: list[Predicate], timeout: float, since: int = 0
    ) -> list[Notification | None]:
        """One matching notification per predicate (None for those that never came)."""
        deadline = time.monotonic() + timeout
        return [
            self.wait_for(p, max(deadline - time.monotonic(), 0.0), since) for p in predicates
        ]

    def _record(self, notification: Notification) -> None:
        if notification.foreign:
            with self._cond:
                self.foreign_count += 1
                keep = self.foreign_count <= MAX_FOREIGN_RECORDED
            if keep:
                self.recorder.add_notification(notification)
            return
        self.recorder.add_notification(notification)
        if self.on_notification is not None:
            self.on_notification(notification)
        with self._cond:
            self._received.append(notification)
            self._cond.notify_all()


def for_poq(poq_id: str, event_type: str | None = None) -> Predicate:
    """Predicate: a notification about POQ ``poq_id`` (optionally of one wire eventType)."""

    def match(n: Notification) -> bool:
        if n.error or str(n.event.get("id")) != str(poq_id):
            return False
        return event_type is None or n.event_type == event_type

    return match


def _handler_for(listener: Listener) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "poq-buyer-listener"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # evidence is the record; keep test output clean

        def do_POST(self) -> None:  # noqa: N802
            self._handle()

        def do_PUT(self) -> None:  # noqa: N802
            self._handle()

        def do_GET(self) -> None:  # noqa: N802
            self._handle()

        def _handle(self) -> None:
            arrived = time.monotonic()
            received = now_rfc3339()
            parts = urlsplit(self.path)
            source = str(self.client_address[0])
            path = listener.run_path(parts.path)
            rec = listener.recorder
            note = Notification(
                id=rec.next_id("nt"), test=rec.current_test, path=path or parts.path,
                received=received, monotonic=arrived, method=self.command, source=source,
                headers=rec.headers(dict(self.headers.items())),
                query=dict(parse_qsl(parts.query)),
            )
            if path is None or listener.foreign_source(source):
                note.foreign = True
                note.error = ("not this run's callback path" if path is None
                              else f"source address {source} is not the seller's")
                self.close_connection = True
                listener._record(note)
                self._answer(404 if path is None else 403, note.error)
                return
            try:
                status = self._read_into(note, path)
            except Exception as exc:  # a body we cannot read is evidence, not a crash
                note.error = f"malformed notification: {type(exc).__name__}"
                status = 400
                self.close_connection = True
            listener._record(note)
            self._answer(status, note.error)

        def _read_into(self, note: Notification, path: str) -> int:
            """Read and parse the body into ``note``; returns the status to answer."""
            error: str | None = None
            raw = b""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
            if chunked:
                raw, error = _read_chunked(self.rfile, MAX_NOTIFICATION_BYTES)
                if error:
                    self.close_connection = True
            elif length < 0:
                error = "invalid Content-Length"
                self.close_connection = True
            elif length > MAX_NOTIFICATION_BYTES:
                error = f"notification larger than {MAX_NOTIFICATION_BYTES} bytes"
                self.close_connection = True
            else:
                raw = self.rfile.read(length)
            rec = listener.recorder
            body = read_body(raw, self.headers.get("Content-Type"),
                             rec.record_limit(listener.record_chars))
            status = 204
            if self.command != "POST":
                error, status = f"method {self.command} not allowed on the listener", 405
            elif not path.startswith(LISTENER_PREFIXES):
                error, status = "not a POQ notification listener path", 404
            elif error is None and body.problem:
                error, status = f"notification body not parsed: {body.problem}", 400
            elif error is None and not body.is_json:
                error, status = "notification body is not JSON", 400
            elif error is not None:
                status = 413 if "larger than" in error else 400
            note.body, note.truncated, note.json = rec.scrub(body.recorded), body.truncated, \
                body.json
            note.error = error
            rec.account(note, len(raw), len(body.text or ""))
            return status

        def _answer(self, status: int, error: str | None) -> None:
            if status == 204:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            payload = json.dumps({"code": str(status), "reason": error or "error"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _read_chunked(stream: Any, limit: int) -> tuple[bytes, str | None]:
    """Read a chunked request body (HTTP/1.1), refusing more than ``limit`` bytes."""
    data = bytearray()
    try:
        while True:
            line = stream.readline(1024)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while stream.readline(1024).strip():  # trailer section
                    pass
                return bytes(data), None
            if len(data) + size > limit:
                return b"", f"notification larger than {limit} bytes"
            data += stream.read(size)
            stream.readline(1024)  # CRLF after the chunk
    except (ValueError, OSError):
        return b"", "malformed chunked body"


__all__ = ["LISTENER_PREFIXES", "Listener", "for_poq"]
