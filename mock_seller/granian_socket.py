"""granian's process manager on a socket we bound: the ready line names the port the kernel
chose (``--port 0``), and every server choice binds the same way (serve_processes.bind).

granian binds its own listener from an address; this subclass hands it ours instead, through
the same holder granian builds on platforms where it shares one socket with its workers.
It leans on granian's internals (``_init_shared_socket``), hence the pinned minor version in
pyproject.toml; tests/test_mock_processes.py serves through it."""

from __future__ import annotations

import socket
from typing import Any

from granian._granian import SocketHolder
from granian.server.mp import MPServer


class OnSocket(MPServer):  # type: ignore[misc]
    def __init__(self, sock: socket.socket, **options: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__("mock_seller", address=host, port=port, **options)
        self._ours = sock

    def _init_shared_socket(self) -> None:
        self._ours.setblocking(False)  # as granian's own listener: its runtime polls it
        self._ssp = None
        # granian's stub omits the holder's arguments (fd, is_uds, backlog)
        self._shd = SocketHolder(  # type: ignore[call-arg,assignment]
            self._ours.fileno(), False, self.backlog)
        self._sfd = self._ours.fileno()  # type: ignore[assignment]
        self._sso = self._ours

    def _drop_shared_socket(self) -> None:
        self._sso = None  # ours: the caller closes it
