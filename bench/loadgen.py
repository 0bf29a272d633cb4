"""A small HTTP/1.1 load generator for the benchmarks, for machines without ``wrk``.

Keep-alive connections, ``TCP_NODELAY`` set and each request written with one ``sendall``:
a client that writes headers and body in two small segments with Nagle on waits for the
peer's delayed ACK (about 40 ms on Linux) and measures itself, not the server. ``procs``
processes (like wrk's threads) share ``connections`` connections; a request counts as served
only with the expected status, and every status seen is counted."""

from __future__ import annotations

import multiprocessing as mp
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HEADERS = "Content-Type: application/json;charset=utf-8\r\nAccept: application/json\r\n"


def http_request(method: str, path: str, body: bytes | None, host: str) -> bytes:
    """The whole request as the bytes one ``sendall`` writes."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{HEADERS}"
    if body is not None:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + (body or b"")


@dataclass
class LoadResult:
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, a sorted sample

    def served(self, expect: int) -> int:
        return self.statuses.get(expect, 0)

    def rps(self, expect: int) -> float:
        return self.served(expect) / self.seconds

    def pct(self, p: float) -> float:
        """Latency percentile in ms."""
        lat = self.latencies
        if not lat:
            return float("nan")
        return lat[min(len(lat) - 1, int(len(lat) * p / 100))] * 1000


class _Conn:
    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buf += chunk

    def exchange(self, raw: bytes) -> int:
        self.sock.sendall(raw)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = self.buf[:end].decode("latin-1").split("\r\n")
        self.buf = self.buf[end + 4:]
        status = int(head[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        if "content-length" in fields:
            length = int(fields["content-length"])
            while len(self.buf) < length:
                self._fill()
            self.buf = self.buf[length:]
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            self._skip_chunked()
        if fields.get("connection", "").lower() == "close":
            raise ConnectionResetError("server closed the connection")
        return status

    def _skip_chunked(self) -> None:
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                self._fill()
            size = int(self.buf[:end].split(b";")[0], 16)
            need = end + 2 + size + 2
            while len(self.buf) < need:
                self._fill()
            self.buf = self.buf[need:]
            if size == 0:
                return

    def close(self) -> None:
        self.sock.close()


def _worker(host: str, port: int, raws: list[bytes], offset: int, stop_at: float,
            out: list[Any]) -> None:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors = 0
    conn: _Conn | None = None
    i = offset
    while time.perf_counter() < stop_at:
        raw = raws[i % len(raws)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn = conn or _Conn(host, port)
            statuses[conn.exchange(raw)] += 1
            latencies.append(time.perf_counter() - t0)
        except OSError:
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()
    out.append((statuses, errors, latencies))


def _process(host: str, port: int, raws: list[bytes], connections: int, seconds: float,
             start_at: float, index: int, queue: Any) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    stop_at = time.perf_counter() + seconds
    out: list[Any] = []
    threads = [threading.Thread(target=_worker, args=(host, port, raws,
                                                      (index * connections + n) * 7919,
                                                      stop_at, out))
               for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses: Counter[int] = Counter()
    for o in out:
        statuses.update(o[0])
    lat = sorted(x for o in out for x in o[2])
    queue.put((statuses, sum(o[1] for o in out), lat[:: max(1, len(lat) // 5000)]))


def run(host: str, port: int, requests_: list[tuple[str, str, bytes | None]], *,
        seconds: float, connections: int, procs: int = 2) -> LoadResult:
    """Drive ``requests_`` round-robin for ``seconds`` over ``connections`` connections."""
    raws = [http_request(m, p, b, f"{host}:{port}") for m, p, b in requests_]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 1.0  # every process started before the clock runs
    per = [connections // procs + (1 if i < connections % procs else 0) for i in range(procs)]
    ps = [ctx.Process(target=_process, args=(host, port, raws, n, seconds, start_at, i, queue))
          for i, n in enumerate(per) if n]
    for p in ps:
        p.start()
    result = LoadResult(seconds)
    lat: list[float] = []
    for _ in ps:
        statuses, errors, sample = queue.get(timeout=seconds + 60)
        result.statuses.update(statuses)
        result.errors += errors
        lat.extend(sample)
    for p in ps:
        p.join(timeout=10)
    result.latencies = sorted(lat)
    return result
