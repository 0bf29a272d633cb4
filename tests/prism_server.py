"""Start and stop Stoplight Prism mocking the official v7 POQ OpenAPI, a seller we did not
write, so the harness can be proven against it (tests/test_prism_run.py).

Prism serves the spec's paths without the ``servers`` base path: ``/productOfferingQualification``
answers, ``/mefApi/sonata/productOfferingQualification/v7/productOfferingQualification`` is a
404 ``NO_PATH_MATCHED_ERROR``. The seller base URL is therefore the bare origin.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]
PRISM_BIN = REPO / "tools" / "prism" / "node_modules" / ".bin" / "prism"
OFFICIAL_V7 = (REPO / ".." / "shared" / "mef-sdk" / "productApi" / "serviceability"
               / "offeringQualification" / "productOfferingQualificationManagement.api.yaml")


class PrismError(RuntimeError):
    """Prism could not be started or did not answer in time."""


def prism_missing() -> str | None:
    """Why Prism cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not PRISM_BIN.is_file():
        return f"prism is not installed ({PRISM_BIN}); run .ci/install-prism.sh"
    return None


def free_port() -> int:
    """A port nothing listens on right now (Prism takes a port number, not 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrismServer:
    """``prism mock`` on 127.0.0.1, started on enter and stopped (process group) on exit.

    ``dynamic=False`` (static mode) answers every operation with the same schema-shaped
    document, which makes the run deterministic; ``dynamic=True`` (``-d``) generates
    random values per request.
    """

    def __init__(self, spec: Path = OFFICIAL_V7, log_path: Path | None = None,
                 dynamic: bool = False, start_timeout_s: float = 60.0) -> None:
        self.spec = spec
        self.log_path = log_path
        self.dynamic = dynamic
        self.start_timeout_s = start_timeout_s
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: object | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PrismServer:
        why = prism_missing()
        if why:
            raise PrismError(why)
        if not self.spec.is_file():
            raise PrismError(f"OpenAPI document not found: {self.spec}")
        last: str = ""
        for _ in range(3):  # the free port may be taken by someone else in between
            self.port = free_port()
            args = [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(self.port)]
            if self.dynamic:
                args.append("-d")
            args.append(str(self.spec))
            log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
            self._log = log
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                self._wait_ready()
                return self
            except PrismError as exc:
                last = str(exc)
                self.stop()
        raise PrismError(last)

    def _wait_ready(self) -> None:
        """Any HTTP answer on a spec path means Prism has loaded the document."""
        assert self.proc is not None
        deadline = time.monotonic() + self.start_timeout_s
        url = f"{self.base_url}/productOfferingQualification?limit=1"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PrismError(f"prism exited with code {self.proc.returncode} "
                                 f"(log: {self.log_path})")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except (OSError, ValueError):
                time.sleep(0.2)
        raise PrismError(f"prism did not answer on port {self.port} "
                         f"within {self.start_timeout_s:.0f} s")

    def stop(self) -> None:
        """Terminate Prism's process group (node may spawn children), then reap it."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log, self._log = self._log, None
        if log is not None and log is not subprocess.DEVNULL:
            log.close()  # type: ignore[attr-defined]

    def __enter__(self) -> PrismServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
