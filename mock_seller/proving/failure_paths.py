"""Defects that once passed the harness unseen (issue 11): a crash on the rejected path,
a deferred seller that never notifies while its profile says it has no notifications, an
Immediate Response Only request accepted by a deferred-only seller, events posted to the
wrong listener path, and a stateChange log that skips a state."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from mock_seller.core.hooks import Answer
from mock_seller.proving.hookpoints import notifier_defect, response_defect
from schemas.dialect import (
    IN_PROGRESS,
    POQ_ITEM_STATE_CHANGE,
    POQ_STATE_CHANGE,
    READY,
    REJECTED,
    get_dialect,
)

if TYPE_CHECKING:
    from mock_seller.proving.runtime import Switch

ITEMS = "productOfferingQualificationItem"
Event = tuple[str, str, dict[str, Any]]


@response_defect("rejected_path_500")
def rejected_path_500(answer: Answer, switch: Switch) -> None:
    """A valid create with an item the seller will reject crashes with 500 (the POQ is
    stored anyway; the buyer never learns its id)."""
    body = answer.request_json()
    if answer.op != "create" or not answer.ok or body is None:
        return
    from mock_seller.core.rules import plan_item

    scenario = answer.engine.scenario
    for item in body.get(ITEMS) or []:
        product = item.get("product") if isinstance(item, dict) else None
        inventory = scenario.inventory.get((product or {}).get("id") or "")
        if plan_item(scenario, item, inventory).result.outcome == REJECTED:
            answer.status = 500
            answer.body = {"code": "internalError", "reason": "Internal server error",
                           "message": "NullPointerException in QualificationService"}
            return


@notifier_defect("deferred_without_notifications", "publish")
def deferred_without_notifications(switch: Switch, engine: Any, api: str, wire_type: str,
                                   body: dict[str, Any]) -> list[Event]:
    """Registrations are accepted (201), but no event is ever sent."""
    return []


@response_defect("immediate_only_accepted")
def immediate_only_accepted(answer: Answer, switch: Switch) -> None:
    """A deferred-only seller answers an Immediate Response Only request with 201 and an
    acknowledged POQ instead of refusing it (Table 6)."""
    body = answer.request_json()
    if answer.op != "create" or answer.ok or body is None:
        return
    if body.get("instantSyncQualification") is not True or answer.status != 422:
        return
    from datetime import datetime, timedelta, timezone

    from flask import request

    from mock_seller.sandbox.tenancy import current_owner

    deferred = copy.deepcopy(body)
    deferred["instantSyncQualification"] = False
    deferred.setdefault("requestedPOQCompletionDate", (
        datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z"))
    created = answer.engine.create(answer.api, deferred, request.base_url.rstrip("/"),
                                   owner=current_owner())
    created["instantSyncQualification"] = True
    answer.status, answer.body = 201, created
    answer.headers["Location"] = created.get("href")


@notifier_defect("events_wrong_path", "publish")
def events_wrong_path(switch: Switch, engine: Any, api: str, wire_type: str,
                      body: dict[str, Any]) -> list[Event]:
    """Item state change events are posted to the POQ state change listener path."""
    dialect = get_dialect(api)
    if dialect.mef_event_type(wire_type) == POQ_ITEM_STATE_CHANGE:
        return [(api, dialect.wire_event_type(POQ_STATE_CHANGE), body)]
    return [(api, wire_type, body)]


@response_defect("log_skips_state")
def log_skips_state(answer: Answer, switch: Switch) -> None:
    """The stateChange log of a READY deferred POQ leaves out its IN_PROGRESS entry."""
    body = answer.poq()
    if body is None or answer.mef_state() != READY or not isinstance(
            body.get("stateChange"), list):
        return
    dialect = answer.dialect
    body["stateChange"] = [e for e in body["stateChange"] if not (
        isinstance(e, dict) and dialect.mef_poq_state(e.get("state")) == IN_PROGRESS)]
