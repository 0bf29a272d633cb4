"""Several mock processes on one database behave as one seller (sandbox/shared.py,
storage/sql.py): two servers on the same SQLite file or PostgreSQL database serve each other's
POQs in both dialects with buyer isolation, apply each transition once, and share the /_mock
state (faults, scenario, defects, reset, request log, buyer report, dead letters)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mock_auth_helpers import auth_scenario, call
from mock_helpers import POQ, Listener, eline_item, poq, wait_for
from pg_helpers import postgres_admin_dsn_fixture, postgres_url_fixture  # noqa: F401

from mock_seller.core.scenario import load_scenario
from mock_seller.sandbox.control import MockControl
from mock_seller.sandbox.shared import POLL_INTERVAL
from mock_seller.server import MockServer

TOKEN = "ctl-token"
SHARED_WITHIN = 1.0  # s: a /_mock change reaches every process within this


@pytest.fixture(name="url", params=("sqlite", "postgres"))
def url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(name="pair")
def pair_fixture(url: str) -> Iterator[tuple[MockServer, MockServer]]:
    scenario = auth_scenario()
    scenario["deferred"] = {"in_progress_after": 0.1, "item_interval": 0.1}
    with MockServer(scenario=scenario, store=url, control_token=TOKEN) as a, \
            MockServer(scenario=scenario, store=url, control_token=TOKEN) as b:
        yield a, b


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_each_process_serves_every_poq_with_buyer_isolation(
        pair: tuple[MockServer, MockServer], api: str) -> None:
    a, b = pair
    made = {}
    for who, server in (("alpha", a), ("beta", b), ("alpha", b)):
        resp = call("POST", server.base_url(api) + POQ, who, json=poq())
        assert resp.status_code == 201, resp.text
        made.setdefault(who, []).append(resp.json()["id"])
    for server in (a, b):
        for who, mine in made.items():
            listed = call("GET", server.base_url(api) + POQ, who).json()
            assert [r["id"] for r in listed] == mine
            foreign = made["beta" if who == "alpha" else "alpha"][0]
            assert call("GET", f"{server.base_url(api)}{POQ}/{foreign}", who).status_code == 404
            assert call("GET", f"{server.base_url(api)}{POQ}/{mine[0]}", who).status_code == 200


def test_a_transition_armed_by_both_processes_happens_once(url: str) -> None:
    fast = dataclasses.replace(load_scenario(), in_progress_after=0.3, item_interval=0.2)
    with Listener() as listener, MockServer(scenario=fast, store=url) as a:
        requests.post(a.base_url() + "/hub", json={"callback": listener.url}, timeout=5)
        created = requests.post(a.base_url() + POQ, json=poq(eline_item(), eline_item("2"),
                                                                  instant=False), timeout=5)
        poq_id = created.json()["id"]
        with MockServer(scenario=fast, store=url) as b:  # re-arms every pending timeline too
            wait_for(lambda: b.engine.state_of("v8", poq_id) == "READY", timeout=10)
            wait_for(lambda: len(listener.events()) == 6, timeout=10)
            final = requests.get(f"{b.base_url()}{POQ}/{poq_id}", timeout=5).json()
    assert [c["state"] for c in final["stateChange"]] == ["acknowledged", "inProgress", "done"]
    events = listener.events()
    assert len({e["eventId"] for e in events}) == 6  # 2 items x 2 moves + 2 POQ moves, once each


def test_control_changes_reach_the_other_process(pair: tuple[MockServer, MockServer]) -> None:
    a, b = pair
    with MockControl(a.root_url, TOKEN) as ctl_a, MockControl(b.root_url, TOKEN) as ctl_b:
        ctl_a.set_faults({"endpoints": {"list": {"error_rate": 1, "error_status": 503}}})
        wait_for(lambda: ctl_b.faults().get("endpoints"), timeout=SHARED_WITHIN + POLL_INTERVAL)
        assert call("GET", b.base_url() + POQ, "alpha").status_code == 503
        ctl_b.clear_faults()
        wait_for(lambda: not ctl_a.faults().get("endpoints"), timeout=SHARED_WITHIN)
        assert call("GET", a.base_url() + POQ, "alpha").status_code == 200

        ctl_a.set_faults({"unable_to_meet_time_next": 2})  # one counter for both processes
        ids = [call("POST", s.base_url() + POQ, "alpha", json=poq(instant=False)).json()["id"]
               for s in (a, b, b)]
        for poq_id in ids:
            wait_for(lambda i=poq_id: a.engine.state_of("v8", i) in ("READY",
                                                                     "UNABLE_TO_MEET_TIME"))
        assert [a.engine.state_of("v8", i) for i in ids] == [
            "UNABLE_TO_MEET_TIME", "UNABLE_TO_MEET_TIME", "READY"]

        requests.put(f"{a.root_url}/_mock/defects", json={"defects": ["unknown_id_500"]},
                     headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        wait_for(lambda: call("GET", f"{b.base_url()}{POQ}/nope", "alpha").status_code == 500,
                 timeout=SHARED_WITHIN + POLL_INTERVAL)

        seen = ctl_b.requests()  # every process's log, oldest first
        assert len(seen) == len(ctl_a.requests()) >= 6  # 2 lists, 3 creates, 1+ retrieve
        report = requests.get(f"{b.root_url}/_mock/buyer-report",
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()
        served = {e["url"].split("/")[2] for e in report["exchanges"]}
        assert served == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}  # both processes
        assert len({e["id"] for e in report["exchanges"]}) == len(report["exchanges"]) >= 5

        ctl_b.set_scenario({"name": "default"})
        wait_for(lambda: ctl_a.health()["scenario"] == "default", timeout=SHARED_WITHIN)
        assert ctl_a.health()["poqs"] == {"v8": 0, "v7": 0}  # a switch resets, for both
        assert call("GET", a.base_url() + POQ).status_code == 200  # auth off in "default"

        requests.post(a.base_url() + POQ, json=poq(), timeout=5)
        ctl_a.reset()
        wait_for(lambda: ctl_b.requests() == [], timeout=SHARED_WITHIN + 2)
        assert ctl_b.health()["processes"] == 2


def test_dead_letters_are_listed_and_redelivered(pair: tuple[MockServer, MockServer]) -> None:
    a, b = pair
    scenario = dataclasses.replace(a.engine.scenario, notify_retries=1, notify_backoff=0.01)
    for server in (a, b):
        server.engine.use_scenario(scenario)
    with Listener(fail_first=2) as listener:
        call("POST", a.base_url() + "/hub", "alpha", json={"callback": listener.url})
        call("POST", a.base_url() + POQ, "alpha", json=poq(instant=False))
        headers = {"Authorization": f"Bearer {TOKEN}"}
        outbox = wait_for(lambda: requests.get(f"{b.root_url}/_mock/outbox", headers=headers,
                                               timeout=5).json()["dead_letters"], timeout=10)
        assert outbox[0]["attempts"] == 2 and "2 attempts" in outbox[0]["reason"]
        dead_id = outbox[0]["eventId"]
        assert requests.post(f"{b.root_url}/_mock/outbox/redeliver", headers=headers,
                             timeout=5).json()["redelivered"] == 1
        wait_for(lambda: dead_id in {e["eventId"] for e in listener.events()}, timeout=5)


def test_health_for_load_balancers(pair: tuple[MockServer, MockServer]) -> None:
    a, _ = pair
    ok = requests.get(a.root_url + "/health", timeout=5)
    assert ok.status_code == 200 and ok.json() == {"status": "ok"}
    with MockControl(a.root_url, TOKEN) as ctl:
        health = ctl.health()
        assert "***" in health["store"] or health["store"].endswith("shared.db")
        assert ctl.requests() == []  # probes are not logged
    a.engine.store.db.close()  # the database is gone for this process
    down = requests.get(a.root_url + "/health", timeout=5)
    assert down.status_code == 503 and down.json() == {"status": "unavailable"}


def test_a_process_started_later_adopts_the_shared_state_in_order(url: str) -> None:
    with MockServer(store=url, control_token=TOKEN) as a, MockControl(a.root_url, TOKEN) as ctl:
        ctl.set_faults({"endpoints": {"create": {"latency": 0.01}},
                        "unable_to_meet_time_next": 3})
        ctl.set_scenario({"name": "default"})  # zeroes the forced counter, keeps faults
        requests.put(f"{a.root_url}/_mock/defects", json={"defects": ["unknown_id_500"]},
                     headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        with MockServer(store=url, control_token=TOKEN) as late:
            with MockControl(late.root_url, TOKEN) as late_ctl:
                faults = late_ctl.faults()
                assert faults["endpoints"]["create"]["latency"] == 0.01
                assert faults["unable_to_meet_time_next"] == 0
            assert requests.get(f"{late.base_url()}{POQ}/nope", timeout=5).status_code == 500
        ctl.reset()  # clears the stored faults too
        with MockServer(store=url, control_token=TOKEN) as after_reset, \
                    MockControl(after_reset.root_url, TOKEN) as fresh:
            assert "endpoints" not in fresh.faults()


def test_buyer_report_file_is_written_on_exit_without_a_traceback(url: str,
                                                                   tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    report = tmp_path / "buyers.json"
    proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--port", "0", "--store", url,
                             "--buyer-report", str(report)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        root = proc.stdout.readline().strip().rsplit(" ", 1)[-1]  # type: ignore[union-attr]
        base = root + "/mefApi/sonata/productOfferingQualification/v8"
        assert requests.post(base + POQ, json=poq(), timeout=10).status_code == 201
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert len(json.loads(report.read_text("utf-8"))["exchanges"]) == 1
