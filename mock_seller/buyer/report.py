"""The buyer report: what the mock seller observed of a Buyer, as a results.json document
of kind ``buyer`` (schemas.results) and, through the shared report writers, as HTML, JUnit
XML or Markdown.

Every catalogue ID appears: the buyer-side ones with statuses folded from the recorded
checks (evidence = the recorded exchanges), the capability IDs R2, D1, D2 derived from the
kinds of valid requests seen, the seller-side ones not applicable."""

from __future__ import annotations

import atexit
import json
import logging
import threading
import weakref
from importlib.metadata import version
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

from mock_seller.api.errors import error, json_response
from mock_seller.buyer import hooks
from mock_seller.buyer.hooks import state_of
from mock_seller.buyer.recorder import now_rfc3339
from mock_seller.core.context import engine_of
from mock_seller.sandbox.control import control_bp
from mock_seller.sandbox.sharing import shared_of
from reports import render
from schemas.catalogue import load_catalogue
from schemas.results import Check, build_document, write_document

SELLER_SIDE = "seller-side requirement; this is a buyer report"
NOT_SEEN = "no buyer request exercised it"
#: IDs checked on buyer requests (R22 binds both parties; its buyer half is checked here).
BUYER_SIDE_EXTRA = frozenset({"R22"})
FORMATS = ("json", "html", "junit", "md")
SUFFIXES = {".json": "json", ".html": "html", ".htm": "html", ".xml": "junit", ".md": "md"}
CONTENT_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8",
                 "junit": "application/xml", "md": "text/markdown; charset=utf-8"}
_KIND_NAMES = {"2a": "install by offering (UC2a)", "2b": "install by specification (UC2b)",
               "2c": "change (UC2c)", "retrieve": "retrieve by id (UC4)",
               "list": "list (UC3)", "hub": "notification registration (UC1)"}
_CAPABILITIES = {"R2": ("2a", "2c", "retrieve"), "D1": ("2b",), "D2": ("hub", "list")}
_PERMITTED = {"O1": "optional request attributes (projectId, externalId, ...)",
              "O4": "place sub-units", "O15": "list filters"}


def _tool_version() -> str:
    try:
        return version("poq-conformance")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "0.0.0+source"


def is_buyer_side(req: Any) -> bool:
    return req.verification == "buyer" or req.id in BUYER_SIDE_EXTRA


def build_buyer_document(logs: list[dict[str, Any]], *, mode: str, started: str,
                         scenario: str, buyer: str | None = None) -> dict[str, Any]:
    """The results document of the given buyer logs (``Recorder.snapshot``)."""
    catalogue = list(load_catalogue())
    several = len(logs) > 1
    checks: list[Check] = []
    reasons: dict[str, str] = {}
    exchanges: list[dict[str, Any]] = []
    apis: dict[str, int] = {}
    for log in logs:
        exchanges += log["exchanges"]
        kept = {e["id"] for e in log["exchanges"]}
        for api, n in log["apis"].items():
            apis[api] = apis.get(api, 0) + n
        prefix = f"[{log['name']}] " if several else ""
        for rid, req_log in log["requirements"].items():
            counts = req_log["counts"]
            tally = f" (this buyer: {counts['pass']} pass, {counts['fail']} fail)"
            for entry in sorted(req_log["checks"], key=lambda c: c["time"]):
                checks.append(Check(rid, entry["test"], entry["status"],
                                    prefix + entry["message"] + tally,
                                    [e for e in entry["evidence"] if e in kept],
                                    entry["time"]))
        checks += _capabilities(log, prefix)
    stamp = now_rfc3339()
    for req in catalogue:
        if is_buyer_side(req):
            used = _PERMITTED.get(req.id)
            reasons[req.id] = f"the buyer never used {used}" if used else NOT_SEEN
        elif req.verification != "not-testable":
            checks.append(Check(req.id, None, "not_applicable", SELLER_SIDE, [], stamp))
    run = {"seller": None, "api": max(apis, key=apis.__getitem__) if apis else "v8",
           "profile": scenario, "started": started, "finished": stamp,
           "tool_version": _tool_version(), "use_cases": [], "mock": True,
           "buyer": buyer if buyer is not None else ("all" if several else
                                                     (logs[0]["name"] if logs else None)),
           "buyers": [log["name"] for log in logs], "buyer_mode": mode,
           "apis": sorted(apis)}
    exchanges.sort(key=lambda e: int(e["id"].split("-")[1]))
    return build_document(kind="buyer", run=run, catalogue=catalogue, checks=checks,
                          reasons=reasons, exchanges=exchanges)


def _capabilities(log: dict[str, Any], prefix: str) -> list[Check]:
    """R2, D1, D2: pass when a valid request of every kind was seen, fail when a kind was
    only ever sent invalid, otherwise nothing (the ID stays not_tested, reason given)."""
    out = []
    kinds = log["kinds"]
    stamp = now_rfc3339()
    for rid, needed in _CAPABILITIES.items():
        valid = [k for k in needed if kinds.get(k, {}).get("valid")]
        invalid_only = [k for k in needed if kinds.get(k) and not kinds[k].get("valid")]
        missing = [k for k in needed if k not in kinds]
        evidence = [kinds[k][key] for k in needed for key in ("last_valid", "last_invalid")
                    if kinds.get(k, {}).get(key)]
        names = ", ".join(_KIND_NAMES[k] for k in needed)
        if invalid_only:
            out.append(Check(rid, f"buyer:{log['name']}", "fail", prefix + "only invalid "
                             "requests of: " + ", ".join(_KIND_NAMES[k] for k in invalid_only),
                             evidence, stamp))
        elif not missing and len(valid) == len(needed):
            out.append(Check(rid, f"buyer:{log['name']}", "pass", prefix + "valid requests "
                             f"seen of: {names}", evidence, stamp))
        elif valid:
            out.append(Check(rid, f"buyer:{log['name']}", "not_tested", prefix + "never "
                             "seen: " + ", ".join(_KIND_NAMES[k] for k in missing)
                             + " (the session, not the buyer, may be the reason)",
                             evidence, stamp))
    return out


def buyer_report_document(app: Flask, buyer: str | None = None) -> dict[str, Any]:
    """The buyer report of a running mock app (one buyer, or every buyer seen)."""
    state = state_of(app)
    if state is None:
        raise RuntimeError("buyer conformance is not installed on this app")
    scenario = engine_of(app).scenario
    logs = state.recorder.snapshot(buyer)
    shared = shared_of(app)  # a SQL store: the logs of every process on it
    if shared is not None:
        logs = shared.buyer_logs(logs, buyer)
    return build_buyer_document(logs, mode=state.mode, started=state.recorder.started,
                                scenario=getattr(scenario, "name", "default"), buyer=buyer)


def render_report(doc: dict[str, Any], fmt: str) -> str:
    """``doc`` as text in ``fmt`` (json, html, junit, md)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
    return render(doc, fmt)


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """The report format: explicit, else by the file's suffix, else json."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown buyer report format {fmt!r} (use {', '.join(FORMATS)})")
        return fmt
    return SUFFIXES.get(Path(path).suffix.lower(), "json")


class ReportWriter:
    """Keeps the report file(s) current: rewritten shortly after each change (so a kill
    loses at most the last ``interval`` seconds) and once more on close/exit.

    The JSON document always goes to ``path`` when its format is json, else next to it
    with the suffix .json; a rendered format goes to ``path``."""

    def __init__(self, app: Flask, path: str | Path, fmt: str | None = None,
                 interval: float = 0.5) -> None:
        self.app = app
        self.fmt = format_of(path, fmt)
        target = Path(path)
        self.json_path = target if self.fmt == "json" else target.with_suffix(".json")
        self.rendered_path = None if self.fmt == "json" else target
        self.interval = interval
        self._written = -1
        self._stop = threading.Event()
        self._io = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="poq-buyer-report",
                                        daemon=True)
        _WRITERS.add(self)

    def start(self) -> ReportWriter:
        self.write()
        self._thread.start()
        return self

    def write(self) -> None:
        state = state_of(self.app)
        if state is None:
            return
        with self._io:
            version = state.recorder.version
            doc = buyer_report_document(self.app)
            write_document(doc, self.json_path)
            if self.rendered_path is not None:
                tmp = self.rendered_path.with_suffix(self.rendered_path.suffix + ".tmp")
                tmp.write_text(render_report(doc, self.fmt), "utf-8")
                tmp.replace(self.rendered_path)
            self._written = version

    def _loop(self) -> None:
        state = state_of(self.app)
        if state is None:
            return
        recorder = state.recorder
        while not self._stop.is_set():
            recorder.wait_for_change(self._written, timeout=1.0)
            if self._stop.wait(self.interval):
                break
            if recorder.version != self._written:
                self._safe_write()

    def _safe_write(self) -> None:
        try:
            self.write()
        except OSError as exc:  # a full disk must not take the seller down
            logging.getLogger(__name__).warning("buyer report not written: %s", exc)

    def close(self) -> None:
        """Stop the background writer and write the final report."""
        self._stop.set()
        state = state_of(self.app)
        if state is not None:
            state.recorder.wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._safe_write()
        _WRITERS.discard(self)


_WRITERS: weakref.WeakSet[ReportWriter] = weakref.WeakSet()
WRITER_EXTENSION = "poq_buyer_report_writer"


def install(app: Flask) -> None:
    """Buyer conformance for ``app`` (settings: the scenario's ``buyer_conformance``, then
    app config BUYER_CONFORMANCE), and a report file kept current when ``report`` is set."""
    scenario = engine_of(app).scenario
    settings = dict(getattr(scenario, "buyer_conformance", None) or {})
    settings.update(app.config.get("BUYER_CONFORMANCE") or {})
    state = hooks.install(app, settings)
    if settings.get("report") and state.mode != "off":
        writer = ReportWriter(app, settings["report"], settings.get("report_format"))
        app.extensions[WRITER_EXTENSION] = writer.start()


@control_bp.get("/buyer-report")
def buyer_report_route() -> Response:
    """GET /_mock/buyer-report?format=json|html|junit|md[&buyer=NAME]"""
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        return json_response(error("invalidQuery", f"unknown format {fmt!r}",
                                   "use one of " + ", ".join(FORMATS)), 400)
    if state_of(current_app) is None:  # type: ignore[arg-type]
        return json_response(error("notFound", "buyer conformance is not enabled"), 404)
    doc = buyer_report_document(current_app, request.args.get("buyer"))  # type: ignore[arg-type]
    return Response(render_report(doc, fmt), 200, content_type=CONTENT_TYPES[fmt])


@control_bp.delete("/buyer-report")
def clear_buyer_report() -> Response:
    """Forget every recorded buyer exchange (a new session starts)."""
    state = state_of(current_app)  # type: ignore[arg-type]
    if state is not None:
        state.recorder.clear()
    shared = shared_of(current_app)  # type: ignore[arg-type]
    if shared is not None:
        shared.publish("buyers")
    return Response(status=204)


def close_all() -> None:
    """Final write of every open report (the CLI calls it on SIGTERM/SIGINT; atexit too)."""
    for writer in list(_WRITERS):
        writer.close()


atexit.register(close_all)

__all__ = ["FORMATS", "ReportWriter", "build_buyer_document", "buyer_report_document",
           "close_all", "format_of", "install", "render_report"]
