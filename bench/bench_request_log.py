"""Benchmark of the mock seller's stderr request log (not a test): wrk throughput quiet vs
logging, the seller's CPU per request, and the cost of one log line in process.

    .venv/bin/python bench/bench_request_log.py [--seconds 5] [--clients 8] [--log-rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import requests
from bench_mock import BODY, V8  # one create body for every mock benchmark


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk_create(root: str, seconds: float, clients: int) -> tuple[float, int, int]:
    """(req/s, requests, non-2xx answers) of immediate creates by wrk over ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                     f"wrk.body = {json.dumps(json.dumps(BODY))}\n")
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s",
                              "-s", script.name, root + V8 + "/productOfferingQualification"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, total, int(bad.group(1)) if bad else 0


def log_part(seconds: float, clients: int, rounds: int) -> None:
    """Throughput with the request log on (stderr to a file) and off (--quiet), alternated
    in one run, measured by wrk (immediate create: the path that runs every buyer check).
    Also the seller's own CPU time per request, which other load on the machine does not
    change the way it changes req/s."""
    if shutil.which("wrk") is None:
        print("request log cost: skipped (wrk not installed)")
        return
    rates: dict[str, list[float]] = {"quiet": [], "log": []}
    cpu: dict[str, list[float]] = {"quiet": [], "log": []}
    lines = 0
    for _ in range(rounds):
        for mode in ("quiet", "log"):
            with tempfile.TemporaryFile("w+") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "mock_seller", "--host", "127.0.0.1", "--port", "0",
                     "--threads", str(clients), *(["--quiet"] if mode == "quiet" else [])],
                    stdout=subprocess.PIPE, stderr=err, text=True)
                try:
                    root = proc.stdout.readline().strip().rsplit(" ", 1)[-1]  # type: ignore[union-attr]
                    with requests.Session() as warm:  # first requests pay for lazy set-up
                        for _ in range(30):
                            warm.post(root + V8 + "/productOfferingQualification", json=BODY,
                                      timeout=30)
                    before = _cpu_seconds(proc.pid)
                    rate, total, bad = _wrk_create(root, seconds, clients)
                    per_request = (_cpu_seconds(proc.pid) - before) / max(total, 1) * 1000
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=10)
                    proc.stdout.close()  # type: ignore[union-attr]
                err.seek(0)
                if mode == "log":
                    lines += sum(1 for _ in err)
            rates[mode].append(rate)
            cpu[mode].append(per_request)
            print(f"  {mode:5s}: {rate:8.1f} req/s  {per_request:6.3f} ms CPU per request  "
                  f"({total} requests, {bad} non-2xx)")
    quiet, logged = statistics.median(rates["quiet"]), statistics.median(rates["log"])
    cpu_quiet, cpu_log = statistics.median(cpu["quiet"]), statistics.median(cpu["log"])
    print(f"request log cost (wrk, immediate create, {clients} connections, median of "
          f"{rounds} rounds, {lines} log lines written):\n"
          f"  throughput   quiet {quiet:.1f} req/s, logging {logged:.1f} req/s, "
          f"ratio {logged / quiet:.3f}\n"
          f"  seller CPU   quiet {cpu_quiet:.3f} ms, logging {cpu_log:.3f} ms per request, "
          f"ratio {cpu_log / cpu_quiet:.3f}")


def _app_cpu_per_create(log: bool, requests_: int) -> float:
    """CPU ms per immediate create through the Flask app in process (no HTTP, no threads)."""
    from mock_seller.api.console_log import install
    from mock_seller.app import create_app

    app = create_app()
    with tempfile.TemporaryFile("w") as sink:
        if log:
            install(app, sink)
        client = app.test_client()
        url = V8 + "/productOfferingQualification"
        for _ in range(50):
            client.post(url, json=BODY)
        t0 = time.process_time()
        for _ in range(requests_):
            client.post(url, json=BODY)
        return (time.process_time() - t0) / requests_ * 1000


def log_line_part(rounds: int, requests_: int = 1500) -> None:
    """The request log line alone: CPU per create in process, with and without it."""
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for log in (False, True):
            cpu[log].append(_app_cpu_per_create(log, requests_))
    quiet, logged = statistics.median(cpu[False]), statistics.median(cpu[True])
    print(f"  in process   quiet {quiet:.3f} ms, logging {logged:.3f} ms CPU per create, "
          f"ratio {logged / quiet:.3f} (median of {rounds} rounds of {requests_})")
    print(f"  the hook     {_hook_cpu_us():.1f} us CPU per request (line built and written "
          f"to a file, {quiet * 1000:.0f} us per create)")


def _hook_cpu_us(calls: int = 20000) -> float:
    """CPU microseconds of the request log's after-request hook alone."""
    from flask import Response, g

    from mock_seller.api.console_log import RequestLog
    from mock_seller.app import create_app

    app = create_app()
    with tempfile.TemporaryFile("w") as sink, app.test_request_context(
            V8 + "/productOfferingQualification", method="POST"):
        g.poq_mock_t0 = time.monotonic()
        log, answer = RequestLog(sink), Response("{}", 201)
        t0 = time.process_time()
        for _ in range(calls):
            log.after(answer)
        return (time.process_time() - t0) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per HTTP measurement")
    parser.add_argument("--clients", type=int, default=8, help="wrk connections")
    parser.add_argument("--log-rounds", type=int, default=3, help="rounds, quiet vs logging")
    args = parser.parse_args()
    print(f"mock seller request-log benchmark  (pid {os.getpid()}, loopback only)")
    log_part(args.seconds, args.clients, args.log_rounds)
    log_line_part(args.log_rounds)


if __name__ == "__main__":
    main()
