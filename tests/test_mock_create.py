"""Create POQ (UC2a/2b/2c) with immediate responses, over real HTTP, in both dialects."""

from __future__ import annotations

import copy

import pytest
import requests
from mock_helpers import (
    POQ,
    create,
    eline_item,
    mock_fixture,  # noqa: F401 (fixture)
    modify_item,
    poq,
    seller_fixture,  # noqa: F401 (fixture)
    spec_item,
    uni_item,
)

from mock_seller.server import MockServer

BUYER_KEYS = ("instantSyncQualification", "provideAlternative", "relatedContactInformation",
              "projectId", "externalId")


def _assert_echo(request: dict, response: dict) -> None:
    """Every buyer attribute comes back unchanged; the seller only appends."""
    for key, value in request.items():
        if key == "relatedContactInformation":
            assert response[key][: len(value)] == value
        elif key != "productOfferingQualificationItem":
            assert response[key] == value, key
    assert len(response["productOfferingQualificationItem"]) == len(
        request["productOfferingQualificationItem"])
    for sent, got in zip(request["productOfferingQualificationItem"],
                         response["productOfferingQualificationItem"], strict=True):
        for key, value in sent.items():
            if key == "product":
                for pkey, pvalue in value.items():
                    assert got["product"][pkey] == pvalue, pkey
            else:
                assert got[key] == value, key


@pytest.mark.parametrize("api,done", [("v8", "done"), ("v7", "done.ready")])
def test_immediate_green_has_every_seller_attribute(mock: MockServer, api: str, done: str) -> None:
    body = poq(eline_item("a"), uni_item("b", api=api), projectId="P1", externalId="E1")
    sent = copy.deepcopy(body)
    resp = create(mock, body, api)
    assert resp.status_code == 201
    assert resp.headers["Content-Type"].startswith("application/json")
    out = resp.json()
    _assert_echo(sent, out)
    assert out["id"] and out["href"].endswith(f"{POQ}/{out['id']}")
    assert out["state"] == done
    assert [c["state"] for c in out["stateChange"]] == [done]
    assert ("creationDate" in out) is (api == "v8")
    sellers = [c for c in out["relatedContactInformation"]
               if c["role"] == "sellerContactInformation"]
    assert len(sellers) == 1 and {"name", "number", "emailAddress"} <= set(sellers[0])
    for item in out["productOfferingQualificationItem"]:
        assert item["state"] == done
        assert [c["state"] for c in item["stateChange"]] == [done]
        assert item["serviceabilityConfidence"] == "green"
        assert item["serviceabilityConfidenceReason"]
        assert item["installationInterval"]["amount"] >= 0
        assert "guaranteedUntilDate" in item
        assert ("deliveryType" in item) is (api == "v8")
        assert "alternateProductOfferingProposal" not in item  # not asked for


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_yellow_with_alternates_when_asked(mock: MockServer, api: str) -> None:
    out = create(mock, poq(eline_item(eir=10), alternatives=True), api).json()
    item = out["productOfferingQualificationItem"][0]
    assert item["serviceabilityConfidence"] == "yellow"
    alts = item["alternateProductOfferingProposal"]
    assert [a["alternateProduct"]["productOffering"]["id"] for a in alts] == ["000166"]
    assert len({a["id"] for a in alts}) == len(alts)
    for alt in alts:
        assert "installationInterval" in alt
        assert alt["alternateProduct"]["productConfiguration"]["@type"]
        if api == "v8":
            assert alt["serviceabilityConfidence"] in ("green", "yellow")
            assert alt["deliveryType"]


def test_no_alternates_without_provide_alternative(mock: MockServer) -> None:
    item = create(mock, poq(eline_item(eir=10))).json()["productOfferingQualificationItem"][0]
    assert item["serviceabilityConfidence"] == "yellow"
    assert "alternateProductOfferingProposal" not in item


def test_red_with_partner_alternate_and_third_party(mock: MockServer) -> None:
    out = create(mock, poq(uni_item(place_id="RemoteAddress-1"), alternatives=True)).json()
    item = out["productOfferingQualificationItem"][0]
    assert item["serviceabilityConfidence"] == "red"
    assert "installationInterval" not in item and "deliveryType" not in item
    (alt,) = item["alternateProductOfferingProposal"]
    assert alt["serviceabilityConfidence"] == "yellow"
    assert alt["deliveryType"] == "offNetWithBuild"
    assert alt["3rdPartyProvider"]


@pytest.mark.parametrize("api,expected", [("v8", []), ("v7", None)])
def test_red_without_alternates(mock: MockServer, api: str, expected: list | None) -> None:
    out = create(mock, poq(uni_item(place_id="NoCoverage-1", api=api), alternatives=True),
                 api).json()
    item = out["productOfferingQualificationItem"][0]
    assert item["serviceabilityConfidence"] == "red"
    assert item.get("alternateProductOfferingProposal") == expected  # v8 CR2: empty array


def test_2b_best_offering_under_specification(mock: MockServer) -> None:
    sent = poq(spec_item(), alternatives=True)
    out = create(mock, copy.deepcopy(sent)).json()
    item = out["productOfferingQualificationItem"][0]
    assert item["serviceabilityConfidence"] == "green"
    assert item["product"]["productSpecification"] == {"id": "access-eline-ovc"}
    assert item["product"]["productOffering"]["id"] in ("000073", "000166")
    alts = item["alternateProductOfferingProposal"]
    assert alts and all(a["serviceabilityConfidence"] in ("green", "yellow") for a in alts)
    assert item["product"]["productOffering"]["id"] not in {
        a["alternateProduct"]["productOffering"]["id"] for a in alts}
    _assert_echo(sent, out)


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_2c_modify_inventory_product(mock: MockServer, api: str) -> None:
    resp = create(mock, poq(modify_item()), api)
    assert resp.status_code == 201, resp.text
    item = resp.json()["productOfferingQualificationItem"][0]
    assert item["action"] == "modify" and item["product"]["id"] == "AccessElineOVC-0001"
    assert item["serviceabilityConfidence"] == "green"


def test_seller_that_always_answers_at_once() -> None:
    import dataclasses

    from mock_seller.core.scenario import load_scenario

    scenario = dataclasses.replace(load_scenario("default"), response_mode="immediate")
    with MockServer(scenario=scenario) as server:
        out = create(server, poq(eline_item(), instant=False)).json()
        assert out["state"] == "done"  # O5: immediate even though deferred was allowed
        assert out["instantSyncQualification"] is False
        assert "expectedPOQCompletionDate" not in out


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_retrieve_returns_the_full_poq_and_404_for_unknown(mock: MockServer, api: str) -> None:
    created = create(mock, poq(eline_item()), api).json()
    got = requests.get(f"{mock.base_url(api)}{POQ}/{created['id']}", timeout=5)
    assert got.status_code == 200 and got.json() == created
    missing = requests.get(f"{mock.base_url(api)}{POQ}/no-such-id", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["code"] == "notFound" and "id" not in missing.json()


def test_dialects_do_not_share_poqs_but_cantata_shares_with_sonata(mock: MockServer) -> None:
    created = create(mock, poq(eline_item()), "v8").json()
    assert requests.get(f"{mock.base_url('v7')}{POQ}/{created['id']}", timeout=5).status_code == 404
    cantata = requests.get(f"{mock.base_url('v8', 'cantata')}{POQ}/{created['id']}", timeout=5)
    assert cantata.status_code == 200 and cantata.json()["state"] == "done"
    made = requests.post(mock.base_url("v7", "cantata") + POQ, json=poq(eline_item()), timeout=5)
    assert made.status_code == 201 and "/cantata/productOfferingQualification/v1/" in made.json()[
        "href"]
