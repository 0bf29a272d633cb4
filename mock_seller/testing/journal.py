"""What a buyer's test sent to the mock seller: every API request with its answer and the
buyer-side findings on it, kept per app for ``poq_seller.requests()`` and the assertions.

The hooks read what the app already computes (``g.buyer_findings`` of the buyer checks, the
final status after any seeded defect), so a recorded request is exactly what the buyer saw.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request

from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS

EXTENSION = "poq_testing_journal"
_CONTROL_PREFIX = "/_mock"
_BASES = sorted([*BASE_PATHS.values(), *CANTATA_BASE_PATHS.values()], key=len, reverse=True)
_API_OF = {**{b: str(a) for a, b in BASE_PATHS.items()},
           **{b: str(a) for a, b in CANTATA_BASE_PATHS.items()}}


@dataclass(frozen=True, slots=True)
class BuyerFinding:
    """One buyer-side check on one request: the requirement, its JSON Pointer, the verdict."""

    requirement: str
    ok: bool
    pointer: str
    message: str
    method: str
    path: str
    status: int

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "VIOLATED"
        return (f"{self.requirement} {verdict} at {self.pointer or '/'}: {self.message} "
                f"({self.method} {self.path} -> {self.status})")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str  # full path, e.g. /mefApi/sonata/productOfferingQualification/v8/hub
    route: str  # path under the API base, e.g. /hub ("" when outside every base)
    api: str | None  # v8 | v7 (Cantata v2/v1 map to v8/v7)
    query: dict[str, str]
    body: Any  # parsed JSON, raw text when not JSON, None when there was none
    status: int
    response: Any
    buyer: str | None
    findings: tuple[BuyerFinding, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


def split_path(path: str) -> tuple[str | None, str]:
    """(api, route under the base) of a request path; (None, "") outside every base."""
    for base in _BASES:
        if path == base or path.startswith(base + "/"):
            return _API_OF[base], path[len(base):] or "/"
    return None, ""


def _contains(actual: Any, wanted: Any) -> bool:
    """``wanted`` is a sub-document of ``actual``: mappings by subset, anything else equal."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in wanted.items())
    return bool(actual == wanted)


BodyFilter = dict[str, Any] | Callable[[Any], bool] | None


def matches(rec: RecordedRequest, method: str | None = None, path: str | None = None,
            body: BodyFilter = None, api: str | None = None, status: int | None = None
            ) -> bool:
    """``path`` matches the route under the API base or the full path (``*`` wildcards)."""
    if method is not None and rec.method != method.upper():
        return False
    if api is not None and rec.api != api:
        return False
    if status is not None and rec.status != status:
        return False
    if path is not None and not any(fnmatch.fnmatchcase(p, path) for p in (rec.route,
                                                                           rec.path)):
        return False
    if body is None:
        return True
    return bool(body(rec.body)) if callable(body) else _contains(rec.body, body)


class Journal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[RecordedRequest] = []

    def add(self, rec: RecordedRequest) -> None:
        with self._lock:
            self._rows.append(rec)

    def rows(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def _parse(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


def _capture_body() -> None:
    """Keep the body for the journal (the views read it uncached); only bodies of a declared
    length within the scenario's cap, so the mock's own size checks still answer the rest."""
    if request.method not in ("POST", "PUT", "PATCH") or request.content_length is None:
        return
    cap = current_app.extensions["poq_mock"].scenario.limits.max_body_bytes
    if request.content_length <= cap:
        g.poq_journal_body = request.get_data(cache=True)


def _record(response: Response) -> Response:
    if request.path.startswith(_CONTROL_PREFIX):
        return response
    api, route = split_path(request.path)
    response_body = None
    if not response.direct_passthrough and "json" in (response.mimetype or ""):
        response_body = _parse(response.get_data())
    status = response.status_code
    findings = tuple(
        BuyerFinding(f.requirement, f.ok, f.pointer, f.message, request.method, request.path,
                     status)
        for f in g.get("buyer_findings") or ())
    party = g.get("poq_party")
    journal_of(current_app).add(RecordedRequest(
        request.method, request.path, route, api, dict(request.args.items()),
        _parse(g.get("poq_journal_body")), status, response_body,
        getattr(party, "buyer", None), findings))
    return response


def install(app: Flask) -> Journal:
    """Record every API request of ``app`` (first hook in, last hook out: final answers)."""
    journal = Journal()
    app.extensions[EXTENSION] = journal
    app.before_request_funcs.setdefault(None, []).insert(0, _capture_body)
    app.after_request_funcs.setdefault(None, []).insert(0, _record)
    return journal


def journal_of(app: Flask) -> Journal:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]
