"""Benchmark (not a test): the buyer checks' share of a live mock seller's requests, sampled.

    .venv/bin/python bench/bench_buyer_share.py [--seconds 25] [--rate 200] [--before CHECKOUT]

The default mock (``python -m mock_seller``: granian, the default scenario and buyer mode)
serves create, then retrieve (rotating over 200 stored POQs), under load from wrk (or
``bench/loadgen.py`` without wrk), 16 connections, while py-spy (``pip install py-spy``; it
needs ptrace) samples its Python stacks. A sample is the buyer checks' when its stack passes
through ``mock_seller/buyer/``, except the lenient waivers, which the views call in every
mode. Printed: the samples in the WSGI app, the buyer checks' share of them and of all, and
the load's status counts; ``--before`` samples another checkout's mock (a ``git worktree``
with its own ``.venv``) after this one. The sampler slows the server: read shares, not
rates.
``bench_instructions.py`` counts the same share in instructions, in process; the difference
of two servers' CPU (``bench_http.py --buyer-cost``) is too noisy to tell it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import py_run, wrk_run  # noqa: E402
from bench_prism import V7, MockProcess, _seed_ids  # noqa: E402

CONNECTIONS = 16
WAIVERS = ("waive_violations", "waive_errors", "_waivable")


def shares(raw: Path) -> tuple[int, int, int]:
    """(all samples, samples in the WSGI app, the buyer checks' samples) of py-spy's raw
    output: one line per distinct stack, frames joined by ';', then its count."""
    total = app = buyer = 0
    for line in raw.read_text("utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        if "wsgi_app" in stack:
            app += n
            if "mock_seller/buyer/" in stack and not any(w in stack for w in WAIVERS):
                buyer += n
    return total, app, buyer


def sample(mock: MockProcess, op: str, ids: list[str], seconds: float, rate: int) -> None:
    load = wrk_run if shutil.which("wrk") else py_run
    figure: list[Any] = []
    loader = threading.Thread(target=lambda: figure.append(
        load(mock.port, op, V7, ids, seconds + 8, CONNECTIONS)))
    loader.start()
    time.sleep(4)  # the load is steady
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp, "stacks.txt")
        subprocess.run(["py-spy", "record", "--subprocesses", "--format", "raw", "-r", str(rate),
                        "-d", str(int(seconds)), "-o", str(raw), "-p", str(mock.proc.pid)],
                       capture_output=True, check=True)
        total, app, buyer = shares(raw)
    loader.join()
    done = figure[0]
    print(f"{op:8s} {done.tool} c={CONNECTIONS}, statuses "
          f"{dict(sorted(done.statuses.items()))}: {total} samples, {app} in the WSGI app; "
          f"the buyer checks {buyer} = {buyer / max(app, 1):.1%} of the app's, "
          f"{buyer / max(total, 1):.1%} of all", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=25, help="sampling time per operation")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--before", type=Path, help="another checkout, sampled the same way")
    args = parser.parse_args()
    if shutil.which("py-spy") is None:
        raise SystemExit("py-spy is not installed (pip install py-spy)")
    print(f"API v7, py-spy at {args.rate} Hz for {args.seconds:.0f} s per operation")
    for label, checkout in (("this checkout", None), ("before", args.before)):
        if label == "before" and checkout is None:
            continue
        mock = MockProcess(None, checkout=checkout)
        try:
            ids = _seed_ids(mock.port, V7, 200)
            print(f"-- {label}: the default mock (pid {mock.proc.pid})")
            for op in ("create", "retrieve"):
                sample(mock, op, ids, args.seconds, args.rate)
        finally:
            mock.stop()


if __name__ == "__main__":
    main()
