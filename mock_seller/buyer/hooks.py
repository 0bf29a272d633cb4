"""Flask glue of buyer-side conformance: the views call ``gate_*`` with what they parsed;
an after-request hook records the exchange with its findings and its answer (no
before-request hook: every request would pay for it).

Modes (scenario ``buyer_conformance.mode``, CLI ``--buyer-mode``):

- ``default``: the answers stay what the seller's own rules give; findings are recorded.
- ``strict``: a request with any failing finding is a 422 whose entries name the
  requirement (``reason`` "R11: ...") with its JSON Pointer in ``propertyPath``.
- ``lenient``: a request whose failures leave it processable is accepted (the seller's
  refusals they explain are waived) and the failures are recorded.
- ``off``: no checks, no records.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any, NamedTuple

from flask import Flask, Request, Response
from flask.ctx import _AppCtxGlobals

from mock_seller.api.current import current_flask, current_g, current_request
from mock_seller.api.errors import ApiError, bad_request, json_response, unprocessable
from mock_seller.api.limits import body_read
from mock_seller.buyer.checks import MODES, Finding, hub, retrieve, run_create
from mock_seller.buyer.recorder import Recorder
from mock_seller.core.context import engine_of
from mock_seller.sandbox.tenancy import current_buyer as buyer_of_request
from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS
from schemas.operations import response_codes

EXTENSION = "poq_buyer_conformance"


class BuyerConformance:
    """Per-app state: the mode and the recorder."""

    def __init__(self, mode: str = "default", max_exchanges: int = 500) -> None:
        if mode not in MODES:
            raise ValueError(f"buyer conformance mode must be one of {', '.join(MODES)}")
        self.mode = mode
        self.recorder = Recorder(max_exchanges=max_exchanges)


def install(app: Flask, settings: dict[str, Any] | None = None) -> BuyerConformance:
    """Attach buyer conformance to ``app``. ``settings`` (scenario ``buyer_conformance``,
    overridden by app config BUYER_CONFORMANCE): ``mode``, ``max_exchanges``."""
    merged = dict(settings or {})
    merged.update(app.config.get("BUYER_CONFORMANCE") or {})
    state = BuyerConformance(merged.get("mode") or "default",
                             int(merged.get("max_exchanges") or 500))
    app.extensions[EXTENSION] = state
    app.after_request(_after)
    return state


def state_of(app: Flask) -> BuyerConformance | None:
    return app.extensions.get(EXTENSION)  # type: ignore[no-any-return]


def current_buyer(request_g: _AppCtxGlobals | None = None) -> str:
    """The buyer of this request: the access layer's identity, "anonymous" when auth is off."""
    return buyer_of_request(request_g) or "anonymous"


def _active(app: Flask | None = None) -> BuyerConformance | None:
    state = state_of(current_flask() if app is None else app)
    return None if state is None or state.mode == "off" else state


def _request_url(req: Request) -> str:
    """``request.url`` without its IRI decoding pass when there is nothing to decode (a plain
    ASCII path and no query: the usual create and retrieve)."""
    env = req.environ
    path = env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", "")
    host = env.get("HTTP_HOST")
    if not host or env.get("QUERY_STRING") or "%" in path or not path.isascii():
        return req.url
    return f"{env['wsgi.url_scheme']}://{host}{path}"


class _Pending(NamedTuple):
    """What the gates learnt of this request, recorded with the answer in ``_after``."""

    state: BuyerConformance
    api: str
    body: Any
    findings: list[Finding]
    kinds: frozenset[str]
    t0: float


_make = tuple.__new__  # a _Pending without the Python-level __new__ of named tuples


def _judge(state: BuyerConformance, api: str, body: Any, findings: list[Finding],
           kinds: frozenset[str], operation: str) -> None:
    scope = vars(current_g())  # g's attributes, without its Python-level get and setattr
    pending: _Pending | None = scope.get("buyer_pending")
    if pending is None:
        pending = _make(_Pending, (state, api, body, findings, kinds, perf_counter()))
    else:  # judged twice in one request: one exchange, all its findings
        findings = pending.findings + findings
        pending = pending._replace(findings=findings, kinds=pending.kinds | kinds)
    scope["buyer_pending"] = pending
    scope["buyer_findings"] = findings
    if state.mode == "strict":
        failing = [f for f in findings if not f.ok]
        if failing:
            raise _refusal(api, operation, failing)


def _refusal(api: str, operation: str, failing: list[Finding]) -> ApiError:
    """The strict refusal in a code the dialect defines for the operation: 422 with every
    finding where it has one, else 400 (v7 hub registration, retrieve) naming the first."""
    if 422 in response_codes(api, operation):
        return unprocessable([f.as_error() for f in failing])
    first = failing[0].as_error()
    more = f"{len(failing) - 1} more violation(s)" if len(failing) > 1 else None
    return bad_request("invalidBody" if operation == "register" else "invalidQuery",
                       f"{first['propertyPath'] or '/'}: {first['reason']}"[:255], more)


_HUB, _RETRIEVE, _LIST = frozenset({"hub"}), frozenset({"retrieve"}), frozenset({"list"})


def gate_create(api: str, body: Any) -> None:
    """Check and record a create request; raises the strict 422."""
    app = current_flask()
    state = _active(app)
    if state is None:
        return
    findings, kinds = run_create(api, body, engine_of(app).scenario)
    _judge(state, api, body, findings, kinds, "create")


def gate_hub_register(api: str, body: Any) -> None:
    state = _active()
    if state is not None:
        _judge(state, api, body, hub.check_register(body), _HUB, "register")


def gate_hub_unregister(api: str, sub_id: str | None) -> None:
    state = _active()
    if state is not None:
        _judge(state, api, None, hub.check_unregister(sub_id), frozenset(), "unregister")


def gate_retrieve(api: str, poq_id: str | None) -> None:
    state = _active()
    if state is not None:
        _judge(state, api, None, retrieve.check_retrieve(poq_id), _RETRIEVE, "retrieve")


def gate_list(api: str, keys: Any) -> None:
    state = _active()
    if state is not None:
        _judge(state, api, None, retrieve.check_list(keys), _LIST, "list")


# -- lenient waivers ----------------------------------------------------------------------
def _related(a: str, b: str) -> bool:
    """One pointer is the other or lies inside it (the root relates to nothing)."""
    if not a or not b:
        return False
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _waivable() -> list[str] | None:
    """Pointers of the recorded failures when lenient mode may waive refusals."""
    state = state_of(current_flask())
    if state is None or state.mode != "lenient":
        return None
    findings: list[Finding] = current_g().get("buyer_findings") or []
    failing = [f for f in findings if not f.ok]
    if not failing or any(f.blocking for f in failing):
        return None
    return [f.pointer for f in failing]


def waive_violations(violations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Lenient mode: drop structural violations a recorded buyer failure explains."""
    pointers = _waivable()
    if pointers is None:
        return violations
    return [v for v in violations if not any(_related(v[0], p) for p in pointers)]


def waive_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lenient mode: drop business-rule refusals a recorded buyer failure explains."""
    pointers = _waivable()
    if pointers is None:
        return errors
    return [e for e in errors
            if not any(_related(str(e.get("propertyPath", "")), p) for p in pointers)]


# -- request hook -------------------------------------------------------------------------
def _unregister_without_id(response: Response) -> Response:
    """DELETE /hub without an id never reaches a view (routing answers 405): R7 is judged
    here, and strict mode answers with its refusal instead."""
    req = current_request()
    if req.method != "DELETE":
        return response
    path = req.path.rstrip("/")
    for bases in (BASE_PATHS, CANTATA_BASE_PATHS):
        for api, base in bases.items():
            if path == base + "/hub":
                try:
                    gate_hub_unregister(str(api), None)
                except ApiError as refusal:
                    return json_response(refusal.body, refusal.status)
    return response


def _after(response: Response) -> Response:
    """Record the exchange the gates judged, now that its answer is made."""
    request_g = current_g()
    scope = vars(request_g)
    pending: _Pending | None = scope.pop("buyer_pending", None)
    if pending is None:
        if response.status_code != 405:
            return response
        response = _unregister_without_id(response)
        pending = scope.pop("buyer_pending", None)
        if pending is None:
            return response
    seconds = perf_counter() - pending.t0
    req = current_request()
    raw = body_read(request_g)  # the bytes the buyer sent, when the view read a body
    answer = None
    if not response.direct_passthrough:
        body: Any = response.response  # our JSON answers hold their bytes whole
        whole = type(body) is list and len(body) == 1 and type(body[0]) is bytes
        answer = body[0] if whole else response.get_data()
    pending.state.recorder.record(
        current_buyer(request_g), pending.api, req.method, _request_url(req), req.environ,
        pending.body if raw is None else raw, pending.findings, pending.kinds,
        response.status_code, response.headers, answer, seconds)
    return response
