"""Notifications (UC1, UC5) with a real listener: registration, filters, order, dialect payloads,
retries, a slow listener, no notifications without registration or for immediate POQs."""

from __future__ import annotations

import time

import pytest
import requests
from mock_helpers import (
    POQ,
    Listener,
    create,
    eline_item,
    mock_fixture,  # noqa: F401 (fixture)
    poll_final,
    poq,
    seller_fixture,  # noqa: F401 (fixture)
    uni_item,
    wait_for,
)

from mock_seller.core.scenario import load_scenario
from mock_seller.server import MockServer

V8_LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener/"
V7_LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v7/listener/"


def _register(server: MockServer, api: str, callback: str, query: str | None = None,
              family: str = "sonata") -> dict:
    body = {"callback": callback} if query is None else {"callback": callback, "query": query}
    resp = requests.post(server.base_url(api, family) + "/hub", json=body, timeout=5)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_register_read_unregister_v8(mock: MockServer) -> None:
    sub = _register(mock, "v8", "http://127.0.0.1:9/cb", "eventType=poqStateChangeEvent")
    assert sub["id"] and sub["callback"] == "http://127.0.0.1:9/cb"
    assert sub["query"] == "eventType=poqStateChangeEvent"
    url = f"{mock.base_url('v8')}/hub/{sub['id']}"
    assert requests.get(url, timeout=5).json() == sub
    gone = requests.delete(url, timeout=5)
    assert gone.status_code == 204 and gone.content == b""
    assert requests.delete(url, timeout=5).status_code == 404
    assert requests.get(url, timeout=5).json()["code"] == "notFound"


def test_v7_has_no_get_hub_and_subscriptions_are_per_dialect(mock: MockServer) -> None:
    sub = _register(mock, "v7", "http://127.0.0.1:9/cb")
    resp = requests.get(f"{mock.base_url('v7')}/hub/{sub['id']}", timeout=5)
    assert resp.status_code == 405 and "reason" in resp.json()
    assert requests.delete(f"{mock.base_url('v8')}/hub/{sub['id']}", timeout=5).status_code == 404
    assert requests.delete(f"{mock.base_url('v7')}/hub/{sub['id']}", timeout=5).status_code == 204


@pytest.mark.parametrize("body", [{}, {"callback": 5}, {"callback": "not a url"},
                                  {"callback": "http://x", "query": "eventType=bogus"},
                                  {"callback": "http://x", "query": "state=done"}])
def test_bad_registrations_are_400(mock: MockServer, body: dict) -> None:
    resp = requests.post(mock.base_url("v8") + "/hub", json=body, timeout=5)
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalidBody" and "id" not in resp.json()


def test_deferred_flow_notifies_in_order_v8(mock: MockServer) -> None:
    with Listener() as listener:
        _register(mock, "v8", listener.url)
        created = create(mock, poq(eline_item("a"), eline_item("b"), instant=False)).json()
        poll_final(mock, created["id"])
        wait_for(lambda: mock.engine.notifier.idle())
        events = listener.events()
        paths = listener.paths()
    poq_events = [e["event"]["state"] for e in events if e["eventType"] == "poqStateChangeEvent"]
    assert poq_events == ["inProgress", "done"]  # no event for the creation (R92 / 8.3.5)
    per_item: dict[str, list[str]] = {}
    for e in events:
        if e["eventType"] == "poqItemStateChangeEvent":
            assert e["event"]["id"] == created["id"]
            per_item.setdefault(e["event"]["poqItemId"], []).append(e["event"]["state"])
    assert per_item == {"a": ["inProgress", "done"], "b": ["inProgress", "done"]}
    # the POQ is done only after its last item: order preserved on the wire
    assert events[-1]["eventType"] == "poqStateChangeEvent"
    assert len({e["eventId"] for e in events}) == len(events)
    assert all(p == V8_LISTENER + e["eventType"] for p, e in zip(paths, events, strict=True))
    assert all({"eventId", "eventType", "eventTime", "event"} <= set(e) for e in events)


def test_v7_events_carry_references_and_a_create_event(mock: MockServer) -> None:
    with Listener() as listener:
        _register(mock, "v7", listener.url)
        created = create(mock, poq(eline_item("a"), instant=False), "v7").json()
        poll_final(mock, created["id"], "v7")
        wait_for(lambda: mock.engine.notifier.idle())
        events, paths = listener.events(), listener.paths()
    assert events[0]["eventType"] == "poqCreateEvent"
    assert paths[0] == V7_LISTENER + "poqCreateEvent"
    for e in events:
        assert "state" not in e["event"] and e["event"]["id"] == created["id"]
    assert {e["eventType"] for e in events} == {"poqCreateEvent", "poqStateChangeEvent",
                                                "poqItemStateChangeEvent"}


def test_filter_and_unregistered_dialect_get_nothing_else(mock: MockServer) -> None:
    with Listener() as only_poq, Listener() as v7_only:
        _register(mock, "v8", only_poq.url, "eventType=poqStateChangeEvent")
        _register(mock, "v7", v7_only.url, "eventType = poqStateChangeEvent")
        created = create(mock, poq(eline_item(), instant=False)).json()
        poll_final(mock, created["id"])
        wait_for(lambda: mock.engine.notifier.idle())
        time.sleep(0.1)
        assert {e["eventType"] for e in only_poq.events()} == {"poqStateChangeEvent"}
        assert v7_only.events() == []  # registered on the other dialect


def test_immediate_poqs_and_unregistered_buyers_get_no_notifications(mock: MockServer) -> None:
    with Listener() as listener:
        sub = _register(mock, "v8", listener.url)
        create(mock, poq(eline_item()))  # immediate
        requests.delete(f"{mock.base_url('v8')}/hub/{sub['id']}", timeout=5)
        created = create(mock, poq(eline_item(), instant=False)).json()
        poll_final(mock, created["id"])
        time.sleep(0.2)
        assert listener.events() == []


def test_cantata_registration_gets_cantata_listener_paths(mock: MockServer) -> None:
    with Listener() as listener:
        _register(mock, "v8", listener.url, "eventType=poqStateChangeEvent", family="cantata")
        created = create(mock, poq(eline_item(), instant=False)).json()
        poll_final(mock, created["id"])
        wait_for(lambda: len(listener.events()) == 2)
        assert all(p.startswith("/mefApi/cantata/productOfferingQualificationNotification/v2/")
                   for p in listener.paths())


def test_listener_down_at_first_gets_every_event_in_order_after_retries(mock: MockServer) -> None:
    with Listener(fail_first=2) as listener:
        _register(mock, "v8", listener.url)
        created = create(mock, poq(uni_item("x", place_id="Unknown-Building-1"), eline_item("y"),
                                   instant=False)).json()
        poll_final(mock, created["id"])
        wait_for(lambda: mock.engine.notifier.idle(), timeout=10)
        events = listener.events()
    assert listener.attempts == len(events) + 2
    poq_states = [e["event"]["state"] for e in events if e["eventType"] == "poqStateChangeEvent"]
    assert poq_states == ["inProgress", "rejected"]
    items = [(e["event"]["poqItemId"], e["event"]["state"]) for e in events
             if e["eventType"] == "poqItemStateChangeEvent"]
    assert items[-2:] == [("x", "rejected"), ("y", "done.abandoned")]


def test_slow_listener_does_not_slow_the_api(mock: MockServer) -> None:
    with Listener(delay=1.0) as slow:
        _register(mock, "v7", slow.url)
        started = time.monotonic()
        created = create(mock, poq(eline_item(), instant=False), "v7").json()  # + create event
        for _ in range(5):
            assert requests.get(f"{mock.base_url('v7')}{POQ}/{created['id']}",
                                timeout=5).status_code == 200
        assert time.monotonic() - started < 0.9  # the listener alone needs 1 s per event
        wait_for(lambda: slow.events(), timeout=5)
        mock.engine.reset()


def test_notifications_disabled_answers_501() -> None:
    import dataclasses

    scenario = dataclasses.replace(load_scenario(), notifications_enabled=False)
    with MockServer(scenario=scenario) as server:
        for api in ("v8", "v7"):
            resp = requests.post(server.base_url(api) + "/hub", json={"callback": "http://x"},
                                 timeout=5)
            assert resp.status_code == 501
            assert resp.json()["code"] == "notImplemented" and "id" not in resp.json()
