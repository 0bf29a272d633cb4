"""MEF 79.1 reading of wire POQs, timelines and polling until a final state."""

from __future__ import annotations

import copy

import pytest
import responses

from harness.client import SellerClient
from harness.evidence import Recorder
from harness.polling import poll_until_final
from harness.profile import parse_profile
from harness.timeline import Timelines
from harness.views import mef_view
from schemas.dialect import V7, V8

URL = "http://seller.test/mefApi/sonata/productOfferingQualification/v8"
RAW = {
    "seller": {"api": "v8", "base_url": URL},
    "capabilities": {"product_specification": False, "change": False},
    "test_data": {
        "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
        "install_offering": {"product": {"productOffering": {"id": "1"}}},
    },
}


def test_terminated_with_error_means_different_things() -> None:
    poq = {"id": "p", "state": "terminatedWithError",
           "productOfferingQualificationItem": [{"id": "1", "state": "terminatedWithError"}]}
    assert mef_view(poq, V8).state == "UNABLE_TO_MEET_TIME"
    assert mef_view(poq, "v7").state == "REJECTED"
    assert mef_view(poq, V7).item_states == {"1": "REJECTED"}


def test_view_of_ready_poq_and_unknown_states() -> None:
    poq = {"id": "p", "state": "done.ready", "productOfferingQualificationItem": [
        {"id": "1", "state": "done.ready", "serviceabilityConfidence": "green"},
        {"state": "weird"}]}
    view = mef_view(poq, V7)
    assert view.state == "READY" and view.is_final and view.id == "p"
    assert view.items[0].confidence == "GREEN" and view.items[0].is_final
    assert view.item_states == {"1": "READY", "#2": None}
    assert view.unknown_states == ("item #2 state='weird'",)
    assert view.item("1") is view.items[0] and view.item("9") is None
    assert mef_view(poq, V8).state is None  # done.ready is not a v8 word


@pytest.mark.parametrize("body", [None, "text", [], {"productOfferingQualificationItem": "x"}])
def test_view_never_raises_on_malformed_bodies(body: object) -> None:
    view = mef_view(body, V8)
    assert view.id is None and view.state is None and view.items == ()


def test_timelines_per_poq_and_test() -> None:
    t = Timelines()
    t.current_test = "a"
    t.record("p1", "create", "ACKNOWLEDGED", {"1": "ACKNOWLEDGED"}, "ex-1")
    t.current_test = "b"
    t.record_poq({"id": "p1", "state": "done"}, "v8", "retrieve", "ex-2")
    assert t.record_poq({"state": "done"}, V8, "poll") is None
    assert [e["poq_state"] for e in t.entries("p1")] == ["ACKNOWLEDGED", "READY"]
    assert [e["ref"] for e in t.entries("p1", test="b")] == ["ex-2"]
    assert [tl["test"] for tl in t.to_list()] == ["a", "b"]
    with pytest.raises(ValueError):
        t.record("p1", "guess", None)


def _poq(state: str) -> dict[str, object]:
    return {"id": "p", "state": state,
            "productOfferingQualificationItem": [{"id": "1", "state": state}]}


@responses.activate
def test_polling_until_final_records_timeline() -> None:
    for state in ("acknowledged", "inProgress", "done"):
        responses.get(f"{URL}/productOfferingQualification/p", json=_poq(state))
    client = SellerClient(parse_profile(copy.deepcopy(RAW), env={}), Recorder())
    timelines = Timelines()
    result = poll_until_final(client, "p", V8, max_wait_s=5, interval_s=0.01,
                              timelines=timelines)
    assert not result.timed_out and result.gave_up is None
    assert result.final is not None and result.final.state == "READY"
    assert [e["poq_state"] for e in timelines.entries("p")] == [
        "ACKNOWLEDGED", "IN_PROGRESS", "READY"]
    assert [e["source"] for e in timelines.entries("p")] == ["poll"] * 3
    assert len(result.exchanges) == 3


@responses.activate
def test_polling_times_out_and_gives_up() -> None:
    responses.get(f"{URL}/productOfferingQualification/slow", json=_poq("inProgress"))
    responses.get(f"{URL}/productOfferingQualification/err", body="<html/>", status=500,
                  content_type="text/html")
    client = SellerClient(parse_profile(copy.deepcopy(RAW), env={}), Recorder())
    slow = poll_until_final(client, "slow", V8, max_wait_s=0.2, interval_s=0.05)
    assert slow.timed_out and slow.final is None and slow.last is not None
    assert 0.15 <= slow.elapsed_s < 2
    err = poll_until_final(client, "err", V8, max_wait_s=5, interval_s=0.01)
    assert err.gave_up is not None and "3 failed polls" in err.gave_up and not err.views


def test_notifications_on_the_timeline() -> None:
    from harness.evidence import Notification

    def note(nid: str, body: object, error: str | None = None) -> Notification:
        return Notification(id=nid, test=None, path="/p", received="t", monotonic=0.0,
                            json=body, error=error)

    t = Timelines()
    v8_state = note("nt-1", {"eventType": "poqStateChangeEvent",
                             "event": {"id": "p", "state": "terminatedWithError"}})
    v8_item = note("nt-2", {"eventType": "poqItemStateChangeEvent",
                            "event": {"id": "p", "poqItemId": "1", "state": "done"}})
    v7_ref = note("nt-3", {"eventType": "poqStateChangeEvent", "event": {"id": "q"}})
    broken = note("nt-4", {"event": {"id": "p"}}, error="not JSON")
    assert t.record_notification(v8_state, V8)["poq_state"] == "UNABLE_TO_MEET_TIME"
    assert t.record_notification(v8_item, V8)["item_states"] == {"1": "READY"}
    assert t.record_notification(v7_ref, V7)["poq_state"] is None
    assert t.record_notification(broken, V8) is None
    assert [e["ref"] for e in t.entries("p")] == ["nt-1", "nt-2"]
    assert {e["source"] for e in t.entries("p")} == {"notification"}
