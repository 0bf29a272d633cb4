"""Every kind of response the mock gives validates: v7 against the official v7 OpenAPI (read
from ../shared, skipped when absent) and both dialects against our own schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from mock_helpers import (
    POQ,
    Listener,
    create,
    eline_item,
    iso,
    modify_item,
    poll_final,
    poq,
    spec_item,
    uni_item,
    wait_for,
)

from mock_seller.server import MockServer
from schemas.validation import validate

OFFICIAL = (Path(__file__).resolve().parents[1] / ".." / "shared" / "mef-sdk" / "productApi"
            / "serviceability" / "offeringQualification")

Sample = tuple[str, Any]  # (schema type name, instance); a list body is checked per entry


def _tour(server: MockServer, api: str) -> list[Sample]:
    """Drive every path of the API once and collect (type, body) of each answer and event."""
    base = server.base_url(api)
    out: list[Sample] = []
    p = "ProductOfferingQualification"
    with Listener() as listener:
        sub = requests.post(base + "/hub", json={"callback": listener.url}, timeout=5)
        out.append(("EventSubscription", sub.json()))
        if api == "v8":
            out.append(("EventSubscription",
                        requests.get(f"{base}/hub/{sub.json()['id']}", timeout=5).json()))
        bodies = [
            poq(eline_item("g"), uni_item("u", api=api), projectId="P", externalId="E"),
            poq(eline_item(eir=10), alternatives=True),
            poq(uni_item(place_id="RemoteAddress-1", api=api), alternatives=True),
            poq(uni_item(place_id="NoCoverage-1", api=api), alternatives=True),
            poq(spec_item(), alternatives=True),
            poq(modify_item()),
            poq(uni_item(place_id="Springfield-1", api=api, offering="000075"),
                alternatives=True),
        ]
        for body in bodies:
            resp = create(server, body, api)
            assert resp.status_code == 201, resp.text
            out.append((p, resp.json()))
        deferred = [
            poq(eline_item("a"), eline_item("b"), instant=False),
            poq(uni_item("x", place_id="Unknown-Building-1", api=api), eline_item("y"),
                instant=False),
            poq(eline_item("a"), eline_item("b"), instant=False, requested=iso(-5)),
        ]
        for body in deferred:
            created = create(server, body, api).json()
            out.append((p, created))
            out.append((p, poll_final(server, created["id"], api)))
        wait_for(lambda: server.engine.notifier.idle())
        for event in listener.events():
            name = {"poqStateChangeEvent": "PoqStateChangeEvent",
                    "poqItemStateChangeEvent": "PoqItemStateChangeEvent",
                    "poqCreateEvent": "PoqCreateEvent"}[event["eventType"]]
            out.append((name, event))
    rows = requests.get(base + POQ, timeout=5).json()
    out.extend(("ProductOfferingQualification_Find", row) for row in rows)
    bad = requests.post(base + POQ, data=b"{", headers={"Content-Type": "application/json"},
                        timeout=5)
    out.append(("Error400", bad.json()))
    out.append(("Error400", requests.get(base + POQ, params={"limit": "x"}, timeout=5).json()))
    out.append(("Error404", requests.get(f"{base}{POQ}/nope", timeout=5).json()))
    unprocessable = create(server, poq(eline_item(offering="nope")), api)
    out.extend(("Error422", entry) for entry in unprocessable.json())
    return out


@pytest.fixture(scope="module", name="tours")
def tours_fixture() -> dict[str, list[Sample]]:
    with MockServer() as server:
        return {api: _tour(server, api) for api in ("v8", "v7")}


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_every_response_validates_against_our_schemas(tours: dict, api: str) -> None:
    problems = []
    for type_name, instance in tours[api]:
        for violation in validate(api, type_name, instance):
            problems.append(f"{type_name} {violation}")
    assert problems == []
    kinds = {t for t, _ in tours[api]}
    assert {"ProductOfferingQualification", "ProductOfferingQualification_Find",
            "PoqStateChangeEvent", "PoqItemStateChangeEvent", "Error422"} <= kinds


def _official(name: str) -> dict[str, Any]:
    return yaml.safe_load((OFFICIAL / name).read_text("utf-8"))  # type: ignore[no-any-return]


@pytest.mark.skipif(not OFFICIAL.exists(), reason="../shared v7 OpenAPI not available")
def test_every_v7_response_validates_against_the_official_openapi(tours: dict) -> None:
    management = _official("productOfferingQualificationManagement.api.yaml")
    notification = _official("productOfferingQualificationNotification.api.yaml")
    problems = []
    for type_name, instance in tours["v7"]:
        doc, ref = management, type_name
        if type_name.endswith("Event"):
            doc, ref = notification, "Event"
        schema = {**doc, "$ref": f"#/components/schemas/{ref}"}
        validator = jsonschema.Draft4Validator(schema)
        problems.extend(f"{type_name}: {e.message} at {list(e.absolute_path)}"
                        for e in validator.iter_errors(instance))
    assert problems == []
