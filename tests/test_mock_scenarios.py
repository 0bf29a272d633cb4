"""Scenario files: validation errors name the key; rules steer outcomes by request content;
response modes; the bundled default loads and reaches every path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from mock_helpers import create, eline_item, poll_final, poq, uni_item

from mock_seller.core.scenario import ScenarioError, load_scenario
from mock_seller.server import MockServer

DEFAULT = Path(__file__).resolve().parents[1] / "schemas" / "scenarios" / "default.yaml"


def _default_data() -> dict:
    return yaml.safe_load(DEFAULT.read_text("utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("patch,where", [
    (lambda d: d.update(response_mode="sometimes"), "/response_mode"),
    (lambda d: d["catalogue"]["offerings"][0].update(place="maybe"),
     "/catalogue/offerings/0/place"),
    (lambda d: d["rules"][0]["then"].update(confidence="BLUE"), "/rules/0/then/confidence"),
    (lambda d: d["deferred"].update(item_interval=0), "/deferred/item_interval"),
    (lambda d: d.update(colour="red"), "(top level)"),
    (lambda d: d["inventory"][0].update(offering="ghost"), "/inventory/0/offering"),
    (lambda d: d["rules"][1]["then"]["alternates"][0].update(offering="ghost"),
     "/rules/1/then/alternates/0/offering"),
    (lambda d: d["catalogue"]["offerings"][0].update(specification="ghost"),
     "/catalogue/offerings/0/specification"),
])
def test_errors_name_the_key(tmp_path: Path, patch, where: str) -> None:  # type: ignore[no-untyped-def]
    data = _default_data()
    patch(data)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert where in str(info.value) and str(path) in str(info.value)


def test_unreadable_and_unknown_scenarios(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1,\n", "utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="no bundled scenario"):
        load_scenario("no_such_scenario")
    assert load_scenario("default").name == "default"


def test_custom_rules_steer_by_postcode_and_configuration(tmp_path: Path) -> None:
    data = _default_data()
    data["rules"] = [
        {"name": "postcode", "when": {"postcode": "99999"},
         "then": {"confidence": "YELLOW", "reason": "postcode rule"}},
        {"name": "cfg", "when": {"offering": "000073", "configuration": [
            {"pointer": "/maximumFrameSize", "equals": 9000}, {"pointer": "/x", "exists": False}]},
         "then": {"confidence": "RED", "reason": "jumbo frames"}},
    ]
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    with MockServer(scenario=str(path)) as server:
        item = uni_item()
        item["product"]["place"][0]["place"] = {
            "@type": "GeographicAddress_Query",
            "fieldedAddressRepresentation": [{"streetName": "Main", "city": "X",
                                              "postcode": "99999", "countryCode": "US"}]}
        jumbo = eline_item("2")
        jumbo["product"]["productConfiguration"]["maximumFrameSize"] = 9000
        out = create(server, poq(item, jumbo)).json()
        first, second = out["productOfferingQualificationItem"]
        assert (first["serviceabilityConfidence"], first["serviceabilityConfidenceReason"]) == (
            "yellow", "postcode rule")
        assert second["serviceabilityConfidence"] == "red"


def test_deferred_only_seller_refuses_immediate_requests() -> None:
    scenario = dataclasses.replace(load_scenario(), response_mode="deferred")
    with MockServer(scenario=scenario) as server:
        resp = create(server, poq(eline_item()))
        assert resp.status_code == 422
        assert resp.json()[0]["propertyPath"] == "/instantSyncQualification"
        created = create(server, poq(eline_item(), instant=False)).json()
        assert poll_final(server, created["id"])["state"] == "done"


def test_timeline_comes_from_the_scenario() -> None:
    fast = dataclasses.replace(load_scenario(), in_progress_after=0.0, item_interval=0.05)
    with MockServer(scenario=fast) as server:
        created = create(server, poq(eline_item("a"), eline_item("b"), instant=False)).json()
        final = poll_final(server, created["id"], timeout=2)
        changes = [c["changeDate"] for c in final["stateChange"]]
        assert len(changes) == 3 and changes[0] <= changes[-1]
