"""Fault test of a shared sandbox on PostgreSQL: two ``python -m mock_seller`` processes on one
database, 16 buyers (each with its own token and listener) creating deferred POQs through
both, one process ``kill -9``-ed mid-run and restarted. Afterwards every acknowledged POQ has
reached its final state exactly once, every notification arrived (a duplicate only with the
same eventId and body), and no buyer saw another buyer's POQ or event."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: shared helpers
from mock_helpers import POQ, Listener, MockProcess, eline_item, poq  # noqa: E402
from pg_helpers import postgres_admin_dsn_fixture, postgres_url_fixture  # noqa: E402, F401

ROOT = Path(__file__).resolve().parents[2]
BUYERS = 16
THREADS = ("--threads", "16")  # one per buyer
LOAD_S = 9.0
KILL_AT_S, RESTART_AT_S = 3.0, 5.0
EXPECTED = Counter({("poqItemStateChangeEvent", "inProgress"): 1,
                    ("poqStateChangeEvent", "inProgress"): 1,
                    ("poqItemStateChangeEvent", "done"): 1, ("poqStateChangeEvent", "done"): 1})


def _token(n: int) -> str:
    return f"token-buyer-{n:02d}-0001"


def _scenario(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "schemas" / "scenarios" / "default.yaml").read_text("utf-8"))
    data["name"] = "fault-test"
    data["deferred"] = {"in_progress_after": 1.0, "item_interval": 1.0}
    data.setdefault("notifications", {}).update(retries=8, backoff=0.2, timeout=2)
    data["auth"] = {"realm": "fault", "entities": [
        {"id": f"b{n}", "buyers": [f"BUYER-{n}"], "tokens": [_token(n)]} for n in range(BUYERS)]}
    path = tmp_path / "fault.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


@pytest.fixture(name="cleanup")
def cleanup_fixture() -> Iterator[list[Any]]:
    things: list[Any] = []
    yield things
    for thing in things:
        (thing.stop if isinstance(thing, MockProcess) else thing.close)()


@pytest.mark.slow
def test_two_processes_one_killed_every_poq_and_notification_once(
        postgres_url: str, tmp_path: Path, cleanup: list[Any]) -> None:
    scenario = _scenario(tmp_path)
    sellers = [MockProcess(*THREADS, store=postgres_url, scenario=scenario) for _ in range(2)]
    cleanup.extend(sellers)
    urls = [s.url for s in sellers]  # buyers read the current address of each process
    listeners = [Listener().start() for _ in range(BUYERS)]
    cleanup.extend(listeners)
    for n, listener in enumerate(listeners):
        resp = requests.post(urls[n % 2] + "/hub", json={"callback": listener.url},
                             headers={"Authorization": f"Bearer {_token(n)}"}, timeout=10)
        assert resp.status_code == 201, resp.text

    acknowledged: dict[int, list[str]] = {n: [] for n in range(BUYERS)}
    refused = Counter[str]()
    stop = time.monotonic() + LOAD_S

    def buyer(n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {_token(n)}"
        i = 0
        while time.monotonic() < stop:
            url = urls[(n + i) % 2]
            i += 1
            try:
                resp = session.post(url + POQ, json=poq(eline_item(), instant=False), timeout=10)
            except requests.RequestException:
                refused["connection"] += 1  # the killed process: not acknowledged
                time.sleep(0.1)
                continue
            if resp.status_code == 201:
                acknowledged[n].append(resp.json()["id"])
            else:
                refused[str(resp.status_code)] += 1
            time.sleep(0.25)
        session.close()

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(KILL_AT_S)
    sellers[0].kill()
    time.sleep(max(0.0, RESTART_AT_S - (time.monotonic() - started)))
    restarted = MockProcess(*THREADS, store=postgres_url, scenario=scenario)
    cleanup.append(restarted)
    urls[0] = restarted.url
    for t in threads:
        t.join()

    all_ids = {poq_id: n for n, ids in acknowledged.items() for poq_id in ids}
    assert len(all_ids) >= BUYERS * 10, (len(all_ids), refused)

    def final(n: int, poq_id: str, url: str) -> dict[str, Any]:
        return requests.get(f"{url}{POQ}/{poq_id}", timeout=10,  # type: ignore[no-any-return]
                            headers={"Authorization": f"Bearer {_token(n)}"}).json()

    deadline = time.monotonic() + 60
    pending = dict(all_ids)
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} POQs never finished"
        for poq_id, n in list(pending.items()):
            if final(n, poq_id, urls[1]).get("state") == "done":
                del pending[poq_id]
        time.sleep(0.2)
    for poq_id, n in all_ids.items():  # the final state, reached exactly once
        body = final(n, poq_id, urls[0])
        assert [c["state"] for c in body["stateChange"]] == ["acknowledged", "inProgress",
                                                             "done"], body["stateChange"]
        assert [c["state"] for c in body["productOfferingQualificationItem"][0]["stateChange"]] \
            == ["acknowledged", "inProgress", "done"]

    for n in range(BUYERS):  # isolation: lists and retrieves through both processes
        mine = set(acknowledged[n])
        for url in urls:
            listed = requests.get(url + POQ, params={"limit": 1000}, timeout=10,
                                  headers={"Authorization": f"Bearer {_token(n)}"}).json()
            listed_ids = {row["id"] for row in listed}
            assert mine <= listed_ids
            assert not listed_ids & (set(all_ids) - mine)
        other = acknowledged[(n + 1) % BUYERS][0]
        assert requests.get(f"{urls[n % 2]}{POQ}/{other}", timeout=10, headers={
            "Authorization": f"Bearer {_token(n)}"}).status_code == 404

    def complete() -> bool:
        return all(len({e["eventId"] for e in listeners[n].bodies()}) >= 4 * len(acknowledged[n])
                   for n in range(BUYERS))

    deadline = time.monotonic() + 60
    while not complete():
        assert time.monotonic() < deadline, "notifications missing"
        time.sleep(0.2)
    time.sleep(1.0)  # late duplicates, if any, arrive now
    received = duplicates = 0
    for n, listener in enumerate(listeners):
        events = listener.bodies()
        received += len(events)
        by_id: dict[str, dict[str, Any]] = {}
        for event in events:
            seen = by_id.setdefault(event["eventId"], event)
            assert seen == event, "a redelivery changed the event"
            duplicates += seen is not event
        per_poq: dict[str, Counter[tuple[str, str]]] = {}
        for event in by_id.values():
            poq_id = event["event"]["id"]
            assert all_ids.get(poq_id, n) == n, "an event about another buyer's POQ"
            per_poq.setdefault(poq_id, Counter())[(event["eventType"],
                                                   event["event"]["state"])] += 1
        for poq_id in acknowledged[n]:
            assert per_poq.get(poq_id) == EXPECTED, (poq_id, per_poq.get(poq_id))
    print(f"\nfault test: {len(all_ids)} POQs acknowledged by {BUYERS} buyers "
          f"(refused while down: {dict(refused)}), {received} notifications received, "
          f"{received - duplicates} distinct, {duplicates} duplicates (same eventId and body)")
