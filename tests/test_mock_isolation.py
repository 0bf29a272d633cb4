"""Buyer isolation over real HTTP: two buyers' lists, retrieves, subscriptions and
notifications stay apart; a foreign id is 404 (not 403); buyerId/sellerId of multi-party
entities select the owner and come back on the notifications."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from mock_auth_helpers import TOKENS, auth_scenario, call
from mock_helpers import POQ, Listener, poq, wait_for

from mock_seller.server import MockServer


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    scenario = auth_scenario(sellers=["SELLER-1", "SELLER-2"])
    entities = scenario["auth"]["entities"]
    for entity in entities:  # the classic entities deal with SELLER-1 only
        entity["sellers"] = ["SELLER-1"]
    entities.append({"id": "multi", "buyers": ["BUYER-M"], "tokens": [TOKENS["multi"]]})
    with MockServer(scenario=scenario) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(seller: MockServer) -> Iterator[None]:
    seller.engine.reset()
    yield
    seller.engine.reset()


def _create(seller: MockServer, who: str, api: str = "v8", instant: bool = True,
            **params: str) -> str:
    resp = call("POST", seller.base_url(api) + POQ, who, params=params,
                json=poq(instant=instant))
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _ids(seller: MockServer, who: str, api: str = "v8", **params: str) -> list[str]:
    resp = call("GET", seller.base_url(api) + POQ, who, params=params)
    assert resp.status_code == 200, resp.text
    assert resp.headers["X-Total-Count"] == str(len(resp.json()))
    return [row["id"] for row in resp.json()]


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_lists_and_retrieves_are_per_buyer(seller: MockServer, api: str) -> None:
    a1, a2 = _create(seller, "alpha", api), _create(seller, "alpha", api)
    b1 = _create(seller, "beta", api)
    assert _ids(seller, "alpha", api) == [a1, a2]
    assert _ids(seller, "beta", api) == [b1]
    for who, mine, foreign in (("alpha", a1, b1), ("beta", b1, a2)):
        assert call("GET", f"{seller.base_url(api)}{POQ}/{mine}", who).status_code == 200
        other = call("GET", f"{seller.base_url(api)}{POQ}/{foreign}", who)
        assert other.status_code == 404  # not 403: the id's existence does not leak
        assert other.json()["code"] == "notFound"
    # filters apply inside the buyer's own POQs only
    assert _ids(seller, "beta", api, state={"v8": "done", "v7": "done.ready"}[api]) == [b1]


def test_owner_is_the_buyer_not_the_credentials(seller: MockServer) -> None:
    a1 = _create(seller, "alpha")
    c1 = _create(seller, "broker", buyerId="BUYER-C")
    a2 = _create(seller, "broker", buyerId="BUYER-A")
    assert _ids(seller, "broker", buyerId="BUYER-A") == [a1, a2]  # alpha's POQ too
    assert _ids(seller, "broker", buyerId="BUYER-C") == [c1]
    assert _ids(seller, "alpha") == [a1, a2]
    assert call("GET", f"{seller.base_url()}{POQ}/{c1}", "alpha").status_code == 404
    assert call("GET", f"{seller.base_url()}{POQ}/{c1}", "broker",
                params={"buyerId": "BUYER-A"}).status_code == 404


def test_seller_id_selects_the_seller(seller: MockServer) -> None:
    missing = call("GET", seller.base_url() + POQ, "multi")
    assert missing.status_code == 400 and missing.json()["code"] == "missingQueryParameter"
    unknown = call("GET", seller.base_url() + POQ, "multi", params={"sellerId": "SELLER-9"})
    assert unknown.status_code == 403 and unknown.json()["code"] == "accessDenied"
    s1 = _create(seller, "multi", sellerId="SELLER-1")
    s2 = _create(seller, "multi", sellerId="SELLER-2")
    assert _ids(seller, "multi", sellerId="SELLER-1") == [s1]
    assert _ids(seller, "multi", sellerId="SELLER-2") == [s2]
    assert call("GET", f"{seller.base_url()}{POQ}/{s2}", "multi",
                params={"sellerId": "SELLER-1"}).status_code == 404
    # alpha deals with SELLER-1 only: no sellerId needed, another one refused
    assert _ids(seller, "alpha") == []
    refused = call("GET", seller.base_url() + POQ, "alpha", params={"sellerId": "SELLER-2"})
    assert refused.status_code == 403


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_subscriptions_are_per_buyer(seller: MockServer, api: str) -> None:
    hub = seller.base_url(api) + "/hub"
    created = call("POST", hub, "alpha", json={"callback": "http://127.0.0.1:9/alpha"})
    assert created.status_code == 201
    sub = created.json()["id"]
    if api == "v8":
        assert call("GET", f"{hub}/{sub}", "alpha").status_code == 200
        assert call("GET", f"{hub}/{sub}", "beta").status_code == 404
    assert call("DELETE", f"{hub}/{sub}", "beta").status_code == 404
    assert call("DELETE", f"{hub}/{sub}", "broker",
                params={"buyerId": "BUYER-C"}).status_code == 404
    assert call("DELETE", f"{hub}/{sub}", "alpha").status_code == 204


def poll_final_as(seller: MockServer, who: str, poq_id: str, api: str,
                  **params: str) -> None:
    finals = {"done", "rejected", "terminatedWithError", "done.ready", "done.unableToProvide"}
    wait_for(lambda: call("GET", f"{seller.base_url(api)}{POQ}/{poq_id}", who, params=params)
             .json()["state"] in finals)


def _settled(seller: MockServer, *listeners: Listener) -> None:
    """Every notification sent: the notifier is idle and each listener got something."""
    wait_for(lambda: seller.engine.notifier.idle() and all(x.events() for x in listeners))
    time.sleep(0.1)
