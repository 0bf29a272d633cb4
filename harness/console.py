"""Terminal output of ``poq-conformance run``: one status line per finished test and a live
"waiting for POQ ..." line while deferred POQs are polled. Writes around pytest's output
capture, so it works while a test is running."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape

STYLES = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}
LABELS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}


class RunConsole:
    """Progress sink (see :mod:`harness.progress`) plus per-test lines."""

    def __init__(
        self,
        capture_manager: Any | None = None,
        min_interval_s: float = 0.25,
        console: Console | None = None,
    ) -> None:
        self._capman = capture_manager
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._tty = self.console.is_terminal
        self._min_interval = min_interval_s if self._tty else 5.0
        self._last = 0.0
        self._shown = False

    @contextlib.contextmanager
    def _uncaptured(self) -> Iterator[None]:
        if self._capman is None:
            yield
            return
        with self._capman.global_and_fixture_disabled():
            yield

    def status(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last < self._min_interval:
            return
        self._last = now
        with self._uncaptured():
            if self._tty:
                out = self.console.file
                out.write("\r\x1b[2K  " + text)
                out.flush()
                self._shown = True
            else:
                self.console.print(f"  {escape(text)}", style="dim")

    def clear(self) -> None:
        self._last = 0.0
        if self._tty and self._shown:
            with self._uncaptured():
                self.console.file.write("\r\x1b[2K")
                self.console.file.flush()
            self._shown = False

    def test_done(self, nodeid: str, outcome: str, checks: int, failed: int) -> None:
        self.clear()
        label = LABELS.get(outcome, outcome.upper())
        detail = f"{checks} checks" + (f", {failed} failed" if failed else "")
        with self._uncaptured():
            self.console.print(
                f"[{STYLES.get(outcome, 'white')}]{label:<5}[/] {escape(nodeid)} [dim]({detail})[/]"
            )


    def details(self, lines: list[str]) -> None:
        """What failed, indented under a test's status line (the traceback stays out)."""
        if not lines:
            return
        with self._uncaptured():
            for line in lines:
                self.console.print(f"      {escape(line)}", style="red")

    def setup_finding(self, text: str) -> None:
        """A preflight finding: the tester's set-up, not the seller, is to fix."""
        self.clear()
        with self._uncaptured():
            self.console.print(f"[yellow]SETUP[/] {escape(text)}")


def stderr_line(text: str) -> None:
    sys.stderr.write(text + "\n")


__all__ = ["RunConsole", "stderr_line"]
