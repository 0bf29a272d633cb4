"""Benchmark (not a test): the mock seller and Stoplight Prism over HTTP, measured the
standard way (wrk) and with our own load generator (bench/loadgen.py), side by side.

    .ci/install-prism.sh        # once: Prism pinned in tools/prism (npm ci)
    .venv/bin/python bench/bench_http.py [--rounds 3] [--seconds 5] [--connections 16]
                                         [--mock-args "--server waitress"] [--scale]
                                         [--buyer-cost] [--also NAME="MOCK ARGS"]...
                                         [--before CHECKOUT [--before-args "MOCK ARGS"]]

Both servers stay up for the whole run and are measured in interleaved rounds (mock, Prism,
mock, Prism...), so a change of load on the machine hits both alike; the medians over the
rounds and their ratio are printed. Every figure line names its load generator, its
connection count and the status codes it saw; only the expected status (201 create, 200
retrieve) counts as served; a mock's line adds its server CPU per answered request (/proc,
workers included). ``--also`` measures further mock configurations in the same rounds
(``--workers 2 --store ...``); ``--buyer-cost`` adds the mock with ``--buyer-mode off`` and
prints the buyer checks' share of the server's CPU (the difference of two servers' CPU under
load: it moves by several points from run to run; ``bench_instructions.py`` counts it
steadily). ``--scale`` adds the figures at scale:
p99 at 16 and 64 connections, RSS growth over ``--creates`` creates with buyer checks on,
and Retrieve POQ List and RSS over ``--poqs`` stored POQs (bench_prism.py's list part).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import loadgen  # noqa: E402
from bench_prism import BODY, POQ, V7, MockProcess, _seed_ids, _start_prism  # noqa: E402

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk" / "poq.lua"
TARGET_RATIO = 2.0
BUYER_OFF = "mock-nobuyer"  # the default mock with --buyer-mode off (--buyer-cost)
EXPECT = {"create": 201, "retrieve": 200}


class Figure:
    """One measurement: served req/s (expected status only), latency, every status seen."""

    def __init__(self, tool: str, connections: int, rps: float, p50: float, p99: float,
                 statuses: Counter[int], errors: int) -> None:
        self.tool, self.connections, self.rps = tool, connections, rps
        self.p50, self.p99, self.statuses, self.errors = p50, p99, statuses, errors
        self.cpu_ms: float | None = None  # the server's CPU per answered request (mock only)

    def line(self, label: str) -> str:
        codes = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items())) or "none"
        cpu = "" if self.cpu_ms is None else f"  server CPU {self.cpu_ms:.3f} ms/req"
        return (f"{label:34s} {self.tool:7s} c={self.connections:<3d} {self.rps:8.1f} req/s  "
                f"p50 {self.p50:7.2f} ms  p99 {self.p99:7.2f} ms  statuses {codes}"
                f"  socket errors {self.errors}{cpu}")


def process_tree(pid: int) -> list[int]:
    """A process and its live descendants (``--workers`` and granian serve from children)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in process_tree(int(child)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants, from /proc."""
    total = 0.0
    for one in process_tree(pid):
        try:
            with open(f"/proc/{one}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wrk_run(port: int, op: str, prefix: str, paths: list[str], seconds: float,
            connections: int, threads: int = 2) -> Figure:
    """wrk with bench/wrk/poq.lua (POST body, rotating GET paths, status counts)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if op == "create":
            body = Path(tmp, "body.json")
            body.write_text(json.dumps(BODY, separators=(",", ":")))
            env.update(BENCH_METHOD="POST", BENCH_PATH=prefix + POQ, BENCH_BODY_FILE=str(body))
        else:
            listing = Path(tmp, "paths.txt")
            listing.write_text("".join(f"{prefix}{POQ}/{quote(i)}\n" for i in paths))
            env.update(BENCH_METHOD="GET", BENCH_PATHS_FILE=str(listing))
        out = subprocess.run(
            ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds:.0f}s",
             "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}/"],
            env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    statuses: Counter[int] = Counter()
    values: dict[str, float] = {}
    errors = 0
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["status"]:
            statuses[int(parts[1])] += int(parts[2])
        elif parts[:1] == ["latency"]:
            values[parts[1]] = float(parts[2])
        elif parts[:1] == ["duration"]:
            values["duration"] = float(parts[1])
        elif parts[:1] == ["errors"]:
            errors = sum(int(x) for x in parts[2::2])
    served = statuses.get(EXPECT[op], 0)
    return Figure("wrk", connections, served / values["duration"], values["p50"],
                  values["p99"], statuses, errors)


def py_run(port: int, op: str, prefix: str, paths: list[str], seconds: float,
           connections: int) -> Figure:
    if op == "create":
        reqs: list[Any] = [("POST", prefix + POQ, json.dumps(BODY, separators=(",", ":"))
                            .encode())]
    else:
        reqs = [("GET", f"{prefix}{POQ}/{quote(i)}", None) for i in paths]
    r = loadgen.run("127.0.0.1", port, reqs, seconds=seconds, connections=connections)
    return Figure("python", connections, r.rps(EXPECT[op]), r.pct(50), r.pct(99), r.statuses,
                  r.errors)


def side_by_side(args: argparse.Namespace, mocks: dict[str, MockProcess], prism: Any,
                 ids: dict[str, list[str]]) -> None:
    servers: list[tuple[str, int, str, int | None]] = [
        (name, mock.port, V7, mock.proc.pid) for name, mock in mocks.items()]
    servers += [("prism", prism.port, "", None)] if prism else []
    tools = [t for t in ("wrk", "python") if t != "wrk" or shutil.which("wrk")]
    if args.tool != "both":
        tools = [t for t in tools if t == args.tool]
    print(f"== create / retrieve, API v7, {args.rounds} interleaved rounds of "
          f"{args.seconds:.0f} s, {args.connections} connections, load generators: "
          f"{', '.join(tools)} ==")
    results: dict[tuple[str, str, str], list[Figure]] = {}
    for rnd in range(1, args.rounds + 1):
        print(f"-- round {rnd} (load average {os.getloadavg()[0]:.1f})")
        for op in ("create", "retrieve"):
            for tool in tools:
                for name, port, prefix, pid in servers:
                    cpu0 = cpu_seconds(pid) if pid else 0.0
                    if tool == "wrk":
                        fig = wrk_run(port, op, prefix, ids[name], args.seconds,
                                      args.connections, args.wrk_threads)
                    else:
                        fig = py_run(port, op, prefix, ids[name], args.seconds,
                                     args.connections)
                    answered = sum(fig.statuses.values())
                    if pid and answered:
                        fig.cpu_ms = (cpu_seconds(pid) - cpu0) * 1000 / answered
                    results.setdefault((name, op, tool), []).append(fig)
                    print(fig.line(f"{name} {op}"), flush=True)
    print(f"== medians over {args.rounds} rounds ==")
    med: dict[tuple[str, str, str], float] = {}
    cpu: dict[tuple[str, str, str], float] = {}
    for key, figs in results.items():
        med[key] = statistics.median(f.rps for f in figs)
        p50 = statistics.median(f.p50 for f in figs)
        p99 = statistics.median(f.p99 for f in figs)
        cpus = [f.cpu_ms for f in figs if f.cpu_ms is not None]
        cpu[key] = statistics.median(cpus) if cpus else float("nan")
        shown = f"  server CPU {cpu[key]:.3f} ms/req" if cpus else ""
        print(f"{key[0]:12s} {key[1]:8s} {key[2]:6s} c={args.connections}: {med[key]:8.1f} "
              f"req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms{shown}")
    for op in ("create", "retrieve"):
        for tool in tools:
            for name in (m for m in mocks if ("prism", op, tool) in med):
                ratio = med[(name, op, tool)] / med[("prism", op, tool)]
                verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
                print(f"ratio {name}/prism {op:8s} ({tool:6s}): {ratio:5.2f}x  ({verdict} the "
                      f"{TARGET_RATIO:.0f}x target)")
            compared = [m for m in mocks if m not in ("before", BUYER_OFF)] \
                if "before" in mocks else []
            for name in compared:
                gain = med[(name, op, tool)] / med[("before", op, tool)]
                print(f"{name} / --before {op:8s} ({tool:6s}): {gain:5.2f}x req/s, server CPU "
                      f"{cpu[('before', op, tool)]:.3f} -> {cpu[(name, op, tool)]:.3f} ms per "
                      "request")
            if "mock" in mocks and BUYER_OFF in mocks:
                on, off = cpu[("mock", op, tool)], cpu[(BUYER_OFF, op, tool)]
                print(f"buyer checks {op:8s} ({tool:6s}): {on - off:.3f} of {on:.3f} ms server "
                      f"CPU per request over HTTP ({(on - off) / on:.0%}; goal under 10 %; "
                      "noisy: bench_instructions.py counts it)")
        if ("prism", op, "wrk") in med and ("prism", op, "python") in med:
            agree = med[("prism", op, "python")] / med[("prism", op, "wrk")]
            print(f"python/wrk on prism {op:8s}: {agree:5.2f} "
                  f"({'within' if abs(agree - 1) <= 0.2 else 'OUTSIDE'} 20 %)")


def _prism(spec: str | None) -> Any:
    """Prism on the official v7 OpenAPI (``--spec``, default the MEF SDK next to the repo)."""
    if spec is None:
        return _start_prism()
    from prism_server import PrismServer, prism_missing

    why = prism_missing()
    if why:
        print(f"prism: skipped ({why})")
        return None
    return PrismServer(Path(spec)).start()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its live descendants."""
    total = 0.0
    for one in process_tree(pid):
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) / 1024 for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0.0)
    return total


def scale(args: argparse.Namespace, mock: MockProcess, ids: list[str]) -> None:
    print("== at scale ==")
    if shutil.which("wrk"):
        for conns in (16, 64):
            for op in ("create", "retrieve"):
                fig = wrk_run(mock.port, op, V7, ids, args.seconds, conns)
                print(fig.line(f"mock {op} (tail latency)"), flush=True)
    pid = mock.proc.pid
    before = rss_mb(pid)
    body = json.dumps(BODY, separators=(",", ":")).encode()
    raw = loadgen.http_request("POST", V7 + POQ, body, f"127.0.0.1:{mock.port}")
    conn = loadgen._Conn("127.0.0.1", mock.port)
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    marks = {args.creates // 2: 0.0}
    for n in range(1, args.creates + 1):
        statuses[conn.exchange(raw)] += 1
        if n in marks:
            marks[n] = rss_mb(pid)
    conn.close()
    after = rss_mb(pid)
    print(f"RSS over {args.creates} creates (buyer checks on, one keep-alive client, "
          f"{time.monotonic() - started:.0f} s, statuses {dict(statuses)}): {before:.0f} MB -> "
          f"{marks[args.creates // 2]:.0f} MB at half -> {after:.0f} MB "
          f"(second half grew {after - marks[args.creates // 2]:+.0f} MB; the POQs themselves "
          "are stored, the buyer record and request log are bounded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2,
                        help="wrk -t (each thread keeps a core busy: on 2 cores 1 leaves more "
                             "to the server)")
    parser.add_argument("--tool", choices=["both", "wrk", "python"], default="both")
    parser.add_argument("--mock-args", default="", help="extra options for python -m mock_seller")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=ARGS",
                        help="another mock in the same rounds, e.g. "
                             "'w2=--workers 2 --store sqlite:////tmp/w2.db' (repeatable)")
    parser.add_argument("--before", type=Path, default=None, metavar="CHECKOUT",
                        help="also the mock of another checkout (its own .venv), e.g. a "
                             "worktree of an earlier commit: before and after in one run")
    parser.add_argument("--before-args", default="",
                        help="options for the --before mock (default: that checkout's own)")
    parser.add_argument("--buyer-cost", action="store_true",
                        help="also the mock with --buyer-mode off: the buyer checks' share of "
                             "the server's CPU per request")
    parser.add_argument("--mock-threads", type=int, default=None,
                        help="--threads of every mock (default: each server's own)")
    parser.add_argument("--no-prism", action="store_true")
    parser.add_argument("--spec", default=None,
                        help="the official v7 OpenAPI for Prism (default: ../shared/mef-sdk)")
    parser.add_argument("--scale", action="store_true", help="also the figures at scale")
    parser.add_argument("--creates", type=int, default=50_000, help="for the RSS growth")
    parser.add_argument("--poqs", type=int, default=100_000, help="for list and RSS")
    args = parser.parse_args()
    print(f"bench_http (pid {os.getpid()}, {os.cpu_count()} CPUs, loopback only, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {os.getloadavg()[0]:.1f}, "
          f"mock args {args.mock_args or '-'})")
    configs = {"mock": shlex.split(args.mock_args)}
    if args.buyer_cost:
        configs[BUYER_OFF] = [*configs["mock"], "--buyer-mode", "off"]
    for item in args.also:
        name, _, extra = item.partition("=")
        configs[name] = shlex.split(extra)
    mocks: dict[str, MockProcess] = {}
    prism = None
    try:
        for name, extra in configs.items():
            print(f"{name}: python -m mock_seller {shlex.join(extra) or '(defaults)'}")
            mocks[name] = MockProcess(args.mock_threads, extra)
        if args.before is not None:
            before = shlex.split(args.before_args)
            print(f"before: python -m mock_seller {shlex.join(before) or '(defaults)'}"
                  f" from {args.before}")
            mocks["before"] = MockProcess(args.mock_threads, before, args.before)
        ids = {name: _seed_ids(mock.port, V7, 200) for name, mock in mocks.items()}
        ids["prism"] = ids["mock"]  # Prism answers any id with its example
        prism = None if args.no_prism else _prism(args.spec)
        side_by_side(args, mocks, prism, ids)
        if args.scale:
            scale(args, mocks["mock"], ids["mock"])
    finally:
        for mock in mocks.values():
            mock.stop()
        if prism is not None:
            prism.stop()
    if args.scale:
        from bench_prism import list_latency

        list_latency(argparse.Namespace(poqs=args.poqs, list_runs=200))


if __name__ == "__main__":
    main()
