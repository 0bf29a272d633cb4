"""Hook points of defects and variants in a running mock seller.

* Answers: one ``after_request`` handler parses each JSON answer of the POQ and hub routes
  into an ``Answer``, lets the active variants (legal shapes) and then the active defects
  mutate it, and serializes it again. Nothing happens when none is active.
* Notifications: the engine's notifier gets thin wrappers around ``publish``, ``subscribe``
  and ``unsubscribe`` that consult the active defects at call time.

The active set can change at run time (``Switch.set``, used by ``PUT /_mock/defects``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from mock_seller.defects.registry import (
    NOTIFIER_HOOKS,
    RESPONSE_HOOKS,
    check_defect_names,
    load_defects,
)
from schemas.dialect import Dialect, get_dialect

EXTENSION = "poq_defects"
_OPS = {"create": "create", "retrieve": "retrieve", "list_poqs": "list", "register": "register",
        "read": "hub_get", "unregister": "unregister"}


@dataclass
class Answer:
    """One outgoing answer as defects see it. Mutate ``status``, ``body``, ``headers``."""

    op: str  # create | retrieve | list | register | hub_get | unregister
    api: str
    status: int
    body: Any
    args: dict[str, str]
    engine: Any
    headers: dict[str, str | None] = field(default_factory=dict)  # None = remove

    @property
    def dialect(self) -> Dialect:
        return get_dialect(self.api)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def poq(self) -> dict[str, Any] | None:
        """The POQ body of a successful create or retrieve."""
        if self.op in ("create", "retrieve") and self.ok and isinstance(self.body, dict):
            return self.body
        return None

    def items(self) -> list[dict[str, Any]]:
        body = self.poq()
        found = body.get("productOfferingQualificationItem") if body else None
        return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []

    def mef_state(self) -> str | None:
        body = self.poq()
        return self.dialect.mef_poq_state(body.get("state")) if body else None


class Switch:
    """The defects and variants active in one app. Defects come from the engine's scenario
    unless replaced at run time (``set``); switching the scenario drops the replacement."""

    def __init__(self, engine: Any) -> None:
        self._lock = threading.Lock()
        self._engine = engine
        self._seen = engine.scenario
        self._override: tuple[str, ...] | None = None
        check_defect_names(list(getattr(engine.scenario, "defects", ())))
        self.state: dict[str, Any] = {}  # per-defect memory (e.g. ids handed out)

    @property
    def defects(self) -> tuple[str, ...]:
        scenario = self._engine.scenario
        if scenario is not self._seen:
            with self._lock:
                self._seen, self._override = scenario, None
                self.state.clear()
        if self._override is not None:
            return self._override
        return tuple(getattr(scenario, "defects", ()))

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(getattr(self._engine.scenario, "variants", ()))

    def set(self, defects: Iterable[str]) -> tuple[str, ...]:
        """Replace the active defects (DefectError naming an unknown one)."""
        names = check_defect_names(list(defects))
        _ = self.defects  # notice a scenario switch first
        with self._lock:
            self._override = names
            self.state.clear()
        return names

    def active(self, name: str) -> bool:
        return name in self.defects

    def describe(self) -> dict[str, Any]:
        known = load_defects()
        return {"defects": [{"name": n, "breaks": list(known[n].breaks)} for n in self.defects],
                "variants": list(self.variants)}


# defects and variants whose hooks read the request body (request_json)
NEEDS_REQUEST = frozenset({"rejected_path_500", "immediate_only_accepted", "lenient_schema"})


def request_json() -> dict[str, Any] | None:
    """The JSON object the buyer POSTed (kept by ``_keep_body``), or None."""
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def switch_of(app: Flask) -> Switch:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def install(app: Flask, engine: Any) -> Switch:
    """Attach the switch of ``engine.scenario`` to ``app`` and wrap the notifier."""
    switch = Switch(engine)
    app.extensions[EXTENSION] = switch
    engine.defect_switch = switch

    @app.before_request
    def _keep_body() -> None:
        """Keep the body of a POST for the hooks that judge the request (the mock itself
        reads it uncached), within the scenario's body cap."""
        if not (set(switch.defects) | set(switch.variants)) & NEEDS_REQUEST:
            return
        size = request.content_length
        if request.method == "POST" and size is not None and (
                size <= engine.scenario.limits.max_body_bytes):
            request.get_data(cache=True)

    @app.after_request
    def _mutate(response: Response) -> Response:
        if not (switch.defects or switch.variants):
            return response
        return _apply(switch, engine, response)

    _wrap_notifier(switch, engine)
    return switch


def _apply(switch: Switch, engine: Any, response: Response) -> Response:
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    op = _OPS.get(endpoint)
    api = (request.view_args or {}).get("api")
    if op is None or api not in ("v8", "v7"):
        return response
    body: Any = None
    if response.mimetype == "application/json" or (response.mimetype or "").endswith("+json"):
        try:
            body = json.loads(response.get_data())
        except ValueError:
            return response
    answer = Answer(op, api, response.status_code, body, dict(request.args.items()), engine)
    from mock_seller.variants import VARIANT_HOOKS

    for name in switch.variants:
        hook = VARIANT_HOOKS.get(name)
        if hook is not None:
            hook(answer)
    for name in switch.defects:
        hook = RESPONSE_HOOKS.get(name)
        if hook is not None:
            hook(answer, switch)
    if answer.status == 204:  # No Content: whatever body the original answer had goes
        answer.body = None
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
    if answer.body is not None:
        response.set_data(json.dumps(answer.body).encode())
        if response.mimetype != "application/json":
            response.mimetype = "application/json"
    response.status_code = answer.status
    for key, value in answer.headers.items():
        if value is None:
            response.headers.pop(key, None)
        else:
            response.headers[key] = value
    return response


def _wrap_notifier(switch: Switch, engine: Any) -> None:
    """Route publish/subscribe/unsubscribe through the active defects' notifier hooks."""
    notifier = engine.notifier
    originals = {name: getattr(notifier, name) for name in ("publish", "subscribe", "unsubscribe")}

    def hooks(kind: str) -> list[Any]:
        return [NOTIFIER_HOOKS[n][kind] for n in switch.defects
                if kind in NOTIFIER_HOOKS.get(n, {})]

    def publish(api: str, wire_type: str, body: dict[str, Any]) -> int:
        events = [(api, wire_type, body)]
        for hook in hooks("publish"):
            events = [out for event in events for out in hook(switch, engine, *event)]
        return sum(originals["publish"](*event) for event in events)

    def subscribe(api: str, family: str, callback: str, query: str | None) -> Any:
        for hook in hooks("subscribe"):
            return hook(switch, engine, originals["subscribe"], api, family, callback, query)
        return originals["subscribe"](api, family, callback, query)

    def unsubscribe(api: str, sub_id: str) -> bool:
        for hook in hooks("unsubscribe"):
            return bool(hook(switch, engine, originals, api, sub_id))
        return bool(originals["unsubscribe"](api, sub_id))

    notifier.publish = publish
    notifier.subscribe = subscribe
    notifier.unsubscribe = unsubscribe

    store = engine.store
    original_add = store.add

    def add(record: Any) -> None:
        for hook in hooks("store"):
            hook(switch, engine, record)
        original_add(record)

    store.add = add


__all__ = ["NEEDS_REQUEST", "Answer", "Switch", "install", "request_json", "switch_of"]

from mock_seller.defects import control_routes as _control_routes  # noqa: E402,F401  (routes)
