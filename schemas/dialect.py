"""MEF 79.1 terms <-> wire values of the two API dialects (v8 = Mplify 87.1, v7 = MEF 87).

Checks and the mock seller's engine speak MEF 79.1 (READY, REJECTED, ...); only the edges
translate. The same wire word can mean different things in the two dialects
(``terminatedWithError`` is UNABLE_TO_MEET_TIME in v8 but REJECTED in v7), so never compare
wire states across dialects directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Api = Literal["v8", "v7"]
APIS: tuple[Api, ...] = ("v8", "v7")
DEFAULT_API: Api = "v8"

# MEF 79.1 state names (section 9).
ACKNOWLEDGED = "ACKNOWLEDGED"
IN_PROGRESS = "IN_PROGRESS"
READY = "READY"
REJECTED = "REJECTED"
UNABLE_TO_MEET_TIME = "UNABLE_TO_MEET_TIME"
ABANDONED = "ABANDONED"

POQ_STATES = (ACKNOWLEDGED, IN_PROGRESS, READY, REJECTED, UNABLE_TO_MEET_TIME)
ITEM_STATES = (ABANDONED, ACKNOWLEDGED, IN_PROGRESS, READY, REJECTED, UNABLE_TO_MEET_TIME)
FINAL_POQ_STATES = frozenset({READY, REJECTED, UNABLE_TO_MEET_TIME})
FINAL_ITEM_STATES = frozenset({READY, REJECTED, UNABLE_TO_MEET_TIME, ABANDONED})

# MEF 79.1 notification types (Table 4 / Table 27).
POQ_STATE_CHANGE = "POQ_STATE_CHANGE"
POQ_ITEM_STATE_CHANGE = "POQ_ITEM_STATE_CHANGE"
POQ_CREATE = "POQ_CREATE"  # v7 only; not a MEF 79.1 notification type

# Catalogue ``applies_when`` keys that the dialect decides (``Dialect.conditions``): v8_only,
# the attributes v7 cannot express; v7_only, what only v7 has.
DIALECT_CONDITIONS = frozenset({"v8_only", "v7_only"})

BASE_PATHS: dict[Api, str] = {
    "v8": "/mefApi/sonata/productOfferingQualification/v8",
    "v7": "/mefApi/sonata/productOfferingQualification/v7",
}
CANTATA_BASE_PATHS: dict[Api, str] = {
    "v8": "/mefApi/cantata/productOfferingQualification/v2",
    "v7": "/mefApi/cantata/productOfferingQualification/v1",
}
LISTENER_BASE_PATHS: dict[Api, str] = {
    "v8": "/mefApi/sonata/productOfferingQualificationNotification/v8",
    "v7": "/mefApi/sonata/productOfferingQualificationNotification/v7",
}
CANTATA_LISTENER_BASE_PATHS: dict[Api, str] = {
    "v8": "/mefApi/cantata/productOfferingQualificationNotification/v2",
    "v7": "/mefApi/cantata/productOfferingQualificationNotification/v1",
}


class NotRepresentable(ValueError):
    """A MEF 79.1 value that the dialect has no wire value for."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """Wire vocabulary of one API version, with both directions of translation."""

    api: Api
    poq_states: dict[str, str]  # MEF -> wire
    item_states: dict[str, str]  # MEF -> wire
    time_units: dict[str, str]  # MEF -> wire
    event_types: dict[str, str]  # MEF -> wire
    actions: dict[str, str] = field(
        default_factory=lambda: {"INSTALL": "add", "CHANGE": "modify"}
    )
    confidences: dict[str, str] = field(
        default_factory=lambda: {"GREEN": "green", "YELLOW": "yellow", "RED": "red"}
    )
    delivery_types: dict[str, str] = field(default_factory=dict)
    # -- what the dialect can say: capabilities, so that call sites never test the name ---
    has_creation_date: bool = False  # POQ creationDate (v7: only the first stateChange)
    events_carry_state: bool = False  # state change events carry the new state
    has_hub_get: bool = False  # GET /hub/{id}
    provide_alternative_required: bool = True  # v7 defaults a missing one to false
    item_place_shape: Literal["nested", "flat"] = "nested"
    # nested (v8): {role, place: {@type, ...}, contact: [...]}; flat (v7): {role, @type, ...}
    # with the on-site contact as the item's relatedContactInformation
    place_schema: str = "PlaceRefOrQuery"  # schema of one item place
    sub_unit_path: tuple[str, ...] = ("subUnit",)  # where a place keeps its sub-units
    registration_ids_in: Literal["query", "event"] = "query"  # buyerId/sellerId of a hub
    rich_alternates: bool = True  # alternates carry confidence, delivery type, guarantee
    lists_empty_alternates: bool = True  # asked for, none found -> an empty array (v8 CR2)
    has_effective_qualification_date: bool = False
    rejection_carries_termination_error: bool = False
    item_state_log_required: bool = False  # items carry their stateChange log
    specification_needs_alternatives: bool = False  # by productSpecification: provideAlternative
    modify_names_offering: bool = False  # a modify item names its productOffering
    red_may_omit_offering: bool = False  # a RED 2b answer may name no offering (v8 guide)
    address_query_needs_representation: bool = False  # a GeographicAddress_Query names one
    contact_address_shape: Literal["fielded", "place"] = "fielded"
    # fielded (v8): a FieldedAddress with countryCode; place (v7): typed as a place, with
    # @type, role and country
    hub_refusal_codes: tuple[int, ...] = (501,)  # an immediate-only seller's answer to START
    conditions: frozenset[str] = frozenset()  # the DIALECT_CONDITIONS that hold here

    # -- MEF -> wire ---------------------------------------------------------------------
    def wire_poq_state(self, mef: str) -> str:
        return _lookup(self.poq_states, mef, f"POQ state in {self.api}")

    def wire_item_state(self, mef: str) -> str:
        return _lookup(self.item_states, mef, f"POQ item state in {self.api}")

    def wire_time_unit(self, mef: str) -> str:
        return _lookup(self.time_units, mef, f"time unit in {self.api}")

    def wire_event_type(self, mef: str) -> str:
        return _lookup(self.event_types, mef, f"event type in {self.api}")

    def wire_action(self, mef: str) -> str:
        return _lookup(self.actions, mef, f"item action in {self.api}")

    def wire_confidence(self, mef: str) -> str:
        return _lookup(self.confidences, mef, "serviceability confidence")

    def wire_delivery_type(self, mef: str) -> str:
        return _lookup(self.delivery_types, mef, f"delivery type in {self.api}")

    # -- wire -> MEF (None when the wire value is unknown to the dialect) -----------------
    def mef_poq_state(self, wire: object) -> str | None:
        return _reverse(self.poq_states, wire)

    def mef_item_state(self, wire: object) -> str | None:
        return _reverse(self.item_states, wire)

    def mef_time_unit(self, wire: object) -> str | None:
        return _reverse(self.time_units, wire)

    def mef_event_type(self, wire: object) -> str | None:
        return _reverse(self.event_types, wire)

    def mef_action(self, wire: object) -> str | None:
        return _reverse(self.actions, wire)

    def mef_confidence(self, wire: object) -> str | None:
        return _reverse(self.confidences, wire)

    def mef_delivery_type(self, wire: object) -> str | None:
        return _reverse(self.delivery_types, wire)

    # -- what the dialect can say ---------------------------------------------------------
    @property
    def has_delivery_type(self) -> bool:
        return bool(self.delivery_types)

    @property
    def has_create_event(self) -> bool:
        return POQ_CREATE in self.event_types

    @property
    def base_path(self) -> str:
        return BASE_PATHS[self.api]

    @property
    def listener_base_path(self) -> str:
        return LISTENER_BASE_PATHS[self.api]

    def supports_item_state(self, mef: str) -> bool:
        return mef in self.item_states

    def supports_poq_state(self, mef: str) -> bool:
        return mef in self.poq_states


def _lookup(table: dict[str, str], key: str, what: str) -> str:
    try:
        return table[key]
    except KeyError:
        raise NotRepresentable(f"{key} is not representable as a {what}") from None


def _reverse(table: dict[str, str], wire: object) -> str | None:
    for mef, value in table.items():
        if value == wire:
            return mef
    return None


V8 = Dialect(
    api="v8",
    has_creation_date=True,
    events_carry_state=True,
    has_hub_get=True,
    item_state_log_required=True,
    specification_needs_alternatives=True,
    modify_names_offering=True,
    red_may_omit_offering=True,
    address_query_needs_representation=True,
    conditions=frozenset({"v8_only"}),
    poq_states={
        ACKNOWLEDGED: "acknowledged",
        IN_PROGRESS: "inProgress",
        READY: "done",
        REJECTED: "rejected",
        UNABLE_TO_MEET_TIME: "terminatedWithError",
    },
    item_states={
        ACKNOWLEDGED: "acknowledged",
        IN_PROGRESS: "inProgress",
        READY: "done",
        REJECTED: "rejected",
        UNABLE_TO_MEET_TIME: "terminatedWithError",
        ABANDONED: "done.abandoned",
    },
    time_units={
        "SECONDS": "seconds",
        "MINUTES": "minutes",
        "BUSINESS_HOURS": "businessHours",
        "CALENDAR_HOURS": "calendarHours",
        "BUSINESS_DAYS": "businessDays",
        "CALENDAR_DAYS": "calendarDays",
        "MONTHS": "months",
        "YEARS": "years",
    },
    event_types={
        POQ_STATE_CHANGE: "poqStateChangeEvent",
        POQ_ITEM_STATE_CHANGE: "poqItemStateChangeEvent",
    },
    delivery_types={
        "ON_NET_WITHOUT_BUILD": "onNetWithoutBuild",
        "ON_NET_WITH_BUILD": "onNetWithBuild",
        "OFF_NET_WITHOUT_BUILD": "offNetWithoutBuild",
        "OFF_NET_WITH_BUILD": "offNetWithBuild",
    },
)

# v7 has no POQ "rejected" (terminatedWithError = insufficient information = REJECTED),
# UNABLE_TO_MEET_TIME exists for the POQ only (done.unableToProvide), and items have no
# rejected / unable-to-meet-time states of their own beyond terminatedWithError.
V7 = Dialect(
    api="v7",
    provide_alternative_required=False,
    item_place_shape="flat",
    place_schema="RelatedPlaceRefOrValueByType",
    sub_unit_path=("geographicSubAddress", "subUnit"),
    registration_ids_in="event",
    rich_alternates=False,
    lists_empty_alternates=False,
    has_effective_qualification_date=True,
    rejection_carries_termination_error=True,
    contact_address_shape="place",
    hub_refusal_codes=(400, 403, 422, 501),
    conditions=frozenset({"v7_only"}),
    poq_states={
        ACKNOWLEDGED: "acknowledged",
        IN_PROGRESS: "inProgress",
        READY: "done.ready",
        REJECTED: "terminatedWithError",
        UNABLE_TO_MEET_TIME: "done.unableToProvide",
    },
    item_states={
        ACKNOWLEDGED: "acknowledged",
        IN_PROGRESS: "inProgress",
        READY: "done.ready",
        REJECTED: "terminatedWithError",
        ABANDONED: "done.abandoned",
    },
    time_units={
        "MINUTES": "calendarMinutes",
        "BUSINESS_MINUTES": "businessMinutes",
        "BUSINESS_HOURS": "businessHours",
        "CALENDAR_HOURS": "calendarHours",
        "BUSINESS_DAYS": "businessDays",
        "CALENDAR_DAYS": "calendarDays",
        "MONTHS": "calendarMonths",
    },
    event_types={
        POQ_STATE_CHANGE: "poqStateChangeEvent",
        POQ_ITEM_STATE_CHANGE: "poqItemStateChangeEvent",
        POQ_CREATE: "poqCreateEvent",
    },
    actions={"INSTALL": "add", "CHANGE": "modify", "DELETE": "delete"},
)

DIALECTS: dict[str, Dialect] = {"v8": V8, "v7": V7}


def get_dialect(api: str) -> Dialect:
    """Return the dialect for ``api`` ("v8" or "v7")."""
    try:
        return DIALECTS[api]
    except KeyError:
        raise ValueError(f"unknown API dialect {api!r}: expected one of v8, v7") from None


__all__ = [
    "ABANDONED",
    "ACKNOWLEDGED",
    "APIS",
    "BASE_PATHS",
    "CANTATA_BASE_PATHS",
    "CANTATA_LISTENER_BASE_PATHS",
    "DEFAULT_API",
    "DIALECTS",
    "DIALECT_CONDITIONS",
    "FINAL_ITEM_STATES",
    "FINAL_POQ_STATES",
    "IN_PROGRESS",
    "ITEM_STATES",
    "LISTENER_BASE_PATHS",
    "POQ_CREATE",
    "POQ_ITEM_STATE_CHANGE",
    "POQ_STATES",
    "POQ_STATE_CHANGE",
    "READY",
    "REJECTED",
    "UNABLE_TO_MEET_TIME",
    "V7",
    "V8",
    "Api",
    "Dialect",
    "NotRepresentable",
    "get_dialect",
]
