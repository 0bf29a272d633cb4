"""Terminal progress of a run: per-test lines and throttled "waiting for POQ" lines."""

from __future__ import annotations

import io

from rich.console import Console

from harness import progress
from harness.console import RunConsole


def make(tty: bool) -> tuple[RunConsole, io.StringIO]:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=tty, width=200, color_system=None)
    return RunConsole(console=console, min_interval_s=0.0), buf


def test_test_lines_show_outcome_and_checks_and_keep_brackets() -> None:
    run, buf = make(tty=False)
    run.test_done("test_x.py::test_a[v8-install]", "failed", 12, 2)
    run.test_done("test_x.py::test_b", "skipped", 0, 0)
    out = buf.getvalue()
    assert "FAIL  test_x.py::test_a[v8-install] (12 checks, 2 failed)" in out
    assert "SKIP  test_x.py::test_b (0 checks)" in out


def test_waiting_lines_are_throttled_without_a_terminal() -> None:
    run, buf = make(tty=False)
    progress.set_sink(run)
    try:
        progress.status("waiting for POQ p1: inProgress (0.2 s)")
        progress.status("waiting for POQ p1: inProgress (0.4 s)")  # within 5 s: dropped
        progress.clear()
    finally:
        progress.set_sink(None)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    assert lines == ["  waiting for POQ p1: inProgress (0.2 s)"]
    progress.status("no sink: silently ignored")


def test_waiting_line_rewritten_in_place_on_a_terminal() -> None:
    run, buf = make(tty=True)
    run.status("waiting for POQ p1: acknowledged (0.1 s)")
    run.status("waiting for POQ p1: inProgress (0.3 s)")
    run.clear()
    out = buf.getvalue()
    assert out.count("\r\x1b[2K") == 3 and "\n" not in out
    assert out.endswith("\r\x1b[2K")
