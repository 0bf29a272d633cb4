"""The console line per request (``poq-conformance mock``; ``--quiet`` turns it off,
``--log-format json`` makes it structured): method, path, status, latency, buyer and the
requirement IDs of the buyer-side findings that failed, with their JSON Pointers.

Text: ``2026-11-30T05:31:02Z POST /mefApi/.../productOfferingQualification 422 3.1 ms
buyer=anonymous R11 /requestedPOQCompletionDate``. One ``write`` of one whole line per
request, under a lock, so lines of concurrent requests never interleave.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import TextIO

from flask import Flask, Response, g, request

from mock_seller.api.current import started_ms_ago

FORMATS = ("text", "json")


class RequestLog:
    def __init__(self, stream: TextIO, fmt: str = "text") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.stream = stream
        self.json = fmt == "json"
        self._lock = threading.Lock()

    def line(self, response: Response) -> str:
        latency = started_ms_ago(request.environ)
        latency = None if latency is None else round(latency, 1)
        party = g.get("poq_party")
        buyer = getattr(party, "buyer", None) or "anonymous"
        failing = [f for f in g.get("buyer_findings") or () if not f.ok]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if self.json:
            return json.dumps({
                "time": stamp, "method": request.method, "path": request.path,
                "status": response.status_code, "latency_ms": latency, "buyer": buyer,
                "findings": [{"requirement": f.requirement, "pointer": f.pointer}
                             for f in failing]}, separators=(",", ":")) + "\n"
        found = "".join(f" {f.requirement} {f.pointer or '/'}" for f in failing)
        took = "-" if latency is None else f"{latency} ms"
        return (f"{stamp} {request.method} {request.path} {response.status_code} {took} "
                f"buyer={buyer}{found}\n")

    def after(self, response: Response) -> Response:
        text = self.line(response)
        with self._lock, contextlib.suppress(OSError, ValueError):  # a closed console
            self.stream.write(text)  # must not fail the answer
        return response


def install(app: Flask, stream: TextIO, fmt: str = "text") -> RequestLog:
    """Log every request of ``app`` to ``stream`` (last hook out: the final status)."""
    log = RequestLog(stream, fmt)
    app.after_request_funcs.setdefault(None, []).insert(0, log.after)
    return log


__all__ = ["FORMATS", "RequestLog", "install"]
