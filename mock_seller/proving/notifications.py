"""Defects of the notification hub. Hooks wrap the notifier's public methods:

* ``publish(switch, engine, api, wire_type, body) -> [(api, wire_type, body), ...]``: the
  events actually handed to the notifier (drop, alter or add);
* ``subscribe(switch, engine, original, api, family, callback, query) -> Subscription``;
* ``unsubscribe(switch, engine, originals, api, sub_id) -> bool``.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from mock_seller.core.hooks import Answer, Event
from mock_seller.proving.hookpoints import notifier_defect, response_defect
from schemas.dialect import IN_PROGRESS, POQ_ITEM_STATE_CHANGE, POQ_STATE_CHANGE, get_dialect

if TYPE_CHECKING:
    from mock_seller.proving.runtime import Switch


def _mef_type(api: str, wire_type: str) -> str | None:
    return get_dialect(api).mef_event_type(wire_type)


@notifier_defect("missing_item_notifications", "publish")
def missing_item_notifications(switch: Switch, engine: Any, api: str, wire_type: str,
                               body: dict[str, Any]) -> list[Event]:
    """Item moves to IN_PROGRESS are not notified (v7 events carry no state: every item
    event is dropped there)."""
    if _mef_type(api, wire_type) != POQ_ITEM_STATE_CHANGE:
        return [(api, wire_type, body)]
    state = get_dialect(api).mef_item_state((body.get("event") or {}).get("state"))
    if not get_dialect(api).events_carry_state or state == IN_PROGRESS:
        return []
    return [(api, wire_type, body)]


@notifier_defect("event_without_state", "publish")
def event_without_state(switch: Switch, engine: Any, api: str, wire_type: str,
                        body: dict[str, Any]) -> list[Event]:
    body = copy.deepcopy(body)
    (body.get("event") or {}).pop("state", None)
    return [(api, wire_type, body)]


@notifier_defect("foreign_poq_events", "publish")
def foreign_poq_events(switch: Switch, engine: Any, api: str, wire_type: str,
                       body: dict[str, Any]) -> list[Event]:
    """Every event is also sent about a POQ of another buyer."""
    other = copy.deepcopy(body)
    other["eventId"] = str(uuid.uuid4())
    event = other.get("event") or {}
    event["id"] = "other-buyer-" + str(event.get("id"))
    if "href" in event:
        event["href"] = str(event["href"]) + "-other-buyer"
    return [(api, wire_type, body), (api, wire_type, other)]


@notifier_defect("notify_unrequested_types", "subscribe")
def notify_unrequested_types(switch: Switch, engine: Any, original: Any, api: str, family: str,
                             callback: str, query: str | None) -> Any:
    """The query is echoed but not applied: every event type is sent."""
    sub = original(api, family, callback, None)
    return dataclasses.replace(sub, query=query) if query is not None else sub


@notifier_defect("notify_after_unregister", "unsubscribe")
def notify_after_unregister(switch: Switch, engine: Any, originals: dict[str, Any], api: str,
                            sub_id: str) -> bool:
    """STOP answers 204, but a hidden copy of the registration keeps receiving events."""
    sub = engine.notifier.get(api, sub_id)
    removed = bool(originals["unsubscribe"](api, sub_id))
    if removed and sub is not None:
        originals["subscribe"](api, sub.family, sub.callback, sub.query)
    return removed


@response_defect("notify_immediate")
def notify_immediate(answer: Answer, switch: Switch) -> None:
    """A POQ answered immediately is also announced by a state change notification."""
    body = answer.poq()
    if answer.op != "create" or body is None or answer.mef_state() != "READY":
        return
    dialect = answer.dialect
    wire_type = dialect.wire_event_type(POQ_STATE_CHANGE)
    event: dict[str, Any] = {"id": body.get("id"), "href": body.get("href")}
    if dialect.events_carry_state:
        event["state"] = body.get("state")
    answer.engine.notifier.publish(answer.api, wire_type, {
        "eventId": str(uuid.uuid4()), "eventType": wire_type,
        "eventTime": body.get("creationDate") or "2025-01-01T00:00:00Z", "event": event})


@notifier_defect("duplicate_poq_ids", "store")
def duplicate_poq_ids(switch: Switch, engine: Any, record: Any) -> None:
    """Every third POQ gets the identifier of the POQ before it (an id counter that
    repeats), so the later one replaces the earlier in the store."""
    last = switch.state.get("last_id")
    count = switch.state.get("count", 0) + 1
    switch.state["count"] = count
    if last is not None and count % 3 == 0:
        record.id = last
    switch.state["last_id"] = record.id
