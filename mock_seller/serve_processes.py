"""Serving the mock from several processes (``--workers N``) and with another WSGI server
(``--server granian`` or ``gunicorn``).

Several processes are one seller only when they share the store: each worker opens the store
URL itself after the fork (a SQLite file, or any durable store), so a POQ created through one
worker is retrieved through another, and the ``/_mock`` state is shared through the same
database (sandbox/shared.py). The memory store lives in one process and is refused.

``waitress`` workers: the parent binds the socket, prints the ready line, forks the workers
(each runs waitress on the inherited socket, keeping its bounds and MEF Error answers) and
stops them on SIGTERM/SIGINT. ``gunicorn`` (gthread workers): measured against waitress in
bench/README.md; its own refusals (malformed request line, oversized headers) are its plain
text, not MEF Error bodies.

``auto`` (the command's default, ``choose_server``) serves with granian, the fastest, when
only this host can connect (a loopback address), and with waitress, which bounds the time a
body takes to arrive, when other hosts can (a shared sandbox) or when the scenario seeds
defects."""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import math
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask

from mock_seller.sandbox.connections import ConnectionLimits

SERVERS = ("granian", "waitress", "gunicorn")


def choose_server(server_name: str, host: str, defects: bool = False) -> str:
    """``auto``: granian on a loopback address, waitress on any other (docs/sandbox.md says
    what each bounds) or when the scenario seeds defects (waitress writes any answer as a
    defect made it, a garbled status line too; granian cannot); any other name as it is."""
    if server_name != "auto":
        return server_name
    return "granian" if _is_loopback(host) and not defects else "waitress"


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # another host name: it may resolve to an address others reach
        return False


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker inherits."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def run_waitress_workers(make_app: Callable[[], Flask], sock: socket.socket, workers: int,
                         threads: int, make_server: Callable[..., Any]) -> None:
    """Fork ``workers`` waitress processes on ``sock``; return when all have stopped."""
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: its own app, store connection, scheduler and notifier
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
                signal.signal(signal.SIGTERM, _raise_exit)
                _die_with_parent()
                app = make_app()
                server = make_server(app, threads, sockets=[sock])
                try:
                    server.run()
                finally:
                    server.close()
                    _close_app(app)
            except SystemExit:
                pass
            except BaseException:  # noqa: BLE001 - reported, then the worker ends
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    _supervise(children)


def _supervise(children: list[int]) -> None:
    """Wait for SIGTERM/SIGINT or a worker's death, then stop every worker."""
    previous = {sig: signal.signal(sig, _raise_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        pid, _status = os.wait()  # a signal ends the wait with SystemExit
        children.remove(pid)
        print(f"mock seller worker {pid} stopped; stopping the others", file=sys.stderr)
    except (SystemExit, ChildProcessError):
        pass
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_gunicorn(make_app: Callable[[], Flask], sock: socket.socket, workers: int,
                 threads: int, limits: ConnectionLimits) -> None:
    """gunicorn's arbiter with ``workers`` gthread workers on ``sock`` (apps built after the
    fork); returns on SIGTERM/SIGINT. Of ``limits``, gunicorn applies the idle timeout
    (keep-alive), the request deadline (its worker timeout) and the connection cap per
    worker; it has no cap per client address."""
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {"bind": [f"fd://{sock.fileno()}"], "workers": workers,
                               "threads": threads, "worker_class": "gthread",
                               "timeout": max(1, math.ceil(limits.request_timeout)),
                               "keepalive": max(1, round(limits.idle_timeout)),
                               "worker_connections": limits.max_connections,
                               "loglevel": "warning", "accesslog": None,
                               "preload_app": False}.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return _worker_app(make_app)

    arbiter = os.getpid()
    try:
        _App().run()
    except SystemExit as exc:
        if os.getpid() != arbiter:  # a worker ending: never run the arbiter's code after this
            _end_worker()
            os._exit(exc.code if isinstance(exc.code, int) else 0)
        if exc.code not in (0, None):
            raise


#: How long a granian worker has to end after SIGTERM before it is killed. On a loaded
#: machine a worker now and then never saw its shutdown (waiting for it in granian's
#: ``_main``, its server already stopped), and without a bound the mock never exited.
GRANIAN_STOP_SECONDS = 10


def run_granian(make_app: Callable[[], Flask], sock: socket.socket, workers: int,
                threads: int, limits: ConnectionLimits) -> None:
    """granian (HTTP in Rust, WSGI mode) with ``workers`` processes on ``sock``; returns on
    SIGTERM/SIGINT. Each worker builds its app after the fork, behind ``RequestGuard`` (caps
    on requests in progress per client and in all; sandbox/request_guard.py says what
    granian cannot bound), and closes it on its way out. The headers' deadline is granian's
    ``header_read_timeout``, which also ends idle kept-alive connections."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server.mp import WorkerProcess

    from mock_seller.api.limits import transport_cap
    from mock_seller.granian_socket import OnSocket, wsgi_worker
    from mock_seller.sandbox.request_guard import RequestGuard

    def guarded_app() -> RequestGuard:
        app = _worker_app(make_app)
        return RequestGuard(app, limits, transport_cap(app.config["MAX_CONTENT_LENGTH"]))

    @WorkerProcess.wrap_target  # type: ignore[untyped-decorator]
    def worker(worker_id: int, guard: RequestGuard, *args: Any) -> None:
        try:
            wsgi_worker(worker_id, guard, *args)
        finally:
            _end_worker()

    server = OnSocket(
        sock, interface=Interfaces.WSGI, workers=workers, blocking_threads=threads,
        http=HTTPModes.http1, websockets=False, log_enabled=False,
        workers_kill_timeout=GRANIAN_STOP_SECONDS,
        http1_settings=HTTP1Settings(
            header_read_timeout=max(1, round(limits.request_timeout * 1000))))
    server.serve(spawn_target=worker, target_loader=guarded_app, wrap_loader=False)


def _worker_app(make_app: Callable[[], Flask]) -> Flask:
    """The app of a worker another server forked: it dies with its parent, and closes its
    app when it ends (``_end_worker``)."""
    _die_with_parent()
    app = make_app()
    atexit.register(_close_app, app)
    return app


def _end_worker() -> None:
    """A forked worker ends with ``os._exit``, which skips atexit: run it, then flush."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()


def _die_with_parent() -> None:
    """A worker ends when its parent does, even by SIGKILL: else it would keep the port."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _close_app(app: Flask) -> None:
    from mock_seller.core.context import engine_of

    engine_of(app).close()


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(0)
