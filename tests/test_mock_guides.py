"""The mock accepts the request examples of both developer guides (read from ../shared at test
time, never copied into the project). Skips cleanly when ../shared is absent."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from mock_helpers import (
    BUYER,
    create,
    mock_fixture,  # noqa: F401 (fixture)
    poq,
    seller_fixture,  # noqa: F401 (fixture)
    uni_item,
)

from mock_seller.server import MockServer

DOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "mef-sdk" / "documentation"
V8_GUIDE = DOCS / "Mplify87.1-POQ-API-v8-Developer-Guide.md"
V7_GUIDE = DOCS / "MEF87-POQ-API-Developer-Guide.md"

pytestmark = pytest.mark.skipif(not V8_GUIDE.exists() or not V7_GUIDE.exists(),
                                reason="../shared developer guides not available")


def json_blocks(path: Path, heading: str) -> list[Any]:
    """Parseable ```json blocks of the section whose heading starts with ``heading``."""
    text = path.read_text("utf-8")
    start = text.index("\n" + heading)
    nxt = re.search(r"\n#{1,6} ", text[start + 1:])
    section = text[start: start + 1 + nxt.start()] if nxt else text[start:]
    out = []
    for block in re.findall(r"```json[^\n]*\n(.*?)```", section, re.S):
        try:
            out.append(json.loads(block))
        except ValueError:
            continue  # examples with << elisions >> are illustrations, not payloads
    return out


def test_v8_create_example_is_accepted(mock: MockServer) -> None:
    (example,) = [b for b in json_blocks(V8_GUIDE, "### 6.3.1. Buyer Create POQ Request")
                  if "productOfferingQualificationItem" in b]
    resp = create(mock, copy.deepcopy(example), "v8")
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["state"] == "acknowledged"  # instantSyncQualification=false -> deferred
    assert out["externalId"] == example["externalId"]
    assert [i["id"] for i in out["productOfferingQualificationItem"]] == ["item-001", "item-002"]


def test_v8_immediate_example_answer_matches_the_guide_shape(mock: MockServer) -> None:
    (example,) = [b for b in json_blocks(V8_GUIDE, "### 6.3.1. Buyer Create POQ Request")
                  if "productOfferingQualificationItem" in b]
    example["instantSyncQualification"] = True
    out = create(mock, example, "v8").json()
    first, second = out["productOfferingQualificationItem"]
    assert first["serviceabilityConfidence"] == "yellow"  # 10 GBPS best effort: site survey
    assert first["alternateProductOfferingProposal"][0]["alternateProduct"][
        "productOffering"]["id"] == "000166"
    assert second["serviceabilityConfidence"] == "green"


def test_v8_modify_example_is_accepted(mock: MockServer) -> None:
    (item,) = json_blocks(V8_GUIDE, "#### 6.3.1.2. Request for `modify` action")
    resp = create(mock, poq(item), "v8")
    assert resp.status_code == 201, resp.text
    assert resp.json()["productOfferingQualificationItem"][0]["product"]["id"] == item[
        "product"]["id"]


def test_v8_hub_examples_are_accepted(mock: MockServer) -> None:
    for example in json_blocks(V8_GUIDE, "### 6.6.1. Use Case 1: Register for POQ Notifications"):
        if "id" in example:
            continue  # the seller's answer
        resp = requests.post(mock.base_url("v8") + "/hub", json=example, timeout=5)
        assert resp.status_code == 201, resp.text
        assert resp.json()["callback"] == example["callback"]


def _v7_envelope(*items: dict[str, Any]) -> dict[str, Any]:
    return {"instantSyncQualification": True, "relatedContactInformation": [dict(BUYER)],
            "productOfferingQualificationItem": list(items)}


def test_v7_add_example_is_accepted(mock: MockServer) -> None:
    (item,) = json_blocks(V7_GUIDE, "#### 6.3.3.1. POQ Item Structure for `add` Action")
    related = item["qualificationItemRelationship"][0]["id"]
    resp = create(mock, _v7_envelope(uni_item(related, api="v7"), item), "v7")
    assert resp.status_code == 201, resp.text
    assert resp.json()["state"] == "done.ready"


def test_v7_modify_example_is_accepted(mock: MockServer) -> None:
    (item,) = json_blocks(V7_GUIDE, "#### 6.3.3.2. POQ Item Structure for `modify` Action")
    resp = create(mock, _v7_envelope(item), "v7")
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize("heading", [
    "#### 6.3.4.1. Fielded Address", "#### 6.3.4.2. Formatted Address",
    "#### 6.3.4.3. Geographic Point", "#### 6.3.4.4. Geographic Address Label",
    "#### 6.3.4.5. Geographic Site Reference", "#### 6.3.4.6. Geographic Address Reference"])
def test_v7_place_examples_are_accepted(mock: MockServer, heading: str) -> None:
    (place,) = json_blocks(V7_GUIDE, heading)
    item = uni_item(api="v7")
    item["product"]["place"] = [place]
    resp = create(mock, _v7_envelope(item), "v7")
    assert resp.status_code == 201, resp.text
    assert resp.json()["productOfferingQualificationItem"][0]["product"]["place"] == [place]


def test_v7_hub_examples_are_accepted(mock: MockServer) -> None:
    for example in json_blocks(V7_GUIDE, "## 6.6. Notifications"):
        if "callback" not in example:
            continue
        resp = requests.post(mock.base_url("v7") + "/hub", json=example, timeout=5)
        assert resp.status_code == 201, resp.text
