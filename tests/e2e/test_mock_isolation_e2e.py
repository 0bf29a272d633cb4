"""The slow half of tests/test_mock_isolation.py: notifications between buyers over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from mock_auth_helpers import call
from mock_helpers import Listener

# the fixtures (the module's seller, reset around each test) come with the helpers
from test_mock_isolation import (  # noqa: F401
    _clean,
    _create,
    _settled,
    poll_final_as,
    seller_fixture,
)

from mock_seller.server import MockServer


@pytest.mark.slow
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_notifications_reach_only_the_owner(seller: MockServer, api: str) -> None:
    with Listener() as to_a, Listener() as to_b:
        for who, listener in (("alpha", to_a), ("beta", to_b)):
            resp = call("POST", seller.base_url(api) + "/hub", who,
                        json={"callback": listener.url})
            assert resp.status_code == 201
        a = _create(seller, "alpha", api, instant=False)
        b = _create(seller, "beta", api, instant=False)
        poll_final_as(seller, "alpha", a, api)
        poll_final_as(seller, "beta", b, api)
        _settled(seller, to_a, to_b)
        assert {e["event"]["id"] for e in to_a.events()} == {a}
        assert {e["event"]["id"] for e in to_b.events()} == {b}
        # single-buyer registrations name no buyerId: none comes back
        assert all("?" not in path for path in to_a.paths() + to_b.paths())
        assert all("buyerId" not in e["event"] for e in to_a.events())


@pytest.mark.slow
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_multi_party_notifications_carry_the_ids(seller: MockServer, api: str) -> None:
    with Listener() as for_c, Listener() as for_m:
        assert call("POST", seller.base_url(api) + "/hub", "broker", params={"buyerId":
                                                                             "BUYER-C"},
                    json={"callback": for_c.url}).status_code == 201
        assert call("POST", seller.base_url(api) + "/hub", "multi",
                    params={"sellerId": "SELLER-2"},
                    json={"callback": for_m.url}).status_code == 201
        c = _create(seller, "broker", api, instant=False, buyerId="BUYER-C")
        other_a = _create(seller, "broker", api, instant=False, buyerId="BUYER-A")
        other_s = _create(seller, "multi", api, instant=False, sellerId="SELLER-1")
        m = _create(seller, "multi", api, instant=False, sellerId="SELLER-2")
        poll_final_as(seller, "broker", c, api, buyerId="BUYER-C")
        poll_final_as(seller, "broker", other_a, api, buyerId="BUYER-A")
        poll_final_as(seller, "multi", other_s, api, sellerId="SELLER-1")
        poll_final_as(seller, "multi", m, api, sellerId="SELLER-2")
        _settled(seller, for_c, for_m)
        assert {e["event"]["id"] for e in for_c.events()} == {c}
        assert {e["event"]["id"] for e in for_m.events()} == {m}
        for listener, key, value in ((for_c, "buyerId", "BUYER-C"),
                                     (for_m, "sellerId", "SELLER-2")):
            for path, event in listener.received:
                query = parse_qs(urlsplit(path).query)
                if api == "v8":  # query parameters on the listener URL
                    assert query == {key: [value]}, path
                    assert key not in event["event"]
                else:  # v7: attributes of the event (v7 guide R6)
                    assert query == {}, path
                    assert event["event"][key] == value
