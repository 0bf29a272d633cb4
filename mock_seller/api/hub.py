"""Notification registration (UC1): POST /hub, GET /hub/{id} (v8 only), DELETE /hub/{id}."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_seller.api.errors import (
    ApiError,
    bad_request,
    error,
    json_response,
    not_found,
    not_implemented,
)
from mock_seller.api.poq import engine, read_json_body
from mock_seller.api.validation import structural_violations
from mock_seller.buyer.hooks import gate_hub_register, gate_hub_unregister
from mock_seller.core.notifier import QueryError
from mock_seller.sandbox.tenancy import current_owner, current_party
from schemas.dialect import get_dialect

bp = Blueprint("hub", __name__)


def _require_enabled() -> None:
    if not engine().scenario.notifications_enabled:
        raise not_implemented("This seller does not support notifications")


@bp.post("/hub")
def register(api: str, family: str) -> Response:
    _require_enabled()
    limits = engine().scenario.limits
    body = read_json_body(limits)
    gate_hub_register(api, body)  # R7
    violations = structural_violations(api, "EventSubscriptionInput", body, limits.max_depth)
    if violations:
        pointer, message = violations[0]
        raise bad_request("invalidBody", f"{pointer or '/'}: {message}")
    callback = body["callback"]
    refused = engine().scenario.callback_policy.refusal(callback)  # sandbox/callbacks.py
    if refused:
        raise bad_request("invalidBody", f"/callback: {refused}",
                          "See the callback policy in docs/scenarios.md")
    try:
        party = current_party()  # the subscription is the buyer's own (tenancy.py)
        notifier, query = engine().notifier, body.get("query")
        sub = (notifier.subscribe(api, family, callback, query, party.owner, party.named)
               if party else notifier.subscribe(api, family, callback, query))
    except QueryError as exc:
        raise bad_request("invalidBody", f"/query: {exc}") from None
    return json_response(sub.to_wire(), 201)


@bp.get("/hub/<sub_id>")
def read(api: str, family: str, sub_id: str) -> Response:
    if not get_dialect(api).has_hub_get:
        raise ApiError(405, error("methodNotAllowed", f"GET /hub/{{id}} is not part of API {api}"))
    _require_enabled()
    sub = engine().notifier.get(api, sub_id, current_owner())
    if sub is None:
        raise not_found(f"Event subscription {sub_id!r}")
    return json_response(sub.to_wire())


@bp.delete("/hub/<sub_id>")
def unregister(api: str, family: str, sub_id: str) -> Response:
    gate_hub_unregister(api, sub_id)  # R7
    _require_enabled()
    owned = engine().notifier.get(api, sub_id, current_owner()) is not None
    if not owned or not engine().notifier.unsubscribe(api, sub_id):
        raise not_found(f"Event subscription {sub_id!r}")
    return Response(status=204)
