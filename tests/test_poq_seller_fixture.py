"""The ``poq_seller`` fixture as a buyer's suite uses it: a real mock over HTTP, reset per
test, per-test settings (marker and ``use``), a hand-driven clock, assertions that name the
requirement and pointer, and the in-process ``responses`` mode."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from mock_helpers import Listener, wait_for

POQ = "/productOfferingQualification"
V8_ORIGIN = "https://seller.example"
V8_URL = V8_ORIGIN + "/mefApi/sonata/productOfferingQualification/v8"


def _create(seller: Any, api: str = "v8", **options: Any) -> requests.Response:
    body = seller.example("create", api=api, **options)
    return requests.post(seller.base_url(api) + POQ, json=body, timeout=5)


def test_real_http_on_a_free_port(poq_seller: Any) -> None:
    assert poq_seller.base_url("v8").startswith("http://127.0.0.1:")
    assert poq_seller.base_url("v7").endswith("/productOfferingQualification/v7")
    answer = _create(poq_seller)
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "done"
    with pytest.raises(ValueError, match="unknown API"):
        poq_seller.base_url("v9")


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_deferred_poq_driven_step_by_step_without_sleeping(poq_seller: Any, api: str) -> None:
    answer = _create(poq_seller, api, deferred=True)
    poq_id = answer.json()["id"]
    url = f"{poq_seller.base_url(api)}{POQ}/{poq_id}"
    assert answer.json()["state"] == "acknowledged"
    assert poq_seller.waiting() == [poq_id]
    assert requests.get(url, timeout=5).json()["state"] == "acknowledged"  # time is held
    assert poq_seller.advance() == {poq_id: "IN_PROGRESS"}
    assert requests.get(url, timeout=5).json()["state"] == "inProgress"
    assert poq_seller.complete(poq_id) == "READY"
    assert requests.get(url, timeout=5).json()["state"] in ("done", "done.ready")
    assert poq_seller.waiting() == []
    assert poq_seller.advance() == {}


def test_complete_unknown_poq_says_so(poq_seller: Any) -> None:
    with pytest.raises(LookupError, match="no POQ 'nope'"):
        poq_seller.complete("nope")


def test_real_clock_lets_the_timeline_run(poq_seller: Any) -> None:
    poq_seller.use(clock="real")
    poq_id = _create(poq_seller, deferred=True).json()["id"]
    url = f"{poq_seller.base_url()}{POQ}/{poq_id}"
    # the default scenario's own timeline finishes in about half a second
    wait_for(lambda: requests.get(url, timeout=5).json()["state"] == "done")
    assert poq_seller.waiting() == []


def test_notifications_reach_the_buyer_listener_when_completed(poq_seller: Any) -> None:
    with Listener() as listener:
        hub = requests.post(poq_seller.base_url() + "/hub",
                            json=poq_seller.example("register", callback=listener.url),
                            timeout=5)
        assert hub.status_code == 201, hub.text
        poq_id = _create(poq_seller, deferred=True).json()["id"]
        poq_seller.complete(poq_id)  # returns once delivered
        states = [body["event"]["state"] for _, body in listener.received]
    assert states == ["inProgress", "done"]


def test_each_test_starts_from_a_clean_seller(poq_seller: Any) -> None:
    assert poq_seller.requests() == []
    assert poq_seller.waiting() == []
    assert requests.get(poq_seller.base_url() + POQ, timeout=5).json() == []


@pytest.mark.poq_scenario(buyer_mode="strict")
def test_marker_strict_mode_violation_names_requirement_and_pointer(poq_seller: Any) -> None:
    body = poq_seller.example("create", deferred=True)
    del body["requestedPOQCompletionDate"]
    answer = requests.post(poq_seller.base_url() + POQ, json=body, timeout=5)
    assert answer.status_code == 422
    assert answer.json()[0]["propertyPath"] == "/requestedPOQCompletionDate"
    [finding] = poq_seller.buyer_findings()
    assert (finding.requirement, finding.pointer, finding.status) == (
        "R11", "/requestedPOQCompletionDate", 422)
    with pytest.raises(AssertionError) as failure:
        poq_seller.assert_buyer_conformant()
    assert "R11" in str(failure.value)
    assert "/requestedPOQCompletionDate" in str(failure.value)


def test_strict_mode_ends_with_the_test(poq_seller: Any) -> None:
    body = poq_seller.example("create", deferred=True)
    del body["requestedPOQCompletionDate"]
    answer = requests.post(poq_seller.base_url() + POQ, json=body, timeout=5)
    assert "R11:" not in answer.text  # default mode: the seller's own answer, R11 recorded
    assert [f.requirement for f in poq_seller.buyer_findings()] == ["R11"]
    assert poq_seller.buyer_findings("R7") == []
    assert any(f.ok for f in poq_seller.buyer_findings(failing=False))


def test_conformant_buyer_passes(poq_seller: Any) -> None:
    _create(poq_seller, deferred=True)
    poq_seller.assert_buyer_conformant()


def test_injected_503_then_success(poq_seller: Any) -> None:
    poq_seller.use(faults={"endpoints": {"create": {"error_next": 1, "error_status": 503}}})
    first, second = _create(poq_seller), _create(poq_seller)
    assert (first.status_code, second.status_code) == (503, 201)
    assert first.headers["Retry-After"] == "1"
    poq_seller.assert_called("POST", POQ, times=2)
    assert [r.status for r in poq_seller.requests("POST", POQ)] == [503, 201]


def test_use_validates_its_arguments(poq_seller: Any) -> None:
    with pytest.raises(ValueError, match="buyer_mode"):
        poq_seller.use(buyer_mode="picky")
    with pytest.raises(ValueError, match="response_mode"):
        poq_seller.use(response_mode="later")
    with pytest.raises(ValueError, match="error_rate"):
        poq_seller.use(faults={"endpoints": {"create": {"error_rate": 2}}})
    with pytest.raises(ValueError, match="no_such_defect"):
        poq_seller.use(defects=["no_such_defect"])


def test_response_mode_and_variants(poq_seller: Any) -> None:
    poq_seller.use(response_mode="deferred", variants=["capped_pages"])
    answer = _create(poq_seller, deferred=True)
    assert answer.json()["state"] == "acknowledged"
    assert poq_seller.engine.scenario.max_page_size == 2
    instant = _create(poq_seller)
    assert instant.status_code == 422  # deferred-only seller refuses an immediate-only ask


def test_defects_are_switched_per_test(poq_seller: Any) -> None:
    poq_seller.use(defects=["no_seller_contact"])
    contacts = _create(poq_seller).json()["relatedContactInformation"]
    assert [c["role"] for c in contacts] == ["buyerContactInformation"]


def test_assert_called_lists_what_arrived(poq_seller: Any) -> None:
    _create(poq_seller)
    poq_seller.assert_called("POST", POQ, body={"instantSyncQualification": True})
    poq_seller.assert_called(path="/productOfferingQualification*", api="v8", status=201)
    poq_seller.assert_not_called("DELETE", "/hub/*")
    with pytest.raises(AssertionError) as failure:
        poq_seller.assert_called("POST", "/hub")
    assert "POST /mefApi/sonata/productOfferingQualification/v8/productOfferingQualification" \
           " -> 201" in str(failure.value)
    assert poq_seller.requests(body=lambda b: b["externalId"] == "buyer-order-0001")
    assert not poq_seller.requests(body={"externalId": "other"})


def test_intercept_routes_requests_in_process(poq_seller: Any) -> None:
    got: list[Any] = []
    with poq_seller.intercept(V8_URL, on_notification=got.append):
        hub = requests.post(V8_URL + "/hub",
                            json=poq_seller.example("register", callback="https://buyer.example"))
        assert hub.status_code == 201, hub.text
        answer = requests.post(V8_URL + POQ, json=poq_seller.example("create", deferred=True))
        assert answer.json()["href"].startswith(V8_URL + POQ + "/")
        poq_seller.complete(answer.json()["id"])
        listing = requests.get(V8_URL + POQ, params={"state": "done"})
    assert [n.body["event"]["state"] for n in got] == ["inProgress", "done"]
    assert got[0].event_type == "poqStateChangeEvent"
    assert len(listing.json()) == 1
    poq_seller.assert_called("GET", POQ)  # same journal as over HTTP
    poq_seller.assert_buyer_conformant()


@pytest.mark.poq_scenario(buyer_mode="strict")
def test_intercept_applies_the_buyer_checks(poq_seller: Any) -> None:
    with poq_seller.intercept(V8_ORIGIN + "/gateway" + V8_URL[len(V8_ORIGIN):]) as mock:
        answer = requests.post(V8_ORIGIN + "/gateway" + V8_URL[len(V8_ORIGIN):] + "/hub",
                               json={})
        assert mock is not None
    assert answer.status_code == 422
    assert poq_seller.buyer_findings()[0].requirement == "R7"


def test_intercept_can_deliver_to_a_real_listener(poq_seller: Any) -> None:
    with Listener() as listener, poq_seller.intercept(V8_URL, listener_url=listener.url):
        requests.post(V8_URL + "/hub", json=poq_seller.example("register",
                                                               callback=listener.url))
        poq_id = requests.post(V8_URL + POQ, json=poq_seller.example(
            "create", deferred=True)).json()["id"]
        poq_seller.complete(poq_id)
        assert [b["event"]["id"] for _, b in listener.received] == [poq_id, poq_id]


def test_intercept_refuses_a_url_it_cannot_map(poq_seller: Any) -> None:
    with pytest.raises(ValueError, match="base path"), \
            poq_seller.intercept("https://seller.example/somewhere"):
        pass
    with pytest.raises(ValueError, match="not both"), poq_seller.intercept(
            V8_URL, on_notification=print, listener_url="http://127.0.0.1:9"):
        pass
