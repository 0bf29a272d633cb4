"""Deferred responses: the timeline, Table 29 consistency, REJECTED / UNABLE_TO_MEET_TIME with
abandonment (R103), and the dialect translation of the final states."""

from __future__ import annotations

import time

import pytest
import requests
from mock_helpers import (
    POQ,
    create,
    eline_item,
    iso,
    mock_fixture,  # noqa: F401 (fixture)
    poll_final,
    poq,
    seller_fixture,  # noqa: F401 (fixture)
    uni_item,
)

from mock_seller.server import MockServer
from schemas.dialect import get_dialect

# MEF 79.1 Table 29: item states allowed under each POQ state.
ALLOWED = {
    "ACKNOWLEDGED": {"ACKNOWLEDGED"},
    "IN_PROGRESS": {"ACKNOWLEDGED", "IN_PROGRESS", "READY"},
    "READY": {"READY"},
    "REJECTED": {"ABANDONED", "READY", "REJECTED"},
    "UNABLE_TO_MEET_TIME": {"ABANDONED", "READY", "UNABLE_TO_MEET_TIME"},
}


def _mef_states(api: str, body: dict) -> tuple[str, list[str]]:
    d = get_dialect(api)
    items = []
    for item in body["productOfferingQualificationItem"]:
        state = d.mef_item_state(item["state"])
        assert state is not None, item["state"]
        items.append(state)
    poq_state = d.mef_poq_state(body["state"])
    assert poq_state is not None
    return poq_state, items


def _watch(server: MockServer, api: str, poq_id: str, timeout: float = 5.0) -> list[dict]:
    """Poll until final, checking Table 29 on every snapshot; returns the snapshots."""
    snaps = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(f"{server.base_url(api)}{POQ}/{poq_id}", timeout=5).json()
        snaps.append(body)
        poq_state, items = _mef_states(api, body)
        assert set(items) <= ALLOWED[poq_state], (poq_state, items)
        if poq_state in ("READY", "REJECTED"):
            assert poq_state != "REJECTED" or "REJECTED" in items
        if poq_state in ("READY", "REJECTED", "UNABLE_TO_MEET_TIME"):
            return snaps
        time.sleep(0.03)
    raise AssertionError("POQ did not reach a final state")


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_deferred_walks_acknowledged_in_progress_ready(mock: MockServer, api: str) -> None:
    resp = create(mock, poq(eline_item("a"), eline_item("b"), instant=False), api)
    assert resp.status_code == 201
    first = resp.json()
    assert first["state"] == "acknowledged"
    assert {i["state"] for i in first["productOfferingQualificationItem"]} == {"acknowledged"}
    assert "expectedPOQCompletionDate" in first
    assert ("creationDate" in first) is (api == "v8")
    for item in first["productOfferingQualificationItem"]:
        assert "serviceabilityConfidence" not in item and "installationInterval" not in item
    snaps = _watch(mock, api, first["id"])
    final = snaps[-1]
    done = get_dialect(api).wire_poq_state("READY")
    assert final["state"] == done
    assert [c["state"] for c in final["stateChange"]] == ["acknowledged", "inProgress", done]
    seen = {s["state"] for s in snaps}
    assert "inProgress" in seen
    for item in final["productOfferingQualificationItem"]:
        assert [c["state"] for c in item["stateChange"]] == ["acknowledged", "inProgress", done]
        assert item["serviceabilityConfidence"] == "green"
        assert "installationInterval" in item
    stamps = [c["changeDate"] for c in final["stateChange"]]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("api,poq_wire,item_wire", [
    ("v8", "rejected", "rejected"), ("v7", "terminatedWithError", "terminatedWithError")])
def test_insufficient_information_rejects_and_abandons(mock: MockServer, api: str,
                                                       poq_wire: str, item_wire: str) -> None:
    body = poq(uni_item("bad", place_id="Unknown-Building-1", api=api), eline_item("later"),
               instant=False)
    created = create(mock, body, api).json()
    final = _watch(mock, api, created["id"])[-1]
    assert final["state"] == poq_wire
    bad, later = final["productOfferingQualificationItem"]
    assert bad["state"] == item_wire and later["state"] == "done.abandoned"
    assert "serviceabilityConfidence" not in bad and "installationInterval" not in bad
    assert ("terminationError" in bad) is (api == "v7")
    assert "serviceabilityConfidence" not in later


@pytest.mark.parametrize("api,poq_wire", [("v8", "terminatedWithError"),
                                          ("v7", "done.unableToProvide")])
def test_requested_date_that_cannot_be_met(mock: MockServer, api: str, poq_wire: str) -> None:
    body = poq(eline_item("a"), eline_item("b"), instant=False, requested=iso(-60))
    created = create(mock, body, api).json()
    assert created["state"] == "acknowledged"
    final = _watch(mock, api, created["id"])[-1]
    assert final["state"] == poq_wire
    states = [i["state"] for i in final["productOfferingQualificationItem"]]
    if api == "v8":
        assert states == ["terminatedWithError", "done.abandoned"]
        assert final["productOfferingQualificationItem"][0]["terminationError"]
    else:  # v7 items have no unable-to-meet-time state
        assert states == ["done.abandoned", "done.abandoned"]
    for item in final["productOfferingQualificationItem"]:
        assert "installationInterval" not in item and "guaranteedUntilDate" not in item


def test_item_ready_before_another_cannot_meet_time(mock: MockServer) -> None:
    body = poq(eline_item("fast"), uni_item("slow", place_id="SlowSurvey-1"),
               eline_item("never"), instant=False)
    created = create(mock, body).json()
    final = _watch(mock, "v8", created["id"])[-1]
    assert final["state"] == "terminatedWithError"
    assert [i["state"] for i in final["productOfferingQualificationItem"]] == [
        "done", "terminatedWithError", "done.abandoned"]


def test_deferred_requires_requested_completion_date(mock: MockServer) -> None:
    body = poq(eline_item(), instant=False)
    del body["requestedPOQCompletionDate"]
    resp = create(mock, body)
    assert resp.status_code == 422
    assert resp.json()[0]["propertyPath"] == "/requestedPOQCompletionDate"


def test_many_deferred_poqs_share_one_scheduler(mock: MockServer) -> None:
    ids = [create(mock, poq(eline_item(), instant=False)).json()["id"] for _ in range(30)]
    for poq_id in ids:
        assert poll_final(mock, poq_id)["state"] == "done"
    assert mock.engine.scheduler.pending() == 0


def test_concurrent_buyers_always_see_consistent_states(mock: MockServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(n: int) -> str:
        api = "v8" if n % 2 else "v7"
        body = poq(eline_item("a"), uni_item("b", api=api), eline_item("c"), instant=False)
        created = create(mock, body, api).json()
        return _watch(mock, api, created["id"], timeout=10)[-1]["state"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        finals = list(pool.map(one, range(16)))
    assert set(finals) == {"done", "done.ready"}
