"""Benchmark of the mock seller (not a test): requests per second for immediate create and for
retrieve, measured with wrk, per store (memory, SQLite, and PostgreSQL when given) and per
number of mock processes on one store; then memory per POQ and Retrieve POQ List latency over
100k stored POQs in each store.

    .venv/bin/python bench/bench_mock.py [--seconds 5] [--clients 8] [--poqs 100000]
        [--store postgresql://user:pass@127.0.0.1:5432/db] [--processes 1,2]

Each mock runs as its own process (``python -m mock_seller --store ...``) on 127.0.0.1; with
``--processes N`` (durable stores only) N processes share the store, each on its own port,
and the wrk clients are spread over them (one seller; ``--workers`` is the server's own
option). The 100k-POQ part fills an in-process engine, then copies its records into each
durable store, and times ``Engine.list`` there (no HTTP).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import requests

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


def _start(store: str, threads: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--host", "127.0.0.1",
                             "--port", "0", "--threads", str(threads), "--store", store],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()  # type: ignore[union-attr]
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"the mock did not start on {display(store)}: {line!r}")
    return proc, line.rsplit(" ", 1)[-1]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    proc.stdout.close()  # type: ignore[union-attr]


def _wrk(roots: list[str], script: str, seconds: float, clients: int) -> tuple[float, int]:
    """wrk against every root at once (clients spread over them): summed req/s, non-2xx."""
    per = max(1, clients // len(roots))
    procs = [subprocess.Popen(["wrk", "-t1", f"-c{per}", f"-d{seconds:.0f}s", "-s", script,
                               root], stdout=subprocess.PIPE, text=True) for root in roots]
    rate, bad = 0.0, 0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        for line in out.splitlines():
            if line.startswith("Requests/sec:"):
                rate += float(line.split()[1])
            elif "Non-2xx" in line:
                bad += int(line.split()[-1])
    return rate, bad


def _scripts(tmp: str, ids: list[str]) -> tuple[str, str]:
    create = os.path.join(tmp, "create.lua")
    with open(create, "w", encoding="utf-8") as out:
        out.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(BODY))}\n'
                  'wrk.headers["Content-Type"] = "application/json"\n'
                  f'wrk.path = "{V8}/productOfferingQualification"\n')
    retrieve = os.path.join(tmp, "retrieve.lua")
    with open(retrieve, "w", encoding="utf-8") as out:
        out.write("ids = {" + ",".join(json.dumps(i) for i in ids) + "}\n"
                  "n = 0\nrequest = function()\n  n = n + 1\n"
                  f'  return wrk.format("GET", "{V8}/productOfferingQualification/" '
                  ".. ids[(n % #ids) + 1])\nend\n")
    return create, retrieve


def http_part(stores: list[str], processes: list[int], seconds: float, clients: int) -> None:
    """Create and retrieve req/s per store and number of processes on it (wrk)."""
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk): HTTP part skipped")
        return
    print(f"{'store':48s} {'processes':>9s} {'create req/s':>13s} {'retrieve req/s':>15s}"
          "  non-2xx")
    with tempfile.TemporaryDirectory() as tmp:
        for store in stores:
            for count in (processes if store != "memory" else [1]):
                started = [_start(store, max(4, clients // count)) for _ in range(count)]
                try:
                    roots = [root for _, root in started]
                    session = requests.Session()
                    ids = [session.post(f"{roots[i % count]}{V8}/productOfferingQualification",
                                        json=BODY, timeout=10).json()["id"] for i in range(200)]
                    session.close()
                    create, retrieve = _scripts(tmp, ids)
                    made, bad_made = _wrk(roots, create, seconds, clients)
                    got, bad_got = _wrk(roots, retrieve, seconds, clients)
                finally:
                    for proc, _ in started:
                        _stop(proc)
                print(f"{display(store)[:48]:48s} {count:9d} {made:13.1f} {got:15.1f}"
                      f"  {bad_made + bad_got}")


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
    parser.add_argument("--processes", default="1,2",
                        help="mock processes sharing a durable store, e.g. 1,2,4")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    print(f"mock seller benchmark  (pid {os.getpid()}, loopback only, {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        stores = ["memory", f"sqlite:///{tmp}/bench.db", *args.store]
        if not args.skip_http:
            http_part(stores, counts, args.seconds, args.clients)
        if not args.skip_list:
            list_part(stores, args.poqs, args.list_runs)


if __name__ == "__main__":
    main()
