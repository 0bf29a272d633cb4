"""Restarts for real: the mock runs as ``python -m mock_seller --store sqlite:...`` and is killed
with SIGKILL while POQs are mid-timeline and notifications pile up for a listener that is down.
After a restart on the same file every acknowledged POQ is retrievable and reaches its final
state, and every notification arrives (at least once; a duplicate only with the same eventId).
Also: two server processes on one file (WAL) serve each other's POQs and subscriptions."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from mock_helpers import POQ, Listener, MockProcess, eline_item, poq, uni_item

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "schemas" / "scenarios" / "default.yaml"
FINAL = {"done", "rejected", "terminatedWithError"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scenario(tmp_path: Path, start: float, step: float) -> Path:
    data = yaml.safe_load(DEFAULT.read_text("utf-8"))
    data["deferred"] = {"in_progress_after": start, "item_interval": step}
    data.setdefault("notifications", {}).update(retries=3, backoff=0.1, timeout=1)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def _wait(condition: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _states(url: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {i: requests.get(f"{url}{POQ}/{i}", timeout=10).json() for i in ids}


@pytest.fixture(name="sellers")
def sellers_fixture() -> Iterator[list[MockProcess]]:
    started: list[MockProcess] = []
    yield started
    for seller in started:
        seller.stop()


@pytest.mark.slow
def test_kill_9_then_restart_finishes_timelines_and_delivers_everything(
        tmp_path: Path, sellers: list[MockProcess]) -> None:
    store = f"sqlite:///{tmp_path / 'mock.db'}"
    scenario = _scenario(tmp_path, start=1.0, step=1.0)
    port = _free_port()  # nobody listens there yet: deliveries fail and wait in the outbox
    first = MockProcess(store=store, scenario=scenario)
    sellers.append(first)
    sub = requests.post(first.url + "/hub", json={"callback": f"http://127.0.0.1:{port}"},
                        timeout=5)
    assert sub.status_code == 201
    bodies = [poq(eline_item(), instant=False),
              poq(eline_item(), eline_item("2"), eline_item("3"), instant=False),
              poq(uni_item(place_id="Unknown-Building-1"), eline_item("2"), instant=False),
              poq(eline_item(), instant=True)]
    ids = []
    for body in bodies:
        resp = requests.post(first.url + POQ, json=body, timeout=10)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    time.sleep(1.5)  # the first transitions happen (and their notifications fail) ...
    before = _states(first.url, ids)
    assert before[ids[1]]["state"] == "inProgress"  # ... but not the last ones
    first.kill()

    listener = Listener(port=port).start()
    try:
        second = MockProcess(store=store, scenario=scenario)
        sellers.append(second)
        finals = _wait(lambda: (lambda s: s if all(p["state"] in FINAL for p in s.values())
                                else None)(_states(second.url, ids)), timeout=15)
        assert [finals[i]["state"] for i in ids] == ["done", "done", "rejected", "done"]
        for poq_id in ids[:3]:  # the histories walk the whole timeline, once each
            changes = [c["state"] for c in finals[poq_id]["stateChange"]]
            assert changes[:2] == ["acknowledged", "inProgress"] and len(changes) == 3
        # deferred POQs: per item IN_PROGRESS + final, plus POQ IN_PROGRESS + final
        expected = (1 + 1 + 2) + (3 + 3 + 2) + (2 + 2 + 2)
        events = _wait(lambda: (lambda e: e if len({x["eventId"] for x in e}) >= expected
                                else None)(listener.bodies()), timeout=20)
        by_id: dict[str, dict[str, Any]] = {}
        for event in events:  # a duplicate is allowed only as the same event, same eventId
            assert by_id.setdefault(event["eventId"], event) == event
        assert len(by_id) == expected
        assert {e["event"]["id"] for e in by_id.values()} == set(ids[:3])
        for poq_id in ids[:3]:
            poq_events = [e for e in events if e["event"]["id"] == poq_id
                          and e["eventType"] == "poqStateChangeEvent"]
            assert [e["event"]["state"] for e in poq_events][-1] == finals[poq_id]["state"]
    finally:
        listener.close()


@pytest.mark.slow
def test_two_processes_share_one_file(tmp_path: Path, sellers: list[MockProcess]) -> None:
    store = f"sqlite:///{tmp_path / 'shared.db'}"
    scenario = _scenario(tmp_path, start=0.2, step=0.2)
    a, b = MockProcess(store=store, scenario=scenario), MockProcess(store=store, scenario=scenario)
    sellers.extend([a, b])
    listener = Listener(port=_free_port()).start()
    try:
        sub = requests.post(a.url + "/hub", json={"callback": listener.url},
                            timeout=5).json()
        assert requests.get(f"{b.url}/hub/{sub['id']}", timeout=5).json() == sub
        ids = []
        for i in range(10):  # created alternately on both, concurrently with transitions
            seller = (a, b)[i % 2]
            resp = requests.post(seller.url + POQ, json=poq(eline_item(), instant=False),
                                 timeout=10)
            assert resp.status_code == 201
            ids.append(resp.json()["id"])
        listed = requests.get(b.url + POQ, params={"limit": "100"}, timeout=10).json()
        assert {r["id"] for r in listed} == set(ids)
        finals = _wait(lambda: (lambda s: s if all(p["state"] == "done" for p in s.values())
                                else None)(_states(a.url, ids)), timeout=15)
        assert len(finals) == 10
        events = _wait(lambda: (lambda e: e if len({x["eventId"] for x in e}) >= 40
                                else None)(listener.bodies()), timeout=15)
        time.sleep(0.5)
        events = listener.bodies()
        assert len({e["eventId"] for e in events}) == 40  # 4 per POQ, no transition twice
        by_id: dict[str, dict[str, Any]] = {}
        for event in events:
            assert by_id.setdefault(event["eventId"], event) == event
    finally:
        listener.close()
