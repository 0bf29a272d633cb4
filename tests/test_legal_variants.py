"""Legal variety: the mock seller switched into unusual but allowed behaviours
(mock_seller/proving/variants.py) must pass the harness with no MUST / MUST NOT failure. Each
variant runs the full harness (v8, and v7 where the variant changes wire shapes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mock_seller.core.scenario import Scenario, load_scenario
from mock_seller.proving.kit import ProvingKit
from mock_seller.proving.matrix import scenario_for
from mock_seller.proving.variants import VARIANTS
from mock_seller.server import MockServer

V7_ONLY = {"no_item_state_logs", "v7_late_item_terminated"}  # no-ops in v8
V8_ONLY = {"always_immediate", "capped_pages", "slow_completion", "extra_seller_contacts",
           "no_expected_completion_date"}  # dialect-neutral: one dialect is enough
RUNS = [(name, "v8") for name in VARIANTS if name not in V7_ONLY] + [
    (name, "v7") for name in VARIANTS if name not in V8_ONLY]
# legal for MEF 79.1 but breaking the dialect's schema: reported apart, never as a failure
SCHEMA_DEVIATING = {("lenient_schema", "v8"), ("lenient_schema", "v7"),
                    ("no_state_change", "v8")}
BODY = {
    "instantSyncQualification": True,
    "provideAlternative": False,
    "externalId": "x-1",
    "relatedContactInformation": [{"role": "buyerContactInformation", "name": "Jane",
                                   "number": "+1-555-0199", "emailAddress": "j@buyer.example"}],
    "productOfferingQualificationItem": [
        {"id": str(n), "action": "add", "product": {
            "productOffering": {"id": "000073"}, "productConfiguration": {
                "@type": "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"}}}
        for n in (1, 2)],
}


def _load(data: dict) -> Scenario:
    return load_scenario(data, [ProvingKit().prepare_scenario])


def test_variant_overrides_reach_the_scenario() -> None:
    assert _load(scenario_for(variants=["always_immediate"])).response_mode == "immediate"
    assert _load(scenario_for(variants=["capped_pages"])).max_page_size == 2
    slow = _load(scenario_for(variants=["slow_completion"]))
    assert slow.in_progress_after == 1.0 and slow.variants == ("slow_completion",)


@pytest.fixture
def varied() -> Iterator[MockServer]:
    names = ["items_reordered", "extra_seller_contacts", "extension_fields"]
    with MockServer(scenario_for(variants=names)) as server:
        yield server


def test_answer_variants_change_the_wire_shape(varied: MockServer) -> None:
    url = varied.base_url("v8") + "/productOfferingQualification"
    body = requests.post(url, json=BODY, timeout=10).json()
    assert [i["id"] for i in body["productOfferingQualificationItem"]] == ["2", "1"]
    sellers = [c for c in body["relatedContactInformation"]
               if c["role"] == "sellerContactInformation"]
    assert len(sellers) == 2 and all(c.get("emailAddress") for c in sellers)
    assert body["@type"] == "ProductOfferingQualification"
    assert body["sellerTrackingReference"].startswith("TRK-")
    rows = requests.get(url, params={"externalId": "x-1"}, timeout=10).json()
    assert rows and all("sellerTrackingReference" in r for r in rows)


