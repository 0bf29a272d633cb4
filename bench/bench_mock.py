"""Benchmark of the mock seller (not a test): requests per second for immediate create and for
retrieve, measured with wrk, per store (memory, SQLite, and PostgreSQL when given) and per
number of mock processes on one store; then memory per POQ and Retrieve POQ List latency over
100k stored POQs in each store.

    .venv/bin/python bench/bench_mock.py [--seconds 5] [--clients 8] [--poqs 100000]
        [--store postgresql://user:pass@127.0.0.1:5432/db] [--workers 1,2,4] [--processes 2]

Each mock runs as its own process (``python -m mock_seller --store ...``) on 127.0.0.1. On
each durable store it runs once per ``--workers`` count (the server's processes on one
port), and once per ``--processes`` count as that many separate mocks on their own ports
with wrk's clients spread over them (one seller either way). The 100k-POQ part fills an
in-process engine, copies its records into each durable store, and times ``Engine.list``
there (no HTTP).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

V8 = "/mefApi/sonata/productOfferingQualification/v8"
BODY: dict[str, Any] = {
    "instantSyncQualification": True,
    "provideAlternative": False,
    "externalId": "bench",
    "relatedContactInformation": [{"role": "buyerContactInformation", "name": "Bench",
                                   "number": "+1-555-0100", "emailAddress": "b@example.com"}],
    "productOfferingQualificationItem": [{
        "id": "1", "action": "add",
        "product": {"productOffering": {"id": "000073"},
                    "productConfiguration": {"@type": "urn:mef:lso:spec:sonata:access-eline-ovc:"
                                             "v5.0.0:all", "maximumFrameSize": 1526}}}],
}


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _start(store: str, threads: int, workers: int = 1) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--host", "127.0.0.1",
                             "--port", "0", "--threads", str(threads), "--store", store,
                             "--workers", str(workers), "--quiet"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()  # type: ignore[union-attr]
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"the mock did not start on {display(store)}: {line!r}")
    return proc, int(line.rsplit(":", 1)[-1])


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    proc.stdout.close()  # type: ignore[union-attr]


def _measure(ports: list[int], op: str, ids: list[str], seconds: float,
             clients: int) -> Any:
    """wrk (bench/wrk/poq.lua, status codes counted) on every port at once, clients spread
    over them; one Figure with the summed rate."""
    from bench_http import Figure, wrk_run

    with ThreadPoolExecutor(len(ports)) as pool:
        figs = list(pool.map(lambda port: wrk_run(port, op, V8, ids, seconds,
                                                  max(1, clients // len(ports)), threads=1),
                             ports))
    statuses: Counter[int] = sum((f.statuses for f in figs), Counter())
    return Figure("wrk", clients, sum(f.rps for f in figs),
                  statistics.median(f.p50 for f in figs), max(f.p99 for f in figs), statuses,
                  sum(f.errors for f in figs))


def http_part(stores: list[str], workers: list[int], processes: list[int], seconds: float,
              clients: int) -> None:
    """Create and retrieve req/s per store, per ``--workers`` count (one port) and per
    number of separate processes on the store (one port each); wrk, statuses counted."""
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk): HTTP part skipped")
        return
    print(f"load generator: wrk -t1 (bench/wrk/poq.lua) per port, {clients} connections in "
          f"all, {seconds:.0f} s per figure; create expects 201, retrieve 200; stores: "
          + ", ".join(display(store) for store in stores))
    for store in stores:
        setups = [(1, 1)] if store == "memory" else \
            [(w, 1) for w in workers] + [(1, p) for p in processes if p > 1]
        for count, procs in setups:
            started = [_start(store, max(4, clients // (count * procs)), count)
                       for _ in range(procs)]
            try:
                ports = [port for _, port in started]
                session = requests.Session()
                ids = [session.post(f"http://127.0.0.1:{ports[i % procs]}{V8}"
                                    "/productOfferingQualification", json=BODY,
                                    timeout=10).json()["id"] for i in range(200)]
                session.close()
                label = f"{store.split(':', 1)[0]} " + (f"--workers {count}" if procs == 1
                                                        else f"{procs} processes")
                for op in ("create", "retrieve"):
                    print(_measure(ports, op, ids, seconds, clients).line(f"{label} {op}"),
                          flush=True)
            finally:
                for proc, _ in started:
                    _stop(proc)


def _records(poqs: int) -> Any:
    """An in-memory engine holding ``poqs`` immediate POQs (RSS growth printed)."""
    from mock_seller.core.engine import Engine
    from mock_seller.core.scenario import load_scenario

    engine = Engine(dataclass_replace(load_scenario(), too_many_records=None))
    gc.collect()
    before = _rss_mb()
    started = time.monotonic()
    for i in range(poqs):
        body = dict(BODY, externalId=f"ext-{i}", projectId=f"proj-{i % 100}")
        engine.create("v8", body, "http://127.0.0.1/x")
    took = time.monotonic() - started
    gc.collect()
    after = _rss_mb()
    print(f"store {poqs} POQs in memory: {after - before:8.1f} MB RSS more "
          f"({(after - before) * 1024 * 1024 / poqs:.0f} B per POQ; engine create "
          f"{poqs / took:.0f}/s without HTTP)")
    return engine


def list_part(stores: list[str], poqs: int, runs: int) -> None:
    """Engine.list p50 over ``poqs`` POQs, per store (the memory engine's records copied)."""
    from mock_seller.core.engine import Engine
    from mock_seller.storage import open_store
    from mock_seller.storage.protocol import ListQuery

    memory = _records(poqs)
    records = list(memory.store.match("v8", ListQuery()))
    queries = [
        ("first page, no filter", ListQuery(), 100),
        ("externalId", ListQuery(external_id=f"ext-{poqs // 2}"), None),
        ("projectId + state", ListQuery(project_id="proj-7", state="READY"), 50),
        ("state (scan)", ListQuery(state="READY"), 100),
    ]
    print(f"{'Retrieve POQ List p50 (ms) over ' + str(poqs) + ' POQs':48s} "
          + " ".join(f"{q[0]:>22s}" for q in queries))
    for store_url in stores:
        if store_url == "memory":
            engine = memory
        else:
            store = open_store(store_url)
            store.clear()
            t0 = time.monotonic()
            store.add_many(records)  # type: ignore[attr-defined]
            db = store.db  # type: ignore[attr-defined]
            db.run("VACUUM ANALYZE poq" if db.dialect == "postgresql" else "ANALYZE")  # steady
            print(f"  ({display(store_url)}: {poqs} POQs written in "
                  f"{time.monotonic() - t0:.1f} s)")
            engine = Engine(memory.scenario, store=store)
        cells = []
        for _, query, limit in queries:
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                engine.list("v8", query, 0, limit)
                times.append((time.perf_counter() - t0) * 1000)
            cells.append(f"{statistics.median(times):22.2f}")
        print(f"{display(store_url)[:48]:48s} " + " ".join(cells))
        if engine is not memory:
            engine.store.clear()
            engine.close()
    memory.close()


def display(url: str) -> str:
    from mock_seller.storage import display_url

    return display_url(url)


def dataclass_replace(obj: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(obj, **changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per HTTP measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent wrk connections")
    parser.add_argument("--poqs", type=int, default=100_000, help="POQs stored for listing")
    parser.add_argument("--list-runs", type=int, default=21, help="timed lists per filter")
    parser.add_argument("--store", action="append", default=[], metavar="URL",
                        help="another store to measure next to memory and SQLite "
                             "(postgresql://...; repeatable)")
    parser.add_argument("--workers", default="1,2",
                        help="--workers counts of one mock on each durable store, e.g. 1,2,4")
    parser.add_argument("--processes", default="2",
                        help="separate mock processes (one port each) on each durable store")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    processes = [int(n) for n in args.processes.split(",") if n.strip()]
    print(f"mock seller benchmark  (pid {os.getpid()}, loopback only, {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        stores = ["memory", f"sqlite:///{tmp}/bench.db", *args.store]
        if not args.skip_http:
            http_part(stores, workers, processes, args.seconds, args.clients)
        if not args.skip_list:
            list_part(stores, args.poqs, args.list_runs)


if __name__ == "__main__":
    main()
