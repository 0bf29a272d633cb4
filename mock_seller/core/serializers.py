"""Records -> wire JSON of one dialect. The engine speaks MEF 79.1; only this module (through
``schemas.dialect``) knows v8 and v7 words and which attributes each dialect has."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_seller.core.model import ItemRecord, PoqRecord
from mock_seller.core.scenario import Alternate, Interval, Scenario
from mock_seller.core.timeutil import format_datetime
from schemas.dialect import (
    ABANDONED,
    READY,
    REJECTED,
    UNABLE_TO_MEET_TIME,
    Dialect,
)

SELLER_ROLE = "sellerContactInformation"
_SELLER_KEYS = {
    "id",
    "href",
    "state",
    "stateChange",
    "creationDate",
    "expectedPOQCompletionDate",
    "effectiveQualificationDate",
}


def item_wire_state(dialect: Dialect, state: str) -> str:
    """Wire value of an item state. v7 has no item UNABLE_TO_MEET_TIME: such an item shows as
    ``done.abandoned`` there (the POQ itself says ``done.unableToProvide``)."""
    if not dialect.supports_item_state(state):
        return dialect.wire_item_state(ABANDONED)
    return dialect.wire_item_state(state)


def _changes(history: list[tuple[str, datetime, str | None]], wire: Any) -> list[dict[str, Any]]:
    out = []
    for state, when, reason in history:
        entry: dict[str, Any] = {"changeDate": format_datetime(when), "state": wire(state)}
        if reason:
            entry["changeReason"] = reason
        out.append(entry)
    return out


def _interval(dialect: Dialect, interval: Interval) -> dict[str, Any]:
    return {"amount": interval.amount, "units": dialect.wire_time_unit(interval.units)}


def poq_to_wire(
    record: PoqRecord, request: dict[str, Any], dialect: Dialect, scenario: Scenario
) -> dict[str, Any]:
    """The full ProductOfferingQualification of ``dialect`` (create response and retrieve)."""
    out: dict[str, Any] = {"id": record.id, "href": record.href}
    if dialect.has_creation_date:
        out["creationDate"] = format_datetime(record.created)
    out["state"] = dialect.wire_poq_state(record.state)
    out["stateChange"] = _changes(record.history, dialect.wire_poq_state)
    if record.deferred and record.expected is not None:
        out["expectedPOQCompletionDate"] = format_datetime(record.expected)
    if dialect.has_effective_qualification_date and record.completed is not None:
        out["effectiveQualificationDate"] = format_datetime(record.completed)
    for key, value in request.items():
        if key not in _SELLER_KEYS and key not in out:
            out[key] = value
    contacts = list(request.get("relatedContactInformation") or [])
    contacts.append({**scenario.seller_contact, "role": SELLER_ROLE})
    out["relatedContactInformation"] = contacts
    provide_alt = request.get("provideAlternative") is True
    items = request.get("productOfferingQualificationItem") or []
    out["productOfferingQualificationItem"] = [
        _item(rec, buyer, dialect, scenario, provide_alt)
        for rec, buyer in zip(record.items, items, strict=False)
    ]
    return out


def _item(
    rec: ItemRecord, buyer: dict[str, Any], dialect: Dialect, scenario: Scenario, provide_alt: bool
) -> dict[str, Any]:
    out = {k: v for k, v in buyer.items() if k not in ("state", "stateChange")}
    out["state"] = item_wire_state(dialect, rec.state)
    out["stateChange"] = _changes(rec.history, lambda s: item_wire_state(dialect, s))
    if rec.state == READY:
        _ready_attributes(out, rec, buyer, dialect, scenario, provide_alt)
    elif rec.state == UNABLE_TO_MEET_TIME and dialect.supports_item_state(UNABLE_TO_MEET_TIME):
        out["terminationError"] = [
            {
                "code": "otherIssue",
                "value": rec.termination or "The requested completion date cannot be met",
            }
        ]
    elif rec.state == REJECTED and dialect.rejection_carries_termination_error:
        out["terminationError"] = [
            {
                "code": "otherIssue",
                "value": rec.termination or "Insufficient information to qualify this item",
            }
        ]
    return out


def _ready_attributes(
    out: dict[str, Any],
    rec: ItemRecord,
    buyer: dict[str, Any],
    dialect: Dialect,
    scenario: Scenario,
    provide_alt: bool,
) -> None:
    plan, result = rec.plan, rec.plan.result
    confidence = result.confidence or "RED"
    guaranteed = format_datetime(
        (rec.finished or rec.history[-1][1]) + timedelta(days=scenario.guaranteed_for_days)
    )
    if plan.add_offering and plan.offering:
        out["product"] = {**buyer.get("product", {}), "productOffering": {"id": plan.offering}}
    out["serviceabilityConfidence"] = dialect.wire_confidence(confidence)
    if result.reason:
        out["serviceabilityConfidenceReason"] = result.reason
    if confidence in ("GREEN", "YELLOW"):
        if result.installation_interval is not None:
            out["installationInterval"] = _interval(dialect, result.installation_interval)
        if dialect.has_delivery_type and result.delivery_type:
            out["deliveryType"] = dialect.wire_delivery_type(result.delivery_type)
            if result.delivery_type.startswith("OFF_NET"):
                if result.third_party_provider:
                    out["3rdPartyProvider"] = result.third_party_provider
                if result.third_party_offering:
                    out["3rdPartyProviderProductOffering"] = result.third_party_offering
    out["guaranteedUntilDate"] = guaranteed
    offers_alternates = plan.use_case == "2b" or confidence in ("YELLOW", "RED")
    if provide_alt and offers_alternates:
        configuration = (buyer.get("product") or {}).get("productConfiguration") or {}
        proposals = [
            _alternate(i, alt, configuration, dialect, scenario, guaranteed)
            for i, alt in enumerate(result.alternates or (), start=1)
        ]
        if proposals or dialect.lists_empty_alternates:
            out["alternateProductOfferingProposal"] = proposals


def _alternate(
    n: int,
    alt: Alternate,
    configuration: dict[str, Any],
    dialect: Dialect,
    scenario: Scenario,
    guaranteed: str,
) -> dict[str, Any]:
    conf = dict(alt.configuration) if alt.configuration is not None else dict(configuration)
    if "@type" not in conf and "@type" in configuration:
        conf["@type"] = configuration["@type"]
    product: dict[str, Any] = {
        "productOffering": {"id": alt.offering},
        "productConfiguration": conf,
    }
    out: dict[str, Any] = {
        "id": f"alt-{n}",
        "alternateProduct": product,
        "installationInterval": _interval(dialect, alt.installation_interval),
    }
    if dialect.rich_alternates:
        out["serviceabilityConfidence"] = dialect.wire_confidence(alt.confidence)
        if alt.reason:
            out["serviceabilityConfidenceReason"] = alt.reason
        out["guaranteedUntilDate"] = guaranteed
        out["deliveryType"] = dialect.wire_delivery_type(alt.delivery_type)
        if alt.delivery_type.startswith("OFF_NET"):
            if alt.third_party_provider:
                out["3rdPartyProvider"] = alt.third_party_provider
            if alt.third_party_offering:
                out["3rdPartyProviderProductOffering"] = alt.third_party_offering
    else:
        offering = scenario.offerings.get(alt.offering)
        if offering is not None:
            product["productSpecification"] = {"id": offering.specification}
    return out


def find_row(record: PoqRecord, dialect: Dialect) -> dict[str, Any]:
    """One ProductOfferingQualification_Find entry: summary fields only."""
    row: dict[str, Any] = {"id": record.id, "state": dialect.wire_poq_state(record.state)}
    if dialect.has_creation_date:
        row["creationDate"] = format_datetime(record.created)
    if record.requested_raw is not None:
        # v7 defines this list field as format "date" (the definition is the contract)
        raw = record.requested_raw
        row["requestedPOQCompletionDate"] = raw if dialect.has_creation_date else raw[:10]
    if record.external_id is not None:
        row["externalId"] = record.external_id
    if record.project_id is not None:
        row["projectId"] = record.project_id
    return row


def event_body(
    dialect: Dialect,
    event_id: str,
    mef_type: str,
    when: datetime,
    record: PoqRecord,
    item: ItemRecord | None = None,
) -> dict[str, Any]:
    """A notification body: v8 carries the new state, v7 only references."""
    payload: dict[str, Any] = {"id": record.id, "href": record.href}
    if item is not None:
        payload["poqItemId"] = item.id
    if dialect.events_carry_state:
        if item is not None:
            payload["state"] = item_wire_state(dialect, item.state)
        elif mef_type != "POQ_CREATE":
            payload["state"] = dialect.wire_poq_state(record.state)
    return {
        "eventId": event_id,
        "eventType": dialect.wire_event_type(mef_type),
        "eventTime": format_datetime(when),
        "event": payload,
    }


__all__ = ["event_body", "find_row", "item_wire_state", "poq_to_wire"]
