"""granian, adapted to the mock: its process manager on a socket we bound, and its WSGI
workers calling the app our way.

- ``OnSocket``: granian binds its own listener from an address; this subclass hands it ours
  instead (the ready line names the port the kernel chose for ``--port 0``, and every server
  choice binds the same way, serve_processes.bind), through the same holder granian builds
  on platforms where it shares one socket with its workers.
- ``wsgi_worker``: granian's WSGI worker with ``wsgi_callback`` in place of granian's own
  wrapper of the app.

Both lean on granian's internals (``_init_shared_socket``, ``_wsgi_call_wrap``), hence the
pinned minor version in pyproject.toml; tests/test_mock_processes.py serves through them."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from typing import Any

import granian.server.mp as granian_mp
from granian._granian import SocketHolder
from granian.server.mp import MPServer
from granian.wsgi import Response

from mock_seller.sandbox.connections import Refusal


class OnSocket(MPServer):  # type: ignore[misc]
    def __init__(self, sock: socket.socket, **options: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__("mock_seller", address=host, port=port, **options)
        self._ours = sock

    def _init_shared_socket(self) -> None:
        self._ours.setblocking(False)  # as granian's own listener: its runtime polls it
        self._ssp = None
        # granian's stub omits the holder's arguments (fd, is_uds, backlog)
        self._shd = SocketHolder(  # type: ignore[call-arg,assignment]
            self._ours.fileno(), False, self.backlog)
        self._sfd = self._ours.fileno()  # type: ignore[assignment]
        self._sso = self._ours

    def _drop_shared_socket(self) -> None:
        self._sso = None  # ours: the caller closes it


def wsgi_callback(callback: Callable[..., Any], scope_opts: dict[str, Any],
                  access_log_fmt: Any = None) -> Callable[[Any, dict[str, Any]], int]:
    """granian's wrapper of a WSGI app (granian.wsgi._callback_wrapper), less two habits:

    - it copies the whole process environment into every request's environ: 30-odd keys a
      request to build and walk, and an operator's ``CONTENT_TYPE`` or ``HTTP_PROXY`` would
      read as something the buyer sent (httpoxy);
    - it writes an iterator answer chunk by chunk from Python (create on one request thread,
      wrk at 16 connections: 430 req/s with a p50 of 44 ms, against 980 req/s and 15 ms for
      the answer in one piece), so the answer is joined here.

    granian's access log stays off in the mock (``log_enabled=False``): ``access_log_fmt``
    is never set."""
    prefix = scope_opts.get("url_path_prefix") or ""
    basic = {"GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": prefix,
             "SERVER_SOFTWARE": "Granian", "wsgi.errors": sys.stderr,
             "wsgi.input_terminated": True, "wsgi.multiprocess": False,
             "wsgi.multithread": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}

    def runner(proto: Any, scope: dict[str, Any]) -> int:
        answer = Response()
        environ = basic | scope
        if prefix:
            environ["PATH_INFO"] = scope["PATH_INFO"][len(prefix):] or "/"
        body = callback(environ, answer)
        try:
            whole = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if not 100 <= answer.status <= 999:  # granian panics on it, and its worker dies
            refusal = Refusal("500 Internal Server Error", "internalError",
                              f"status {answer.status} cannot be sent by granian; serve with "
                              "--server waitress")  # a defect's garbled status line
            proto.response_bytes(500, list(refusal.headers), refusal.body)
            return 500
        proto.response_bytes(answer.status, answer.headers, whole)
        return answer.status

    return runner


def wsgi_worker(worker_id: int, app: Callable[..., Any], *args: Any) -> None:
    """granian's WSGI worker process, serving ``app`` through ``wsgi_callback``."""
    granian_mp._wsgi_call_wrap = wsgi_callback  # this worker's own module: it was forked
    MPServer._spawn_wsgi_worker.__wrapped__(worker_id, app, *args)
