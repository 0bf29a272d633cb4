"""The buyer's notification listener: a real HTTP server that keeps every event it is sent
and lets a caller wait for one (no polling, no sleeping)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Listener:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length", 0))
                event = json.loads(self.rfile.read(length) or b"null")
                with outer._changed:
                    outer.events.append(event)
                    outer._changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def wait_for(self, match: Callable[[dict[str, Any]], bool],
                 timeout: float = 5.0) -> dict[str, Any]:
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((e for e in self.events if match(e)), None), timeout)
        if found is None:
            raise AssertionError(f"no matching notification within {timeout} s: {self.events}")
        return found  # type: ignore[no-any-return]

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
