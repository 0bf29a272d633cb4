"""Serving the app with waitress: ``serve`` for the command line (prints the bound address,
stops on SIGTERM/SIGINT) and ``MockServer`` for tests (background thread, context manager)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any, TextIO

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from mock_seller.api.limits import json_transport_errors, transport_cap
from mock_seller.app import create_app, engine_of
from mock_seller.core.engine import Engine
from mock_seller.sandbox.connections import (
    ConnectionLimits,
    apply_to_waitress,
    waitress_adjustments,
)
from mock_seller.sandbox.control import ENV_VAR as CONTROL_ENV_VAR
from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS

READY_LINE = "POQ mock seller listening on http://{host}:{port}"


def _server(app: Flask, host: str | None, port: int | None, threads: int,
            limits: ConnectionLimits | None = None, **adjust: Any) -> Any:
    # waitress warns "Task queue depth is N" under any burst; that is load, not a fault
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    limits = limits or ConnectionLimits()
    adjust = {**waitress_adjustments(limits), **adjust}  # sandbox/connections.py
    adjust.setdefault("max_request_body_size", transport_cap(app.config["MAX_CONTENT_LENGTH"]))
    json_transport_errors("poq-mock-seller")  # waitress's own 400/413/431: MEF Error JSON
    if "sockets" not in adjust:  # waitress takes either sockets or host and port
        adjust.update(host=host, port=port)
    server = create_server(app, threads=threads, ident="poq-mock-seller",
                           clear_untrusted_proxy_headers=True, **adjust)
    apply_to_waitress(server, limits)
    return server


def serve(scenario: Any = "default", host: str = "127.0.0.1", port: int = 0, threads: int = 8,
          out: TextIO | None = None, control_token: str | None = None,
          store: Any = None, limits: ConnectionLimits | None = None,
          request_log: TextIO | None = None, log_format: str = "text",
          server_name: str = "waitress", workers: int = 1) -> None:
    """Run until SIGTERM/SIGINT. Prints exactly one ready line once the socket is bound.
    ``control_token`` (default: $POQ_MOCK_CONTROL_TOKEN) enables /_mock (control.py);
    ``request_log``: a stream for one line per request (request_log.py); ``server_name``
    and ``workers``: serve_processes.py (with ``workers`` > 1, ``store`` is the URL of a
    durable store each worker opens)."""
    token = control_token if control_token is not None else os.environ.get(CONTROL_ENV_VAR)

    def make_app() -> Flask:
        app = create_app({"SCENARIO": scenario, "CONTROL_TOKEN": token or None,
                          "STORE": store})
        if request_log is not None:
            from mock_seller.api.console_log import install as install_request_log

            install_request_log(app, request_log, log_format)
        settle_collector()
        return app

    out = out or sys.stdout
    if server_name != "waitress" or workers > 1:
        _serve_processes(make_app, host, port, threads, out, server_name, workers,
                         limits or ConnectionLimits())
        return
    app = make_app()
    server = _server(app, host, port, threads, limits)
    out.write(READY_LINE.format(host=host, port=server.effective_port) + "\n")
    out.flush()

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()  # returns on SystemExit/KeyboardInterrupt after shutting its workers
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()
        engine_of(app).close()


#: Young collections every 10,000 new container objects instead of 700 (and the older
#: generations at the same ratios as Python's defaults).
GC_THRESHOLDS = (10_000, 10, 10)


def settle_collector() -> None:
    """Tune the cyclic garbage collector for a long-running server, once its app is built.
    What the start built (modules, schemas, catalogue: about 47,000 objects) is frozen out of
    every later collection (``gc.freeze``), and young collections run less often, so an
    object that lives for one request is mostly freed by its reference count before a
    collection looks at it. Measured through the WSGI app, 5,000 creates after 3,000: the
    collector's time per create went from 41 to about 20 us. Cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _serve_processes(make_app: Any, host: str, port: int, threads: int, out: TextIO,
                     server_name: str, workers: int, limits: ConnectionLimits) -> None:
    from mock_seller import serve_processes

    sock = serve_processes.bind(host, port)
    try:
        out.write(READY_LINE.format(host=host, port=sock.getsockname()[1]) + "\n")
        out.flush()
        if server_name == "gunicorn":
            serve_processes.run_gunicorn(make_app, sock, workers, threads, limits)
        elif server_name == "granian":
            serve_processes.run_granian(make_app, sock, workers, threads, limits)
        else:
            serve_processes.run_waitress_workers(
                make_app, sock, workers, threads,
                lambda app, threads, sockets: _server(app, None, None, threads, limits,
                                                      sockets=sockets))
    finally:
        with contextlib.suppress(OSError):  # gunicorn closes it on its way out
            sock.close()


class MockServer:
    """The mock seller on a real socket in a background thread, for tests and benchmarks.

    >>> with MockServer() as seller:
    ...     url = seller.base_url("v8")
    """

    def __init__(self, scenario: Any = "default", host: str = "127.0.0.1", port: int = 0,
                 threads: int = 8, control_token: str | None = None, store: Any = None,
                 limits: ConnectionLimits | None = None) -> None:
        self.app = create_app({"SCENARIO": scenario, "CONTROL_TOKEN": control_token,
                               "STORE": store})
        self.host = host
        self._server = _server(self.app, host, port, threads, limits)
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def engine(self) -> Engine:
        return engine_of(self.app)

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, api: str = "v8", family: str = "sonata") -> str:
        bases = CANTATA_BASE_PATHS if family == "cantata" else BASE_PATHS
        return self.root_url + bases[api]  # type: ignore[index]

    def start(self) -> MockServer:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="poq-mock-waitress", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        """Poll in short rounds until asked to stop, then close every socket in this same
        thread (closing them from another thread races with ``select``)."""
        server = self._server
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown()
            for channel in list(server._map.values()):
                channel.handle_close()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.engine.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
