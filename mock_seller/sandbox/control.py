"""Runtime control of a running mock seller under ``/_mock`` (off unless a control token is
configured): reset, scenario switch, fault injection, request log, health.

Every ``/_mock`` request needs ``Authorization: Bearer <control token>`` (else 401); with no
token configured every ``/_mock`` path is 404, as if the routes did not exist.

Other modules add routes to ``control_bp`` (they get the guard for free) at import time,
before the first app is built::

    from mock_seller.sandbox.control import control_bp

    @control_bp.get("/buyer-report")
    def buyer_report() -> Response: ...

``install(app)`` (called by ``create_app``) registers the blueprint and the request hooks;
``state_of(app)`` gives the per-app ``ControlState`` (faults, request log).
``LocalControl(app)`` (in-process) and ``MockControl(base_url, token)`` (HTTP) drive the same
controls from Python.
"""

from __future__ import annotations

import functools
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema
import requests
import yaml
from flask import Blueprint, Flask, Response, current_app, request

from mock_seller.api.current import current_flask, current_g, current_request, started_ms_ago
from mock_seller.api.errors import error, json_response
from mock_seller.buyer.hooks import state_of as buyer_state_of
from mock_seller.core.context import engine_of
from mock_seller.core.hooks import ScenarioHook
from mock_seller.core.scenario import Scenario, ScenarioError, load_scenario
from mock_seller.core.timeutil import utcnow
from mock_seller.sandbox.faults import VIEW_ENDPOINTS, FaultConfigError, Faults
from mock_seller.sandbox.health import PATH as HEALTH_PATH
from mock_seller.sandbox.request_log import (
    MAX_BYTES,
    MAX_ENTRIES,
    ApiRequest,
    RequestLog,
    bounded_path,
    bounded_query,
)
from mock_seller.sandbox.sharing import shared_of
from schemas.dialect import APIS

CONTROL_TOKEN_KEY = "CONTROL_TOKEN"  # app.config key; None/"" = control disabled
ENV_VAR = "POQ_MOCK_CONTROL_TOKEN"
URL_PREFIX = "/_mock"
REQUEST_LOG_SIZE = MAX_ENTRIES
_EXTENSION = "poq_mock_control"

control_bp = Blueprint("mock_control", __name__)


@dataclass
class ControlState:
    faults: Faults = field(default_factory=Faults)
    log: RequestLog = field(default_factory=RequestLog)
    started: float = field(default_factory=time.monotonic)


def state_of(app: Flask) -> ControlState:
    return app.extensions[_EXTENSION]  # type: ignore[no-any-return]


# -- guard --------------------------------------------------------------------------------
def _unauthorized(code: str, reason: str) -> Response:
    return json_response(error(code, reason), 401,
                         {"WWW-Authenticate": 'Bearer realm="poq-mock-control"'})


@control_bp.before_request
def require_control() -> Response | None:
    """404 when control is disabled, 401 without the right bearer token."""
    token = current_app.config.get(CONTROL_TOKEN_KEY)
    if not token:
        return json_response(error("notFound", "No resource at this path"), 404)
    header = request.headers.get("Authorization", "")
    if not header:
        return _unauthorized("missingCredentials", "The control API needs a bearer token")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                              str(token).encode()):
        return _unauthorized("invalidCredentials", "Wrong control token")
    return None


def _bad(reason: str, problems: list[str] | None = None) -> Response:
    body = error("invalidBody", reason)
    if problems:
        body["errors"] = problems
    return json_response(body, 400)


def _json_body() -> Any:
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw or b"{}")
    except ValueError as exc:
        raise _BodyError(f"the body is not valid JSON: {exc}") from None


class _BodyError(Exception):
    pass


@control_bp.errorhandler(_BodyError)
def _body_error(exc: _BodyError) -> Response:
    return _bad(str(exc))


# -- routes -------------------------------------------------------------------------------
@control_bp.get("/health")
def health() -> Response:
    return json_response(LocalControl(current_app).health())


@control_bp.post("/reset")
def reset() -> Response:
    LocalControl(current_app).reset()
    return json_response({"reset": True})


@control_bp.get("/scenario")
def get_scenario() -> Response:
    scenario = engine_of(current_app).scenario
    return json_response({"name": scenario.name, "source": scenario.source})


@control_bp.put("/scenario")
def put_scenario() -> Response:
    mimetype = (request.mimetype or "").lower()
    text = request.get_data(cache=False, as_text=True)
    try:
        if "yaml" in mimetype or mimetype == "text/plain":
            data = yaml.safe_load(text)
        else:
            data = json.loads(text or "null")
    except (ValueError, yaml.YAMLError) as exc:
        return _bad(f"the body is not valid {'YAML' if 'yaml' in mimetype else 'JSON'}: {exc}")
    if isinstance(data, str):  # a bare bundled name (text or YAML scalar)
        data = {"name": data}
    if not isinstance(data, dict):
        return _bad("the body must be a scenario mapping or {\"name\": <bundled scenario>}")
    try:
        scenario = LocalControl(current_app).set_scenario(data)
    except ScenarioError as exc:
        return _bad("invalid scenario", getattr(exc, "problems", None) or [str(exc)])
    return json_response({"name": scenario.name, "source": scenario.source})


@control_bp.get("/faults")
def get_faults() -> Response:
    return json_response(LocalControl(current_app).faults())


@control_bp.put("/faults")
def put_faults() -> Response:
    try:
        LocalControl(current_app).set_faults(_json_body())
    except FaultConfigError as exc:
        return _bad("invalid fault configuration", exc.problems)
    return json_response(LocalControl(current_app).faults())


@control_bp.delete("/faults")
def delete_faults() -> Response:
    LocalControl(current_app).clear_faults()
    return Response(status=204)


@control_bp.get("/requests")
def get_requests() -> Response:
    limit = request.args.get("limit")
    if limit is not None and not (limit.isascii() and limit.isdigit()):  # not "²"
        return json_response(error("invalidQuery", "limit must be a non-negative integer"), 400)
    rows = LocalControl(current_app).requests(int(limit) if limit else None,
                                              request.args.get("buyer"))
    return json_response(rows)


@control_bp.delete("/requests")
def delete_requests() -> Response:
    state_of(current_app).log.clear()
    LocalControl(current_app).share("log")
    return Response(status=204)


@control_bp.get("/outbox")
def get_outbox() -> Response:
    """Notifications waiting, and the last dead letters (out of retries, or refused)."""
    outbox = engine_of(current_app).notifier.outbox
    return json_response({"pending": outbox.backlog(), "dead": outbox.dead_count(),
                          "dead_letters": outbox.dead_letters()})


@control_bp.post("/outbox/redeliver")
def redeliver_outbox() -> Response:
    """Put every dead letter back in its queue (durable stores keep their bodies)."""
    return json_response({"redelivered": engine_of(current_app).notifier.outbox.redeliver()})


# -- hooks on the API ---------------------------------------------------------------------
def _api_endpoint() -> str | None:
    """Fault/log name of the API view serving this request (None for non-API requests)."""
    return _api_endpoint_of(current_request().endpoint)


@functools.lru_cache(maxsize=256)
def _api_endpoint_of(endpoint: str | None) -> str | None:
    """``_api_endpoint`` of a Flask endpoint name (blueprint.view): a few dozen of them."""
    blueprint, _, view = (endpoint or "").rpartition(".")
    if not blueprint.startswith(("poq_", "hub_")):
        return None
    return VIEW_ENDPOINTS.get(view)


def _inject_faults() -> Response | None:
    faults = state_of(current_flask()).faults
    if not faults.on_requests:
        return None
    endpoint = _api_endpoint()
    if endpoint is None:
        return None
    fault = faults.for_request(endpoint)
    if fault.latency:
        time.sleep(fault.latency)
    if fault.status is None:
        return None
    code = "tooManyRequests" if fault.status == 429 else "internalError"
    headers = {"Retry-After": "1"} if fault.status in (429, 503) else None
    return json_response(error(code, "Fault injected by the mock seller control",
                               f"HTTP {fault.status} on {endpoint}"), fault.status, headers)


def _log_request(response: Response) -> Response:
    req = current_request()
    path = req.path
    if path in (URL_PREFIX, HEALTH_PATH) or path.startswith(URL_PREFIX + "/"):
        return response
    log = state_of(current_flask()).log
    endpoint = _api_endpoint_of(req.endpoint)
    if endpoint is None or response.status_code == 401:  # noise: counted, not kept
        log.count()
        return response
    request_g = current_g()
    party = request_g.get("poq_party")
    shown_path, cut_path = bounded_path(path)
    query: dict[str, Any] = {}
    cut_query = False
    if req.environ.get("QUERY_STRING"):  # else no arguments: do not parse them
        query, cut_query = bounded_query(req.args.lists())
    latency = started_ms_ago(req.environ)
    log.add(ApiRequest(
        utcnow(), req.method[:16], shown_path, query, response.status_code, endpoint,
        getattr(party, "buyer", None), getattr(party, "seller", None),
        None if latency is None else round(latency, 3), cut_path or cut_query))
    return response


def install(app: Flask) -> None:
    """Register the control blueprint and the API hooks (fault injection, request log)."""
    state = ControlState(log=RequestLog(
        int(app.config.get("REQUEST_LOG_SIZE") or MAX_ENTRIES),
        int(app.config.get("REQUEST_LOG_BYTES") or MAX_BYTES)))
    app.extensions[_EXTENSION] = state
    app.register_blueprint(control_bp, url_prefix=URL_PREFIX)
    app.before_request(_inject_faults)
    app.after_request(_log_request)
    engine = engine_of(app)
    engine.notifier.delivery_filter = lambda *_: state.faults.for_notification()


# -- Python clients -----------------------------------------------------------------------
def _bundled_schema() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("scenario.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def scenario_from(source: Any, prepare: Sequence[ScenarioHook] = ()) -> Scenario:
    """A scenario from a bundled name / path / mapping / ``{"name": bundled}``; a
    ScenarioError carries ``problems`` (every schema error) when the mapping is invalid."""
    if isinstance(source, dict) and set(source) == {"name"}:
        source = source["name"]
    if isinstance(source, dict) and "extends" not in source:  # overlays: load_scenario
        validator = jsonschema.Draft202012Validator(_bundled_schema())
        problems = [
            ("/" + "/".join(str(p) for p in e.absolute_path)) + f": {e.message}"
            for e in sorted(validator.iter_errors(source), key=lambda e: list(e.absolute_path))
        ]
        if problems:
            exc = ScenarioError("scenario: " + "; ".join(problems))
            exc.problems = problems  # type: ignore[attr-defined]
            raise exc
    return load_scenario(source, prepare)


class LocalControl:
    """The controls on an app in this process (no HTTP, no token)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.state = state_of(app)
        self.engine = engine_of(app)

    def reset(self) -> None:
        """Forget POQs, subscriptions, pending transitions, the request log, the faults and the
        buyer-conformance record: a reset starts a new sandbox session."""
        self.engine.reset()
        self.forget()
        self.share("reset")

    def forget(self) -> None:
        """This process's part of a reset: request log, faults, buyer-conformance record."""

        self.state.log.clear()
        self.state.faults.clear()
        buyer = buyer_state_of(self.app)
        if buyer is not None:
            buyer.recorder.clear()

    def set_scenario(self, source: Any) -> Scenario:
        scenario = scenario_from(source, self.engine.hooks.scenario)
        self.engine.switch_scenario(scenario)
        self.state.log.clear()
        if isinstance(source, (str, dict)):  # a Scenario object stays in this process
            self.share("scenario", source)
        return scenario

    def set_faults(self, config: dict[str, Any]) -> None:
        """Replace the faults (raises FaultConfigError with every problem)."""
        self.state.faults.configure(config)
        self.engine.force_unable_to_meet_time(int(config.get("unable_to_meet_time_next", 0)))
        self.share("faults", config)

    def clear_faults(self) -> None:
        self.state.faults.clear()
        self.engine.force_unable_to_meet_time(0)
        self.share("faults", {})

    def share(self, key: str, value: Any = None) -> None:
        """Pass a change to the other processes on the same database (sandbox/shared.py)."""
        shared = shared_of(self.app)
        if shared is not None:
            shared.publish(key, value)

    def faults(self) -> dict[str, Any]:
        out = self.state.faults.snapshot()
        out["unable_to_meet_time_next"] = self.engine.forced_unable_pending
        return out

    def requests(self, limit: int | None = None, buyer: str | None = None
                 ) -> list[dict[str, Any]]:
        """The request log; with a shared store, of every process on it."""
        shared = shared_of(self.app)
        if shared is not None:
            return shared.requests(self.state.log.entries(), limit, buyer)
        return self.state.log.entries(limit, buyer)

    def health(self) -> dict[str, Any]:
        engine = self.engine
        auth = getattr(engine.scenario, "auth", None)
        shared = shared_of(self.app)
        outbox = engine.notifier.outbox
        return {
            "status": "ok",
            "scenario": engine.scenario.name,
            "auth": bool(auth and auth.enabled),
            "poqs": {api: engine.count(api) for api in APIS},
            "notifications": {"delivered": engine.notifier.delivered,
                              "dropped": engine.notifier.dropped,
                              "errors": engine.notifier.errors,
                              "idle": engine.notifier.idle()},
            "outbox": {"pending": outbox.backlog(), "dead": outbox.dead_count()},
            "store": getattr(getattr(engine.store, "db", None), "where", "memory"),
            "processes": shared.processes() if shared is not None else 1,
            "requests_logged": self.state.log.total,
            "requests_unlogged": self.state.log.unlogged,
            "uptime_s": round(time.monotonic() - self.state.started, 3),
        }


class ControlError(RuntimeError):
    """A control request the mock refused (status and parsed body attached)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"mock control answered HTTP {status}: {body}")
        self.status = status
        self.body = body


class MockControl:
    """The controls of a running mock over HTTP: ``MockControl("http://127.0.0.1:8080", tok)``."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base = base_url.rstrip("/") + URL_PREFIX
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        body = resp.json() if resp.content else None
        if resp.status_code >= 400:
            raise ControlError(resp.status_code, body)
        return body

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._call("POST", "/reset")

    def set_scenario(self, source: str | dict[str, Any]) -> dict[str, Any]:
        """A bundled name or a full scenario mapping."""
        body = {"name": source} if isinstance(source, str) else source
        return self._call("PUT", "/scenario", json=body)  # type: ignore[no-any-return]

    def set_scenario_yaml(self, text: str) -> dict[str, Any]:
        return self._call("PUT", "/scenario", data=text.encode(),  # type: ignore[no-any-return]
                          headers={"Content-Type": "application/yaml"})

    def set_faults(self, config: dict[str, Any]) -> dict[str, Any]:
        return self._call("PUT", "/faults", json=config)  # type: ignore[no-any-return]

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self, limit: int | None = None, buyer: str | None = None
                 ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if buyer is not None:
            params["buyer"] = buyer
        return self._call("GET", "/requests", params=params)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> MockControl:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["CONTROL_TOKEN_KEY", "ENV_VAR", "ControlError", "ControlState", "LocalControl",
           "MockControl", "RequestLog", "control_bp", "install", "require_control",
           "scenario_from", "state_of"]
