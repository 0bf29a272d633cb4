"""schemas.dialect agrees with our schemas, the official v7 OpenAPI and both guides.

Every wire value a dialect emits must be legal in the dialect's schema, every value the
schema allows must translate back to a MEF 79.1 term, and the translation must be the
one the guides' mapping tables give.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest
import yaml

from schemas.dialect import (
    APIS,
    BASE_PATHS,
    CANTATA_BASE_PATHS,
    CANTATA_LISTENER_BASE_PATHS,
    DIALECT_CONDITIONS,
    LISTENER_BASE_PATHS,
    V7,
    V8,
    Dialect,
    NotRepresentable,
    get_dialect,
)
from schemas.validation import notification_document, openapi_document

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "mef-sdk"
DOCS = SHARED / "documentation"
V8_GUIDE = DOCS / "Mplify87.1-POQ-API-v8-Developer-Guide.md"
V7_GUIDE = DOCS / "MEF87-POQ-API-Developer-Guide.md"
V7_OFFICIAL = SHARED / "productApi" / "serviceability" / "offeringQualification"

# enum component name per dialect attribute
ENUMS = {
    "v8": {
        "poq_states": "MEFPOQTaskStateType",
        "item_states": "MEFPOQItemTaskStateType",
        "time_units": "TimeUnit",
        "actions": "PoqProductActionType",
        "confidences": "MEFServiceabilityColor",
        "delivery_types": "DeliveryType",
    },
    "v7": {
        "poq_states": "MEFPOQTaskStateType",
        "item_states": "MEFPOQItemTaskStateType",
        "time_units": "TimeUnit",
        "event_types": "PoqEventType",
        "actions": "ProductActionType",
        "confidences": "MEFServiceabilityColor",
    },
}


def _enums(schemas: dict) -> dict[str, list[str]]:
    return {name: s["enum"] for name, s in schemas.items() if "enum" in s}


def our_enums(api: str) -> dict[str, list[str]]:
    found = _enums(notification_document(api)["components"]["schemas"])
    found.update(_enums(openapi_document(api)["components"]["schemas"]))
    return found


def _need(path: Path) -> str:
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("api", APIS)
def test_dialect_values_equal_our_schema_enums(api: str) -> None:
    dialect = get_dialect(api)
    enums = our_enums(api)
    for attribute, enum_name in ENUMS[api].items():
        wire = set(getattr(dialect, attribute).values())
        assert wire == set(enums[enum_name]), f"{api} {attribute} vs {enum_name}"
    events = notification_document(api)["components"]["schemas"]
    pinned = {
        value
        for name in ("PoqStateChangeEvent", "PoqItemStateChangeEvent", "PoqCreateEvent")
        if name in events
        for value in events[name]["allOf"][1]["properties"]["eventType"]["enum"]
    }
    assert pinned == set(dialect.event_types.values())
    assert dialect.has_delivery_type == (api == "v8")
    assert ("DeliveryType" in enums) == dialect.has_delivery_type


@pytest.mark.parametrize("api", APIS)
def test_every_wire_value_round_trips(api: str) -> None:
    dialect = get_dialect(api)
    pairs = [
        (dialect.poq_states, dialect.wire_poq_state, dialect.mef_poq_state),
        (dialect.item_states, dialect.wire_item_state, dialect.mef_item_state),
        (dialect.time_units, dialect.wire_time_unit, dialect.mef_time_unit),
        (dialect.event_types, dialect.wire_event_type, dialect.mef_event_type),
        (dialect.actions, dialect.wire_action, dialect.mef_action),
        (dialect.confidences, dialect.wire_confidence, dialect.mef_confidence),
        (dialect.delivery_types, dialect.wire_delivery_type, dialect.mef_delivery_type),
    ]
    for table, to_wire, to_mef in pairs:
        assert len(set(table.values())) == len(table), "two MEF terms share a wire value"
        for mef, wire in table.items():
            assert to_wire(mef) == wire
            assert to_mef(wire) == mef
        assert to_mef("noSuchValue") is None
        assert to_mef(None) is None


def test_dialect_specific_gaps_raise_not_representable() -> None:
    v7 = get_dialect("v7")
    with pytest.raises(NotRepresentable):
        v7.wire_delivery_type("ON_NET_WITH_BUILD")
    with pytest.raises(NotRepresentable):
        v7.wire_item_state("UNABLE_TO_MEET_TIME")
    assert get_dialect("v8").wire_item_state("UNABLE_TO_MEET_TIME") == "terminatedWithError"
    assert v7.wire_poq_state("REJECTED") == "terminatedWithError"


def test_v7_dialect_values_equal_the_official_enums() -> None:
    official = yaml.safe_load(
        _need(V7_OFFICIAL / "productOfferingQualificationManagement.api.yaml")
    )
    notification = yaml.safe_load(
        _need(V7_OFFICIAL / "productOfferingQualificationNotification.api.yaml")
    )
    enums = _enums(official["components"]["schemas"])
    enums.update(_enums(notification["components"]["schemas"]))
    v7 = get_dialect("v7")
    for attribute, enum_name in ENUMS["v7"].items():
        assert set(getattr(v7, attribute).values()) == set(enums[enum_name]), attribute
    assert official["servers"][0]["url"].rstrip("/").endswith(BASE_PATHS["v7"])
    assert notification["servers"][0]["url"].rstrip("/").endswith(LISTENER_BASE_PATHS["v7"])
    listener_paths = {p.strip("'") for p in notification["paths"]}
    assert listener_paths == {f"/listener/{e}" for e in v7.event_types.values()}


def _section(text: str, heading: str) -> str:
    match = re.search(r"^#{3,5} [\d.]+\.? " + re.escape(heading) + r"\s*$", text, re.M)
    assert match, f"heading {heading!r} not found"
    nxt = re.search(r"\n#{2,5} ", text[match.end() :])
    return text[match.start() : match.end() + (nxt.start() if nxt else len(text))]


def _mapping(text: str, heading: str) -> dict[str, str]:
    """wire value -> MEF term from the Markdown or HTML table under ``heading``."""
    body = _section(text, heading)
    table = re.search(r"<table.*?</table>", body, re.S)
    if table:
        rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table.group(0), re.S)
        return {html.unescape(a).strip(): html.unescape(b).strip() for a, b in rows[1:]}
    rows = re.findall(r"^\| ([^|]+?)\s*\| ([^|]+?)\s*\|", body, re.M)
    return {a: b for a, b in rows[2:]}


def _delivery_term(text: str) -> str:
    """'OFF-NET w/o Build' -> 'OFF_NET_WITHOUT_BUILD'."""
    text = text.upper().replace("W/O ", "WITHOUT ").replace("W/", "WITH ")
    return re.sub(r"[\s-]+", "_", text)


def test_v8_translation_follows_the_guide_mapping_tables() -> None:
    text = _need(V8_GUIDE)
    v8 = get_dialect("v8")
    checks = [
        ("`enum` MEFPOQTaskStateType", v8.mef_poq_state, str),
        ("`enum` MEFPOQItemTaskStateType", v8.mef_item_state, str),
        ("`enum` TimeUnit", v8.mef_time_unit, str),
        ("`enum` PoqProductActionType", v8.mef_action, str),
        ("`enum` AlternateServiceabilityColor", v8.mef_confidence, str),
        ("`enum` DeliveryType", v8.mef_delivery_type, _delivery_term),
    ]
    for heading, to_mef, normalise in checks:
        table = _mapping(text, heading)
        assert table, heading
        for wire, term in table.items():
            assert to_mef(wire) == normalise(term), f"{heading}: {wire}"
    assert f"{CANTATA_BASE_PATHS['v8']}/" in text
    assert f"{CANTATA_LISTENER_BASE_PATHS['v8']}/" in text
    assert f"{BASE_PATHS['v8']}/" in text and f"{LISTENER_BASE_PATHS['v8']}/" in text


# MEF 79 (v7 guide) terms that MEF 79.1 renamed, per MAPPING.md and the dialect docstring.
MEF79_TO_79_1 = {
    "INSUFFICIENT_INFORMATION_PROVIDED": "REJECTED",
    "UNABLE_TO_PROVIDE": "UNABLE_TO_MEET_TIME",
    "CALENDAR_MINUTES": "MINUTES",
    "CALENDAR_MONTHS": "MONTHS",
}


def test_v7_translation_follows_the_guide_mapping_tables() -> None:
    text = _need(V7_GUIDE)
    v7 = get_dialect("v7")
    checks = [
        ("`enum` MEFPOQTaskStateType", v7.mef_poq_state),
        ("`enum` MEFPOQItemTaskStateType", v7.mef_item_state),
        ("`enum` TimeUnit", v7.mef_time_unit),
    ]
    for heading, to_mef in checks:
        table = _mapping(text, heading)
        assert len(table) >= 5, heading
        for wire, term in table.items():
            if term.startswith("Not represented"):
                assert to_mef(wire) is not None  # still has a MEF 79.1 meaning
                continue
            assert to_mef(wire) == MEF79_TO_79_1.get(term, term), f"{heading}: {wire}"


@pytest.mark.parametrize("api", APIS)
def test_our_documents_use_the_dialect_paths(api: str) -> None:
    dialect = get_dialect(api)
    assert openapi_document(api)["servers"][0]["url"] == dialect.base_path
    notification = notification_document(api)
    assert notification["servers"][0]["url"] == dialect.listener_base_path
    assert set(notification["paths"]) == {f"/listener/{e}" for e in dialect.event_types.values()}


@pytest.mark.parametrize("base", [V8, V7], ids=["like-v8", "like-v7"])
def test_capabilities_belong_to_the_dialect_not_its_name(base: Dialect) -> None:
    """A third dialect copied from one of ours says what that one says, whatever its name:
    call sites ask the dialect (``has_creation_date``), never compare ``api`` to a name."""
    third = dataclasses.replace(base, api="v9")  # type: ignore[arg-type]
    for name in ("has_creation_date", "events_carry_state", "has_hub_get", "has_create_event",
                 "provide_alternative_required", "item_place_shape", "place_schema",
                 "sub_unit_path", "registration_ids_in", "rich_alternates",
                 "lists_empty_alternates", "has_effective_qualification_date",
                 "rejection_carries_termination_error", "item_state_log_required",
                 "specification_needs_alternatives", "modify_names_offering",
                 "red_may_omit_offering", "contact_address_shape", "hub_refusal_codes",
                 "conditions"):
        assert getattr(third, name) == getattr(base, name), name
    assert V8.has_creation_date and not V7.has_creation_date
    assert V7.has_create_event and not V8.has_create_event


@pytest.mark.parametrize("api", APIS)
def test_dialect_conditions_are_catalogue_keys(api: str) -> None:
    """``conditions`` names the catalogue ``applies_when`` keys a dialect decides: v8_only
    holds where v7's missing attributes exist, v7_only only in v7."""
    dialect = get_dialect(api)
    assert dialect.conditions <= DIALECT_CONDITIONS
    assert ("v8_only" in dialect.conditions) == (api == "v8")
    assert ("v7_only" in dialect.conditions) == (api == "v7")
    assert 501 in dialect.hub_refusal_codes  # "not implemented" is always a refusal
