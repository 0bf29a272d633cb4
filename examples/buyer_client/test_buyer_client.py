"""The buyer client's own tests, against the mock seller of the ``poq_seller`` fixture (the
public fixture only: installing poq-conformance registers it)."""

from __future__ import annotations

from typing import Any

import pytest
from buyer_client import PoqClient, SellerError
from listener import Listener

BUYER = {"name": "Buyer Desk", "number": "+1-555-0199", "emailAddress": "poq@buyer.example"}
OFFERING = "000073"  # Access E-Line 10G of the mock's default scenario
ELINE = {"@type": "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"}


@pytest.fixture
def client(poq_seller: Any) -> PoqClient:
    return PoqClient(poq_seller.base_url("v8"), buyer=BUYER)


def test_immediate_answer(client: PoqClient, poq_seller: Any) -> None:
    poq = client.qualify(OFFERING, ELINE)
    assert poq["state"] == "done"
    assert poq["productOfferingQualificationItem"][0]["serviceabilityConfidence"] == "green"
    poq_seller.assert_buyer_conformant()


def test_deferred_poq_driven_to_the_end_without_sleeping(client: PoqClient,
                                                          poq_seller: Any) -> None:
    poq = client.qualify(OFFERING, ELINE, deferred=True)
    assert poq["state"] == "acknowledged"
    poq_seller.advance()  # the seller starts working on it
    assert client.get(poq["id"])["state"] == "inProgress"
    assert poq_seller.complete(poq["id"]) == "READY"
    assert client.get(poq["id"])["state"] == "done"
    assert [p["id"] for p in client.find(state="done")] == [poq["id"]]
    poq_seller.assert_buyer_conformant()


def test_notification_received(client: PoqClient, poq_seller: Any) -> None:
    with Listener() as listener:
        client.subscribe(listener.url)
        poq = client.qualify(OFFERING, ELINE, deferred=True)
        poq_seller.complete(poq["id"])
        event = listener.wait_for(lambda e: e["event"]["state"] == "done")
    assert event["event"]["id"] == poq["id"]
    assert event["eventType"] == "poqStateChangeEvent"


def test_injected_503_is_retried_after_retry_after(poq_seller: Any) -> None:
    waits: list[float] = []
    client = PoqClient(poq_seller.base_url("v8"), buyer=BUYER, sleep=waits.append)
    poq_seller.use(faults={"endpoints": {"create": {"error_next": 2, "error_status": 503}}})
    assert client.qualify(OFFERING, ELINE)["state"] == "done"
    assert waits == [1.0, 1.0]  # the seller's Retry-After, honoured
    assert [r.status for r in poq_seller.requests("POST", "/productOfferingQualification")] \
        == [503, 503, 201]


@pytest.mark.poq_scenario(buyer_mode="strict")
def test_strict_seller_refuses_a_deferred_ask_without_a_date(client: PoqClient,
                                                             poq_seller: Any) -> None:
    with pytest.raises(SellerError) as refused:
        client.qualify(OFFERING, ELINE, deferred=True, answer_within=None)
    assert refused.value.status == 422
    [finding] = poq_seller.buyer_findings()
    assert (finding.requirement, finding.pointer) == ("R11", "/requestedPOQCompletionDate")
    with pytest.raises(AssertionError, match="R11 VIOLATED at /requestedPOQCompletionDate"):
        poq_seller.assert_buyer_conformant()


def test_in_process_with_responses(poq_seller: Any) -> None:
    url = "https://seller.example/mefApi/sonata/productOfferingQualification/v8"
    events: list[Any] = []
    with poq_seller.intercept(url, on_notification=events.append):
        client = PoqClient(url, buyer=BUYER)  # no socket: responses answers from the mock
        client.subscribe("https://buyer.example/poq")
        poq = client.qualify(OFFERING, ELINE, deferred=True)
        poq_seller.complete(poq["id"])
        assert client.get(poq["id"])["state"] == "done"
    assert [e.body["event"]["state"] for e in events] == ["inProgress", "done"]
    poq_seller.assert_called("POST", "/hub", body={"callback": "https://buyer.example/poq"})
    poq_seller.assert_buyer_conformant()
