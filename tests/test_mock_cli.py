"""The mock as a process: `python -m mock_seller` and `poq-conformance mock` print one ready
line when bound, serve real HTTP and stop cleanly on SIGTERM / SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import requests

READY = "POQ mock seller listening on http://127.0.0.1:"


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, *args, "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith(READY), (line, proc.stderr.read() if proc.poll() else "")  # type: ignore[union-attr]
    return proc, line.strip().removeprefix("POQ mock seller listening on ")


@pytest.mark.parametrize("command,sig", [(["-m", "mock_seller"], signal.SIGTERM),
                                         (["-m", "harness.cli", "mock"], signal.SIGINT)])
def test_process_serves_and_stops_cleanly(command: list[str], sig: int) -> None:
    proc, url = _start(*command)
    try:
        resp = requests.get(url + "/mefApi/sonata/productOfferingQualification/v7"
                            "/productOfferingQualification", timeout=5)
        assert resp.status_code == 200 and resp.json() == []
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        rest = proc.stdout.read()  # type: ignore[union-attr]
        assert rest == ""  # exactly one line on stdout
        assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_scenario_option_and_bad_scenario(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("catalogue:\n  specifications: []\n  offerings: []\n", "utf-8")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "mock_seller", "--scenario", str(bad),
                           "--port", "0"], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 30
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "/catalogue/offerings" in lines[0]
    assert "Traceback" not in proc.stderr
