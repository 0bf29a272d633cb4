"""Serving the app with waitress: ``serve`` for the command line (prints the bound address,
stops on SIGTERM/SIGINT) and ``MockServer`` for tests (background thread, context manager)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any, TextIO

from flask import Flask
from waitress.server import create_server

from mock_seller.app import create_app, engine_of
from mock_seller.engine import Engine
from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS

READY_LINE = "POQ mock seller listening on http://{host}:{port}"


def _server(app: Flask, host: str, port: int, threads: int) -> Any:
    # waitress warns "Task queue depth is N" under any burst; that is load, not a fault
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_server(app, host=host, port=port, threads=threads, ident="poq-mock-seller",
                         clear_untrusted_proxy_headers=True, channel_timeout=30)


def serve(scenario: Any = "default", host: str = "127.0.0.1", port: int = 0, threads: int = 8,
          out: TextIO | None = None) -> None:
    """Run until SIGTERM/SIGINT. Prints exactly one ready line once the socket is bound."""
    app = create_app({"SCENARIO": scenario})
    server = _server(app, host, port, threads)
    out = out or sys.stdout
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


class MockServer:
    """The mock seller on a real socket in a background thread, for tests and benchmarks.

    >>> with MockServer() as seller:
    ...     url = seller.base_url("v8")
    """

    def __init__(self, scenario: Any = "default", host: str = "127.0.0.1", port: int = 0,
                 threads: int = 8) -> None:
        self.app = create_app({"SCENARIO": scenario})
        self.host = host
        self._server = _server(self.app, host, port, threads)
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None

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
        self._thread = threading.Thread(target=self._server.run, name="poq-mock-waitress",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        logging.getLogger("waitress").setLevel(logging.ERROR)
        server = self._server
        server.task_dispatcher.shutdown()
        while server._map:  # closing every channel and the listener ends the poll loop
            for channel in list(server._map.values()):
                channel.handle_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.engine.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
