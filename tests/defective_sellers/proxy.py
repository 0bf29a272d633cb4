"""A defective seller: a Flask proxy (served by waitress on port 0) in front of a real seller
that rewrites answers with one named defect, the way real implementations go wrong.

Each defect is a function ``(method, path, status, body) -> (status, body)`` applied to the
upstream answer; everything else passes through unchanged.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask, Response, request
from waitress.server import create_server

Defect = Callable[[str, str, int, Any], tuple[int, Any]]


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("productOfferingQualificationItem"), list):
        return body["productOfferingQualificationItem"]
    return []


def _is_create(method: str, path: str) -> bool:
    return method == "POST" and path.rstrip("/").endswith("productOfferingQualification")


def _is_poq(method: str, path: str) -> bool:
    return method in ("GET", "POST") and "/productOfferingQualification" in path


def no_seller_contact(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if _is_poq(method, path) and isinstance(body, dict):
        body["relatedContactInformation"] = [
            c for c in body.get("relatedContactInformation", [])
            if c.get("role") != "sellerContactInformation"]
    return status, body


def echo_changed(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if _is_poq(method, path) and isinstance(body, dict) and "externalId" in body:
        body["externalId"] = str(body["externalId"]) + "-changed"
    for item in _items(body):
        item.get("product", {}).pop("productConfiguration", None)
    return status, body


def item_dropped(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    items = _items(body)
    if len(items) > 1:
        del items[-1]
    elif items:
        items.append(copy.deepcopy(items[0]))  # one item answered twice
    return status, body


def green_without_interval(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    for item in _items(body):
        item.pop("installationInterval", None)
    return status, body


def immediate_in_progress(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if _is_create(method, path) and isinstance(body, dict) and body.get("state") in (
            "done", "done.ready"):
        body["state"] = "inProgress"
    return status, body


def unasked_alternates(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    for item in _items(body):
        if item.get("serviceabilityConfidence"):
            item["alternateProductOfferingProposal"] = [
                {"id": "dup", "serviceabilityConfidence": "red",
                 "installationInterval": {"amount": 1, "units": "businessDays"},
                 "alternateProduct": {"productOffering": {"id": "X"}}},
                {"id": "dup", "installationInterval": {"amount": 1, "units": "businessDays"},
                 "alternateProduct": {"productOffering": {"id": "Y"}}},
            ]
    return status, body


def unknown_id_ok(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if method == "GET" and status == 404:
        return 200, {"id": path.rsplit("/", 1)[-1], "state": "done", "code": "notFound",
                     "reason": "not found"}
    return status, body


def errors_leak(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if status >= 400:
        return (201 if method == "POST" and status == 400 else status), {
            "id": "leaked", "state": "acknowledged"}
    return status, body


def list_ignores_filter(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if method == "GET" and path.rstrip("/").endswith("productOfferingQualification") and \
            isinstance(body, list):
        return status, [*body, {"id": "foreign-1", "state": "acknowledged",
                                "creationDate": "2020-01-01T00:00:00Z"}]
    return status, body


def deferred_answered_in_progress(method: str, path: str, status: int, body: Any
                                  ) -> tuple[int, Any]:
    if _is_create(method, path) and isinstance(body, dict) and body.get("state") == (
            "acknowledged"):
        body["state"] = "inProgress"
        for item in _items(body):
            item["state"] = "done"
    return status, body


def ready_while_item_working(method: str, path: str, status: int, body: Any
                             ) -> tuple[int, Any]:
    if method == "GET" and isinstance(body, dict) and body.get("state") in (
            "inProgress", "acknowledged"):
        body["state"] = "done" if "/v8" in path else "done.ready"
    return status, body


def rejected_item_with_answer(method: str, path: str, status: int, body: Any
                              ) -> tuple[int, Any]:
    for item in _items(body):
        if item.get("state") == "rejected":
            item["serviceabilityConfidence"] = "red"
            item["installationInterval"] = {"amount": 1, "units": "businessDays"}
    return status, body


def same_id_for_every_poq(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if _is_create(method, path) and isinstance(body, dict) and body.get("id"):
        body["id"] = "poq-0001"
    return status, body


DEFECTS: dict[str, Defect] = {f.__name__: f for f in (
    rejected_item_with_answer, same_id_for_every_poq,
    no_seller_contact, echo_changed, item_dropped, green_without_interval,
    immediate_in_progress, unasked_alternates, unknown_id_ok, errors_leak,
    list_ignores_filter, deferred_answered_in_progress, ready_while_item_working)}


Relay = Callable[[str, Any], list[tuple[str, Any]]]


def notify_without_state(path: str, body: Any) -> list[tuple[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("event"), dict):
        body["event"].pop("state", None)
    return [(path, body)]


def notify_missing_item_events(path: str, body: Any) -> list[tuple[str, Any]]:
    return [] if path.endswith("poqItemStateChangeEvent") else [(path, body)]


def notify_unregistered_type(path: str, body: Any) -> list[tuple[str, Any]]:
    sent = [(path, body)]
    if path.endswith("poqStateChangeEvent") and isinstance(body, dict):
        extra = copy.deepcopy(body)
        extra["eventType"] = "poqItemStateChangeEvent"
        extra.setdefault("event", {})["poqItemId"] = "1"
        sent.append((path.replace("poqStateChangeEvent", "poqItemStateChangeEvent"), extra))
    return sent


def notify_after_unregister(path: str, body: Any) -> list[tuple[str, Any]]:
    return [(path, body)]  # the defect is in STOP: answered 204 but never forwarded


RELAYS: dict[str, Relay] = {f.__name__: f for f in (
    notify_without_state, notify_missing_item_events, notify_unregistered_type,
    notify_after_unregister)}


def _identity(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    return status, body


def create_app(upstream: str, defect: str) -> Flask:
    """Proxy every request to ``upstream`` (scheme://host:port) and apply ``defect``.

    Registrations are rewritten so the seller's notifications come through the proxy
    (``/relay/<n>/...``) and reach the buyer's callback with a notification defect applied.
    """
    apply = DEFECTS.get(defect, _identity)
    relay = RELAYS.get(defect)
    if relay is None and defect not in DEFECTS:
        raise KeyError(f"unknown defect {defect!r}")
    app = Flask(__name__)
    session = requests.Session()
    callbacks: dict[str, str] = {}

    def _upstream(path: str, data: bytes) -> requests.Response:
        return session.request(
            request.method, f"{upstream}/{path}", params=request.args.to_dict(flat=False),
            data=data, headers={k: v for k, v in request.headers.items()
                                if k.lower() not in ("host", "content-length")},
            timeout=30)

    @app.route("/relay/<key>/<path:rest>", methods=["POST"])
    def relay_notification(key: str, rest: str) -> Response:
        target = callbacks.get(key)
        body = request.get_json(silent=True)
        for path, payload in (relay or notify_after_unregister)("/" + rest, body):
            if target:
                session.post(target + path, json=payload, timeout=10)
        return Response(status=204)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    @app.route("/<path:path>", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    def forward(path: str) -> Response:
        data = request.get_data()
        original = None
        if relay and request.method == "POST" and path.rstrip("/").endswith("hub"):
            sent = request.get_json(silent=True)
            if isinstance(sent, dict) and isinstance(sent.get("callback"), str):
                original = sent["callback"]
                key = str(len(callbacks) + 1)
                callbacks[key] = original.rstrip("/")
                sent["callback"] = f"{request.host_url}relay/{key}"
                data = json.dumps(sent).encode()
        if defect == "notify_after_unregister" and request.method == "DELETE":
            return Response(status=204)
        answer = _upstream(path, data)
        try:
            body: Any = answer.json()
        except ValueError:
            return Response(answer.content, answer.status_code,
                            content_type=answer.headers.get("Content-Type"))
        if original is not None and isinstance(body, dict):
            body["callback"] = original
        status, body = apply(request.method, "/" + path, answer.status_code, body)
        headers = {k: v for k, v in answer.headers.items() if k.lower().startswith("x-")}
        return Response(json.dumps(body), status, headers=headers,
                        content_type="application/json")

    return app


class DefectiveSeller:
    """The proxy on a free port, in a background thread; ``stop()`` ends it."""

    def __init__(self, upstream: str, defect: str) -> None:
        self.server = create_server(create_app(upstream, defect), host="127.0.0.1", port=0,
                                    threads=4)
        self.port = self.server.effective_port  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> DefectiveSeller:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)
