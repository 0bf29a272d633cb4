"""Soak of the mock seller as a shared sandbox (a benchmark, not a test).

    .venv/bin/python bench/soak_mock.py [--duration 60] [--buyers 32] [--rate 8]
                                        [--store both|memory|sqlite] [--list-poqs 100000]

For each store the mock runs as its own process (``python -m mock_seller --store ...``) on
127.0.0.1. ``--buyers`` threads create deferred POQs for ``--duration`` seconds (together at
most ``--rate`` per second), each buyer with its own registered listener (a real HTTP server in
this process). Subscriptions are seller-wide (no auth in the scenario), so every listener
expects every event: 4 per POQ (item and POQ to IN_PROGRESS, item and POQ to their final
state). At the end the soak waits for every POQ to be final and every notification delivered,
then prints: POQs created, lost POQs (not retrievable or not final: must be 0), notifications
expected / received / lost, duplicates with the same eventId (allowed: at least once) and
without (the same transition under two eventIds: must be 0), create latency p50/p99 and
notification delay p50/p99. ``--list-poqs`` also times Retrieve POQ List over that many POQs
in an SQLite store (in process, no HTTP). Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
V8 = "/mefApi/sonata/productOfferingQualification/v8"
FINAL = {"done", "rejected", "terminatedWithError"}
ELINE = "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"


def _body(buyer: int, n: int) -> dict[str, Any]:
    return {
        "instantSyncQualification": False, "provideAlternative": False,
        "requestedPOQCompletionDate": "2099-01-01T00:00:00.000Z",
        "externalId": f"soak-{buyer}-{n}", "projectId": f"buyer-{buyer}",
        "relatedContactInformation": [{"role": "buyerContactInformation", "name": "Soak",
                                       "number": "+1-555-0100", "emailAddress": "s@example.com"}],
        "productOfferingQualificationItem": [{
            "id": "1", "action": "add",
            "product": {"productOffering": {"id": "000073"},
                        "productConfiguration": {"@type": ELINE, "maximumFrameSize": 1526}}}],
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Listener:
    """One buyer's notification listener: keeps (eventId, body, receive time)."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, Any], float]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the seller reuses its connections

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                with outer.lock:
                    outer.got.append((str(body.get("eventId")), body, now))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> list[tuple[str, dict[str, Any], float]]:
        with self.lock:
            return list(self.got)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _start_mock(store: str, scenario: Path, threads: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--port", "0", "--threads",
                             str(threads), "--store", store, "--scenario", str(scenario)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT)
    line = proc.stdout.readline().strip()  # type: ignore[union-attr]
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"mock did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1] + V8


def _event_key(body: dict[str, Any]) -> tuple[str, str, str, str]:
    event = body.get("event") or {}
    return (str(event.get("id")), str(body.get("eventType")), str(event.get("poqItemId", "")),
            str(event.get("state")))


def soak(store: str, scenario: Path, duration: float, buyers: int, rate: float,
         drain: float) -> dict[str, Any]:
    proc, base = _start_mock(store, scenario, threads=16)
    listeners = [Listener() for _ in range(buyers)]
    created: list[str] = []
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    try:
        for listener in listeners:
            resp = requests.post(base + "/hub", json={"callback": listener.url}, timeout=10)
            resp.raise_for_status()
        stop = time.monotonic() + duration
        interval = buyers / rate  # each buyer's pace so that all together make ``rate``/s

        def buyer(n: int) -> None:
            nonlocal errors
            session = requests.Session()
            i = 0
            next_at = time.monotonic() + interval * n / buyers
            while True:
                now = time.monotonic()
                if now >= stop:
                    break
                if now < next_at:
                    time.sleep(min(next_at - now, stop - now))
                    continue
                next_at += interval
                t0 = time.perf_counter()
                try:
                    resp = session.post(base + "/productOfferingQualification",
                                        json=_body(n, i), timeout=30)
                    ok = resp.status_code == 201
                    poq_id = resp.json()["id"] if ok else None
                except (requests.RequestException, ValueError, KeyError):
                    ok, poq_id = False, None
                took = (time.perf_counter() - t0) * 1000
                i += 1
                with lock:
                    if ok and poq_id:
                        created.append(poq_id)
                        latencies.append(took)
                    else:
                        errors += 1
            session.close()

        threads = [threading.Thread(target=buyer, args=(n,)) for n in range(buyers)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration + 60)
        load_s = time.monotonic() - started

        # wait (bounded) for every POQ to be final and every notification to arrive
        deadline = time.monotonic() + drain
        session = requests.Session()
        pending = set(created)
        states: dict[str, str | None] = {}
        while pending and time.monotonic() < deadline:
            for poq_id in list(pending):
                try:
                    resp = session.get(f"{base}/productOfferingQualification/{poq_id}",
                                       timeout=10)
                    state = resp.json().get("state") if resp.status_code == 200 else None
                except (requests.RequestException, ValueError):
                    state = None
                states[poq_id] = state
                if state in FINAL:
                    pending.discard(poq_id)
            if pending:
                time.sleep(0.5)
        session.close()
        expected_per_listener = {(p, t, it, s) for p in created for t, it, s in (
            ("poqItemStateChangeEvent", "1", "inProgress"),
            ("poqStateChangeEvent", "", "inProgress"),
            ("poqItemStateChangeEvent", "1", "done"), ("poqStateChangeEvent", "", "done"))}
        expected = len(expected_per_listener) * len(listeners)

        def received_keys() -> int:
            return sum(len({_event_key(b) for _, b, _ in ls.snapshot()}
                           & expected_per_listener) for ls in listeners)

        while received_keys() < expected and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1.0)  # late redeliveries still count as duplicates
        drain_s = drain - max(0.0, deadline - time.monotonic())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()  # type: ignore[union-attr]

    received = same_id_dups = other_id_dups = lost = 0
    delays: list[float] = []
    for listener in listeners:
        got = listener.snapshot()
        listener.close()
        received += len(got)
        ids_per_key: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
        seen_ids: set[str] = set()
        for event_id, body, when in got:
            if event_id in seen_ids:
                same_id_dups += 1
                continue
            seen_ids.add(event_id)
            ids_per_key[_event_key(body)].add(event_id)
            try:
                sent = datetime.fromisoformat(str(body["eventTime"]).replace("Z", "+00:00"))
                delays.append((when - sent.timestamp()) * 1000)
            except (KeyError, ValueError):
                pass
        other_id_dups += sum(len(ids) - 1 for ids in ids_per_key.values())
        lost += len(expected_per_listener - set(ids_per_key))
    lost_poqs = sum(1 for p in created if states.get(p) not in FINAL)
    return {"store": store.split(":")[0], "load_s": load_s, "drain_s": drain_s,
            "created": len(created), "create_errors": errors, "lost_poqs": lost_poqs,
            "expected": expected, "received": received, "lost": lost,
            "dup_same_id": same_id_dups, "dup_other_id": other_id_dups,
            "create_p50": statistics.median(latencies) if latencies else float("nan"),
            "create_p99": _pct(latencies, 0.99),
            "notify_p50": _pct(delays, 0.5), "notify_p99": _pct(delays, 0.99)}


def list_part(poqs: int, path: str) -> None:
    """Retrieve POQ List timings over ``poqs`` POQs in an SQLite store (engine, no HTTP)."""
    import dataclasses

    from mock_seller.core.engine import Engine
    from mock_seller.core.scenario import load_scenario
    from mock_seller.storage.protocol import ListQuery
    from mock_seller.storage.sqlite import SqliteStore

    scenario = dataclasses.replace(load_scenario(), too_many_records=None)
    engine = Engine(scenario, store=SqliteStore(path))
    t0 = time.monotonic()
    for i in range(poqs):
        body = dict(_body(i % 100, i), instantSyncQualification=True)
        del body["requestedPOQCompletionDate"]
        engine.create("v8", body, "http://127.0.0.1/x")
    took = time.monotonic() - t0
    print(f"sqlite fill {poqs} POQs: {poqs / took:.0f} creates/s (engine, no HTTP), file "
          f"{os.path.getsize(path) / 1e6:.1f} MB")
    for label, query, limit in [
        ("first page (no filter)", ListQuery(), 100),
        ("externalId filter", ListQuery(external_id=f"soak-{poqs // 2 % 100}-{poqs // 2}"),
         None),
        ("projectId + state", ListQuery(project_id="buyer-7", state="READY"), 50),
        ("state filter", ListQuery(state="READY"), 100),
        ("last page (offset)", ListQuery(), 100),
    ]:
        offset = poqs - 100 if label.startswith("last") else 0
        runs = []
        for _ in range(21):
            t1 = time.perf_counter()
            page = engine.list("v8", query, offset, limit)
            runs.append((time.perf_counter() - t1) * 1000)
        print(f"  list {label:24s}: median {statistics.median(runs):6.1f} ms "
              f"(total {page.total}, page {len(page.rows)})")
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--buyers", type=int, default=32, help="concurrent buyers (threads)")
    parser.add_argument("--rate", type=float, default=8.0, help="POQs per second, all buyers")
    parser.add_argument("--store", choices=["both", "memory", "sqlite"], default="both")
    parser.add_argument("--drain", type=float, default=180.0,
                        help="max seconds to wait for final states and deliveries")
    parser.add_argument("--list-poqs", type=int, default=0,
                        help="also time list over this many POQs in SQLite (0: skip)")
    args = parser.parse_args()
    if args.rate * args.duration > 50_000:
        raise SystemExit("bounded: at most 50,000 POQs per soak (lower --rate or --duration)")
    with tempfile.TemporaryDirectory(prefix="poq-soak-") as tmp:
        scenario = yaml.safe_load((ROOT / "schemas/scenarios/default.yaml").read_text("utf-8"))
        scenario.setdefault("notifications", {}).update(workers=8, timeout=5)
        scenario_path = Path(tmp) / "soak.yaml"
        scenario_path.write_text(yaml.safe_dump(scenario), "utf-8")
        stores = {"memory": ["memory"], "sqlite": [f"sqlite:///{tmp}/soak.db"],
                  "both": ["memory", f"sqlite:///{tmp}/soak.db"]}[args.store]
        print(f"soak: {args.duration:.0f} s, {args.buyers} buyers, {args.rate:g} POQs/s, "
              f"{args.buyers} listeners (every listener gets every event), loopback")
        for store in stores:
            r = soak(store, scenario_path, args.duration, args.buyers, args.rate, args.drain)
            print(f"[{r['store']}] load {r['load_s']:.0f} s, drain {r['drain_s']:.1f} s")
            print(f"  POQs created {r['created']}  create errors {r['create_errors']}  "
                  f"lost POQs {r['lost_poqs']}")
            print(f"  notifications expected {r['expected']}  received {r['received']}  "
                  f"lost {r['lost']}  duplicates same eventId {r['dup_same_id']}  "
                  f"duplicates other eventId {r['dup_other_id']}")
            print(f"  create latency p50 {r['create_p50']:.1f} ms  p99 {r['create_p99']:.1f} ms"
                  f"   notification delay p50 {r['notify_p50']:.0f} ms  "
                  f"p99 {r['notify_p99']:.0f} ms")
        if args.list_poqs:
            list_part(args.list_poqs, f"{tmp}/list.db")


if __name__ == "__main__":
    main()
