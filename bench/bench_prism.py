"""Benchmark (not a test): the mock seller side by side with Stoplight Prism, and list latency
over 100k stored POQs.

    .ci/install-prism.sh        # once: Prism pinned in tools/prism (npm ci)
    .venv/bin/python bench/bench_prism.py [--seconds 5] [--procs 2] [--threads 4]
                                          [--mock-threads 8] [--poqs 100000] [--no-prism]

Part 1 serves API v7 from both on 127.0.0.1, each in its own process: Prism mocking the
official v7 OpenAPI (static mode: it validates the request and answers the spec example, no
state), and the mock seller (validates against our schemas, applies the business rules, stores
and serialises a real POQ). The same load generator (``--procs`` processes x ``--threads``
keep-alive connections, http.client) sends the same requests to both: immediate create (POST, the
same body) and retrieve (GET by id, the same ids). Printed: requests/s, p50/p95 latency, errors,
and the mock/Prism ratios against the 2x target.

Part 2 starts the mock seller in a child process, pre-fills it with ``--poqs`` POQs through its
engine (no HTTP), then times Retrieve POQ List with filters over HTTP: median and p95 (target:
median under 20 ms).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
V7 = "/mefApi/sonata/productOfferingQualification/v7"
POQ = "/productOfferingQualification"
TARGET_RATIO = 2.0
LIST_TARGET_MS = 20.0
BODY: dict[str, Any] = {
    "instantSyncQualification": True,
    "provideAlternative": False,
    "externalId": "bench",
    "projectId": "bench-project",
    "relatedContactInformation": [{"role": "buyerContactInformation", "name": "Bench",
                                   "number": "+1-555-0100", "emailAddress": "b@example.com"}],
    "productOfferingQualificationItem": [{
        "id": "1", "action": "add",
        "product": {"productOffering": {"id": "000073"},
                    "productConfiguration": {"@type": "urn:mef:lso:spec:sonata:access-eline-ovc:"
                                             "v5.0.0:all", "maximumFrameSize": 1526}}}],
}
HEADERS = {"Content-Type": "application/json;charset=utf-8", "Accept": "application/json"}


# -- load generator ------------------------------------------------------------------------

def _connect(host: str, port: int) -> http.client.HTTPConnection:
    """A keep-alive connection with Nagle off (with it on, a request written in two segments
    waits for the server's delayed ACK: about 40 ms measured on the client, not the server)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _client_thread(host: str, port: int, requests_: list[tuple[str, str, bytes | None]],
                   offset: int, stop_at: float, expect: int, out: list[Any]) -> None:
    conn = _connect(host, port)
    ok = errors = 0
    latencies: list[float] = []
    i = offset
    while time.perf_counter() < stop_at:
        method, path, body = requests_[i % len(requests_)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=HEADERS)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = _connect(host, port)
            status = 0
        latencies.append(time.perf_counter() - t0)
        if status == expect:
            ok += 1
        else:
            errors += 1
    conn.close()
    out.append((ok, errors, latencies))


def _client_process(host: str, port: int, requests_: list[tuple[str, str, bytes | None]],
                    threads: int, seconds: float, start_at: float, expect: int,
                    queue: Any, index: int) -> None:
    """One load process: ``threads`` keep-alive connections until the common deadline."""
    time.sleep(max(0.0, start_at - time.time()))
    stop_at = time.perf_counter() + seconds
    out: list[Any] = []
    workers = [threading.Thread(target=_client_thread,
                                args=(host, port, requests_, (index * threads + n) * 7919,
                                      stop_at, expect, out))
               for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ok = sum(o[0] for o in out)
    errors = sum(o[1] for o in out)
    lat = [x for o in out for x in o[2]]
    lat.sort()
    sample = lat[:: max(1, len(lat) // 2000)]
    queue.put((ok, errors, sample))


def load(host: str, port: int, requests_: list[tuple[str, str, bytes | None]], *, seconds: float,
         procs: int, threads: int, expect: int) -> dict[str, float]:
    """Drive ``requests_`` round-robin from ``procs`` x ``threads`` connections."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 1.0  # let every process start before the clock runs
    ps = [ctx.Process(target=_client_process,
                      args=(host, port, requests_, threads, seconds, start_at, expect, queue, i))
          for i in range(procs)]
    for p in ps:
        p.start()
    results = [queue.get(timeout=seconds + 60) for _ in ps]
    for p in ps:
        p.join(timeout=10)
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    return {"rps": ok / seconds, "ok": ok, "errors": errors,
            "p50": _pct(lat, 50) * 1000, "p95": _pct(lat, 95) * 1000}


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * pct / 100))]


# -- servers -------------------------------------------------------------------------------

class MockProcess:
    """``python -m mock_seller`` on a free port (its own interpreter, like a deployment)."""

    def __init__(self, threads: int | None, extra: list[str] | None = None,
                 checkout: Path | None = None) -> None:
        """``threads``: None leaves the server's default; ``checkout``: another checkout of
        this repository with its own ``.venv`` (an earlier version, measured in the same
        run)."""
        python = str(checkout / ".venv" / "bin" / "python") if checkout else sys.executable
        threads_args = [] if threads is None else ["--threads", str(threads)]
        self.proc = subprocess.Popen(
            [python, "-m", "mock_seller", "--host", "127.0.0.1", "--port", "0",
             *threads_args, "--quiet", *(extra or [])],
            stdout=subprocess.PIPE, text=True, cwd=checkout or REPO)
        line = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("the mock seller did not start")
        self.port = int(line.rsplit(":", 1)[-1])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)
        self.proc.stdout.close()  # type: ignore[union-attr]


def _requests(prefix: str, ids: list[str]) -> tuple[list[Any], list[Any]]:
    body = json.dumps(BODY, separators=(",", ":")).encode()
    create = [("POST", prefix + POQ, body)]
    retrieve = [("GET", f"{prefix}{POQ}/{quote(i)}", None) for i in ids]
    return create, retrieve


def _seed_ids(port: int, prefix: str, count: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ids = []
    for _ in range(count):
        conn.request("POST", prefix + POQ, body=json.dumps(BODY), headers=HEADERS)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 201:
            raise RuntimeError(f"create answered {resp.status}: {data[:300]!r}")
        ids.append(json.loads(data)["id"])
    conn.close()
    return ids


def side_by_side(args: argparse.Namespace) -> None:
    print(f"== create / retrieve, API v7, load generator http.client (keep-alive, TCP_NODELAY), "
          f"{args.procs} processes x {args.threads} connections, {args.seconds:.0f} s each; "
          "errors = any status but the expected one (bench_http.py: wrk, status counts) ==")
    mock = MockProcess(args.mock_threads)
    figures: dict[str, dict[str, dict[str, float]]] = {}
    try:
        ids = _seed_ids(mock.port, V7, 200)
        create, retrieve = _requests(V7, ids)
        figures["mock seller"] = _measure(mock.port, create, retrieve, args)
    finally:
        mock.stop()
    if not args.no_prism:
        prism = _start_prism()
        if prism is not None:
            try:
                create, retrieve = _requests("", ids)  # Prism serves the paths without a base
                figures["prism (static)"] = _measure(prism.port, create, retrieve, args)
            finally:
                prism.stop()
    for name, fig in figures.items():
        for op in ("create", "retrieve"):
            f = fig[op]
            print(f"{name:15s} {op:8s}: {f['rps']:8.1f} req/s   p50 {f['p50']:6.2f} ms   "
                  f"p95 {f['p95']:6.2f} ms   ({f['ok']:.0f} ok, {f['errors']:.0f} errors)")
    if "prism (static)" in figures:
        for op in ("create", "retrieve"):
            ratio = figures["mock seller"][op]["rps"] / figures["prism (static)"][op]["rps"]
            verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
            print(f"ratio mock/prism {op:8s}: {ratio:5.2f}x  ({verdict} the "
                  f"{TARGET_RATIO:.0f}x target)")


def _measure(port: int, create: list[Any], retrieve: list[Any], args: argparse.Namespace
             ) -> dict[str, dict[str, float]]:
    kw = {"seconds": args.seconds, "procs": args.procs, "threads": args.threads}
    load("127.0.0.1", port, create, **{**kw, "seconds": 1.0}, expect=201)  # warm-up
    return {"create": load("127.0.0.1", port, create, expect=201, **kw),
            "retrieve": load("127.0.0.1", port, retrieve, expect=200, **kw)}


def _start_prism() -> Any:
    sys.path.insert(0, str(REPO / "tests"))
    from prism_server import OFFICIAL_V7, PrismServer, prism_missing

    why = prism_missing() or (None if OFFICIAL_V7.is_file() else f"no {OFFICIAL_V7}")
    if why:
        print(f"prism: skipped ({why})")
        return None
    return PrismServer(OFFICIAL_V7).start()


# -- list over 100k POQs -------------------------------------------------------------------

def serve_filled(count: int) -> None:
    """Child mode: a mock seller pre-filled through its engine, serving until SIGTERM."""
    from importlib import resources

    import yaml

    from mock_seller.server import MockServer

    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    scenario = yaml.safe_load(text)
    scenario.setdefault("list", {})["too_many_records"] = None  # time the scan, not the 422
    with MockServer(scenario) as server:
        engine = server.engine
        for i in range(count):
            body = dict(BODY, externalId=f"ext-{i}", projectId=f"proj-{i % 100}",
                        requestedPOQCompletionDate=f"2030-01-{1 + i % 28:02d}T00:00:00Z")
            engine.create("v7", body, server.base_url("v7"))
        print(f"ready {server.port}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        stop.wait()


def list_latency(args: argparse.Namespace) -> None:
    print(f"== Retrieve POQ List over {args.poqs} stored POQs (HTTP, one client) ==")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-filled", str(args.poqs)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        port = int(line.split()[1])
        rss = next(int(x.split()[1]) for x in Path(f"/proc/{proc.pid}/status").read_text()
                   .splitlines() if x.startswith("VmRSS:"))
        print(f"pre-filled in {time.monotonic() - started:.1f} s; seller RSS {rss / 1024:.0f} MB "
              f"with {args.poqs} POQs (goal < 500 MB)")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        base = V7 + POQ
        mid = args.poqs // 2
        queries = [
            ("externalId (one match)", f"externalId=ext-{mid}"),
            ("projectId + state, limit 50", "projectId=proj-7&state=done.ready&limit=50"),
            ("state only, first page (scan)", "state=done.ready&limit=100"),
            ("no filter, first page", "limit=100"),
            ("requested date window (index)", "requestedPOQCompletionDate.gt=2030-01-10T00:00:00Z"
                                              "&requestedPOQCompletionDate.lt=2030-01-12T12:00:00Z"
                                              "&limit=20"),
        ]
        worst = 0.0
        for label, query in queries:
            times = []
            for _ in range(args.list_runs):
                t0 = time.perf_counter()
                conn.request("GET", f"{base}?{query}", headers=HEADERS)
                resp = conn.getresponse()
                resp.read()
                times.append((time.perf_counter() - t0) * 1000)
                if resp.status != 200:
                    raise RuntimeError(f"{query}: {resp.status}")
            total = resp.getheader("X-Total-Count")
            med = statistics.median(times)
            worst = max(worst, med)
            print(f"{label:32s}: median {med:6.2f} ms  p95 {_pct(sorted(times), 95):6.2f} ms  "
                  f"(total {total})")
        verdict = "meets" if worst < LIST_TARGET_MS else "MISSES"
        print(f"slowest median {worst:.2f} ms ({verdict} the {LIST_TARGET_MS:.0f} ms target)")
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        proc.stdout.close()  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--threads", type=int, default=4, help="connections per process")
    parser.add_argument("--mock-threads", type=int, default=8, help="mock seller --threads")
    parser.add_argument("--poqs", type=int, default=100_000, help="POQs for the list part")
    parser.add_argument("--list-runs", type=int, default=200, help="requests per list filter")
    parser.add_argument("--no-prism", action="store_true", help="measure the mock only")
    parser.add_argument("--no-list", action="store_true", help="skip the 100k list part")
    parser.add_argument("--serve-filled", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_filled:
        serve_filled(args.serve_filled)
        return
    print(f"bench_prism (pid {os.getpid()}, {os.cpu_count()} CPUs, loopback only)")
    side_by_side(args)
    if not args.no_list:
        list_latency(args)


if __name__ == "__main__":
    main()
