"""Examples a buyer can paste, built from a scenario's own catalogue (``poq-conformance
example``, ``poq_seller.example``): a create request, a hub registration, a list query and
a notification exactly as the mock sends it (produced by the engine itself)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from mock_seller.core.scenario import Offering, Scenario, load_scenario
from schemas.dialect import BASE_PATHS, POQ_STATE_CHANGE, READY, get_dialect

KINDS = ("create", "register", "list", "notification")
BUYER_CONTACT = {"role": "buyerContactInformation", "name": "Buyer Desk",
                 "number": "+1-555-0199", "emailAddress": "poq@buyer.example"}
SITE_CONTACT = {"name": "Site Access Desk", "number": "+1-555-0142",
                "emailAddress": "site@buyer.example"}
CALLBACK = "http://127.0.0.1:9090"


def _offering(scenario: Scenario, offering: str | None) -> Offering:
    if offering is not None:
        if offering not in scenario.offerings:
            raise ValueError(f"the scenario has no offering {offering!r}; it has "
                             f"{', '.join(scenario.offerings)}")
        return scenario.offerings[offering]
    return next(iter(scenario.offerings.values()))


def _quiet_place(scenario: Scenario) -> str:
    """A known place no rule singles out (so the answer is the offering's own)."""
    watched = {str(v).lower() for r in scenario.rules for v in r.when.values()
               if isinstance(v, str)}
    for place in scenario.places.values():
        facts = {place.id, place.city, place.postcode, place.text}
        if not {str(f).lower() for f in facts if f} & watched and not any(
                w in str(place.text or "").lower() for w in watched):
            return place.id
    raise ValueError("the scenario knows no place that its rules leave alone")


def _place(api: str, place_id: str) -> dict[str, Any]:
    """R19: role, place type, place and an on-site contact (v7: item contacts)."""
    if get_dialect(api).item_place_shape == "nested":
        return {"role": "INSTALL_LOCATION",
                "place": {"@type": "GeographicAddressRef", "id": place_id},
                "contact": [dict(SITE_CONTACT)]}
    return {"@type": "GeographicAddressRef", "role": "INSTALL_LOCATION", "id": place_id}


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def create(scenario: Scenario, api: str = "v8", deferred: bool = False,
           offering: str | None = None) -> dict[str, Any]:
    """A create request for one item of ``offering`` (default: the catalogue's first)."""
    chosen = _offering(scenario, offering)
    spec = scenario.specifications[chosen.specification]
    product: dict[str, Any] = {"productOffering": {"id": chosen.id}}
    place = chosen.place if chosen.place != "optional" else spec.place
    if place == "required":
        product["place"] = [_place(api, _quiet_place(scenario))]
    if spec.configuration_types:
        product["productConfiguration"] = {"@type": spec.configuration_types[0]}
    item: dict[str, Any] = {"id": "1", "action": "add", "product": product}
    if "place" in product and get_dialect(api).item_place_shape == "flat":  # item contacts
        item["relatedContactInformation"] = [{"role": "siteContactInformation",
                                              **SITE_CONTACT}]
    body: dict[str, Any] = {
        "externalId": "buyer-order-0001",
        "instantSyncQualification": not deferred,
        "provideAlternative": False,
        "relatedContactInformation": [dict(BUYER_CONTACT)],
        "productOfferingQualificationItem": [item],
    }
    if deferred:  # R11: a deferred request says by when the buyer needs the answer
        body["requestedPOQCompletionDate"] = _stamp(datetime.now(timezone.utc)
                                                    + timedelta(days=7))
    return body


def register(api: str = "v8", callback: str = CALLBACK) -> dict[str, Any]:
    """A hub registration for the POQ state-change events only."""
    event = get_dialect(api).wire_event_type(POQ_STATE_CHANGE)
    return {"callback": callback, "query": f"eventType={event}"}


def list_query(api: str = "v8") -> dict[str, Any]:
    """Retrieve POQ List: the finished, ready POQs of one external id, 10 per page."""
    return {"method": "GET", "path": f"{BASE_PATHS[api]}/productOfferingQualification",  # type: ignore[index]
            "query": {"state": get_dialect(api).wire_poq_state(READY),
                      "externalId": "buyer-order-0001", "limit": "10"}}


def notification(scenario: Scenario, api: str = "v8",
                 root: str = "https://seller.example") -> dict[str, Any]:
    """The POQ state-change event the mock sends when the create example completes: the
    engine runs the example on a hand-driven clock and the event is captured, not sent."""
    from mock_seller.core.engine import Engine
    from mock_seller.core.hooks import Event
    from mock_seller.testing.clock import ManualClock

    engine = Engine(scenario)
    events: list[tuple[str, dict[str, Any]]] = []

    def capture(api: str, wire_type: str, body: dict[str, Any]) -> list[Event]:
        events.append((wire_type, body))
        return []  # captured, not queued

    engine.hooks.publish.append(capture)
    engine.notifier.subscribe(api, "sonata", "https://buyer.example", None)  # events need one
    clock = ManualClock(engine.scheduler, engine)
    engine.scheduler = clock  # type: ignore[assignment]
    try:
        engine.create(api, create(scenario, api, deferred=True), root + BASE_PATHS[api])  # type: ignore[index]
        clock.finish()
    finally:
        engine.close()
    wanted = get_dialect(api).wire_event_type(POQ_STATE_CHANGE)
    return [body for wire_type, body in events if wire_type == wanted][-1]


def build(kind: str, scenario: Scenario | str | None = None, api: str = "v8",
          **options: Any) -> Any:
    """One example by name (KINDS); ``scenario`` as for ``load_scenario``."""
    if api not in ("v8", "v7"):
        raise ValueError(f"unknown API {api!r}: use v8 or v7")
    loaded = load_scenario(scenario)
    if kind == "create":
        return create(loaded, api, **options)
    if kind == "register":
        return register(api, **options)
    if kind == "list":
        return list_query(api)
    if kind == "notification":
        return notification(loaded, api)
    raise ValueError(f"unknown example {kind!r}: use one of {', '.join(KINDS)}")


__all__ = ["KINDS", "build", "create", "list_query", "notification", "register"]
