"""Start the bundled mock seller as a separate process (``python -m mock_seller``) on a free
port and stop it again: the harness talks to it over real HTTP, exactly like to a real
Seller, and never imports it."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import IO

from harness.errors import ConfigError
from schemas.dialect import BASE_PATHS, get_dialect

READY_LINE = re.compile(r"POQ mock seller listening on (https?://\S+)")


class MockStartError(ConfigError):
    """The mock seller did not come up (bad scenario, crash, timeout)."""


def default_scenario() -> Path:
    return Path(str(resources.files("schemas").joinpath("scenarios").joinpath("default.yaml")))


class MockSeller:
    """One mock seller process; ``root_url`` is ``http://HOST:PORT`` once started."""

    def __init__(
        self,
        scenario: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        startup_timeout_s: float = 30.0,
        extra_args: list[str] | None = None,
    ) -> None:
        self.scenario = Path(scenario) if scenario is not None else default_scenario()
        self.host = host
        self.startup_timeout_s = startup_timeout_s
        self.extra_args = list(extra_args or [])
        self.root_url: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._output: list[str] = []

    def base_url(self, api: str) -> str:
        if self.root_url is None:
            raise RuntimeError("mock seller not started")
        return self.root_url + BASE_PATHS[get_dialect(api).api]

    def start(self) -> str:
        if self._proc is not None and self.root_url:
            return self.root_url
        if not self.scenario.is_file():
            raise MockStartError(f"mock scenario file not found: {self.scenario}")
        cmd = [
            sys.executable, "-m", "mock_seller",
            "--host", self.host, "--port", "0", "--scenario", str(self.scenario),
            *self.extra_args,
        ]
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
            text=True, bufsize=1,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self._proc.stdout is not None
        threading.Thread(
            target=_pump, args=(self._proc.stdout, lines, self._output), daemon=True,
            name="mock-seller-stdout",
        ).start()
        try:
            self.root_url = self._await_ready(lines)
        except BaseException:  # MockStartError, or Ctrl-C / SIGTERM while it starts
            self.stop()
            raise
        return self.root_url

    def _await_ready(self, lines: queue.Queue[str | None]) -> str:
        import time

        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MockStartError(
                    f"mock seller did not report its address within "
                    f"{self.startup_timeout_s:g} s{self._stderr_tail()}"
                )
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self._proc.wait(timeout=5) if self._proc else None
                raise MockStartError(
                    f"mock seller exited (code {code}) before listening{self._stderr_tail()}"
                )
            match = READY_LINE.search(line)
            if match:
                return match.group(1).rstrip("/")

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read().strip()
            if text:
                return ": " + text.splitlines()[-1][:300]
        return ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stdout is not None:
            with contextlib.suppress(OSError):
                proc.stdout.close()
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None
        self.root_url = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> MockSeller:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _pump(stream: IO[str], lines: queue.Queue[str | None], keep: list[str]) -> None:
    """Forward the child's stdout lines (keeps the pipe drained for its whole life)."""
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            if len(keep) < 200:
                keep.append(line)
            lines.put(line)
    lines.put(None)


__all__ = ["MockSeller", "MockStartError", "default_scenario"]
