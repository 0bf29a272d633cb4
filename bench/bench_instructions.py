"""Benchmark (not a test): instructions per request of the mock seller's WSGI app, counted
by valgrind (cachegrind), with the buyer checks on (default mode) and off.

    .venv/bin/python bench/bench_instructions.py [--requests 1000] [--before CHECKOUT]

Timings over HTTP move by 10-20 % from round to round on a shared 2-core machine; an
instruction count is the same from run to run within about 0.6 % (the POQ ids are random),
whatever else the machine does, so it is what tells whether a change made a request cheaper,
and what share of a request the buyer checks take. Each figure is (the count of a process
serving ``--requests`` requests minus that of one serving none) / ``--requests``: start-up
cancels out. The app is
called in process with the environ a server hands it (the body of ``bench_prism.BODY``,
retrieve rotating over 200 stored POQs), after the collector settings of a serving process
(``mock_seller.server.settle_collector``). What it leaves out: the server (granian's Rust
side) and the kernel's socket work, which the HTTP benchmark's CPU figures include.
``--before`` counts another checkout (a ``git worktree``) in the same way, side by side.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OPS = ("create", "retrieve")
MODES = ("default", "off")


def serve_in_process(mode: str, op: str, requests: int) -> None:
    """The child: build the app, store 200 POQs, settle the collector, serve ``requests``."""
    sys.path.insert(0, str(HERE))
    from bench_http import EXPECT
    from bench_prism import BODY, POQ, V7

    from mock_seller.app import create_app
    from mock_seller.server import settle_collector

    app = create_app({"BUYER_CONFORMANCE": {"mode": mode}})  # the default scenario
    body = json.dumps(BODY, separators=(",", ":")).encode()
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    def call(method: str, path: str, data: bytes = b"") -> bytes:
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000", "HTTP_HOST": "127.0.0.1:8080",
            "HTTP_USER_AGENT": "wrk", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False}
        if data:
            environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(data)))
        answer = app(environ, start_response)
        try:
            return b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()

    ids = [json.loads(call("POST", V7 + POQ, body))["id"] for _ in range(200)]
    settle_collector()
    for i in range(requests):
        if op == "create":
            call("POST", V7 + POQ, body)
        else:
            call("GET", f"{V7}{POQ}/{ids[i % 200]}")
    wanted = str(EXPECT[op])
    unexpected = [s for s in statuses[200:] if not s.startswith(wanted)]
    if unexpected:
        raise SystemExit(f"unexpected statuses: {sorted(set(unexpected))}")


def count(checkout: Path, mode: str, op: str, requests: int) -> int:
    """Instructions of one child process (cachegrind's ``I refs``)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, str(Path(__file__).resolve()), "--child", mode, op, str(requests)],
        cwd=checkout, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed ({checkout}, {mode} {op}): {done.stderr[-400:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--before", type=Path, help="another checkout, counted the same way")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "OP", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, op, n = args.child
        serve_in_process(mode, op, int(n))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian package valgrind)")
    trees = {"this checkout": ROOT}
    if args.before:
        trees["before"] = args.before.resolve()
    print(f"instructions per request (valgrind cachegrind, {args.requests} requests, API v7, "
          "the WSGI app in process)")
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # one valgrind per core
        counted = {(label, op, mode, n): pool.submit(count, tree, mode, op, n)
                   for label, tree in trees.items() for op in OPS for mode in MODES
                   for n in (args.requests, 0)}

    def per_request(label: str, op: str, mode: str) -> float:
        """Serving ``--requests`` minus serving none: start-up cancels out."""
        served, idle = (counted[label, op, mode, n].result() for n in (args.requests, 0))
        return (served - idle) / args.requests

    for label in trees:
        for op in OPS:
            on, off = (per_request(label, op, mode) for mode in MODES)
            print(f"{label:14s} {op:8s}: buyer checks on {on / 1000:8,.0f} K, off "
                  f"{off / 1000:8,.0f} K; the buyer checks {(on - off) / 1000:6,.0f} K "
                  f"({(on - off) / on:.1%} of a request)", flush=True)


if __name__ == "__main__":
    main()
