"""``poq-conformance run`` end to end (the bundled mock, a broken seller) and its usage
and configuration errors: one readable line, exit code 2, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import main

BASE_PATH = "/mefApi/sonata/productOfferingQualification/v8"


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240,
    )


def profile_for(url: str) -> dict[str, Any]:
    return {
        "seller": {"api": "v8", "base_url": url, "timeout_s": 5},
        "capabilities": {"product_specification": False, "change": False},
        "test_data": {
            "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
            "install_offering": {"product": {"productOffering": {"id": "1"}}},
        },
    }


class _BrokenSeller(BaseHTTPRequestHandler):
    """Answers an immediate create with a POQ still in progress (violates R39)."""

    POQ = {"id": "poq-1", "state": "inProgress", "creationDate": "2026-01-01T00:00:00Z",
           "productOfferingQualificationItem": [{"id": "1", "state": "inProgress"}]}

    def log_message(self, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(201, self.POQ)

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, self.POQ if self.path.split("?")[0].endswith("/poq-1") else [])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exit(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["run", *args])
    err = capsys.readouterr().err
    code = info.value.code
    return (code if isinstance(code, int) else 1), err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "give --mock or --profile FILE"),
        (["--mock", "--profile", "p.yaml", "--api", "v7"], "the profile's seller.api is used"),
        (["--profile", "p.yaml", "--api", "v7"], "--api and --scenario go with --mock"),
        (["--mock", "--uc", "2a,9"], "--uc: unknown use case 9"),
        (["--mock", "--scenario", "/nonexistent/s.yaml"], "mock scenario file not found"),
    ],
)
def test_usage_errors(args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
                      ) -> None:
    code, err = _exit(args, capsys)
    assert code == 2 and expected in err and "Traceback" not in err


def test_configuration_errors_are_one_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit(["--profile", str(tmp_path / "missing.yaml")], capsys)
    assert code == 2 and err.strip().count("\n") == 0 and "profile file not found" in err

    bad = tmp_path / "bad.yaml"
    data = profile_for(f"http://127.0.0.1:1{BASE_PATH}")
    data["seller"]["api"] = "v9"
    bad.write_text(yaml.safe_dump(data))
    code, err = _exit(["--profile", str(bad)], capsys)
    assert code == 2 and "seller.api: must be one of v8, v7" in err

    down = tmp_path / "down.yaml"
    down.write_text(yaml.safe_dump(profile_for(f"http://127.0.0.1:{_closed_port()}{BASE_PATH}")))
    code, err = _exit(["--profile", str(down), "--report-dir", str(tmp_path / "r")], capsys)
    assert code == 2 and "seller unreachable at http://127.0.0.1:" in err
    assert "connection refused" in err and err.strip().count("\n") == 0


class _RefusingSeller(_BrokenSeller):
    """Refuses every request for want of credentials, as a seller does with a wrong token."""

    def do_POST(self) -> None:  # noqa: N802
        self._send(401, {"code": "invalidCredentials", "reason": "token expired"})

    def do_GET(self) -> None:  # noqa: N802
        self._send(401, {"code": "invalidCredentials", "reason": "token expired"})


def test_a_run_ignores_other_installed_pytest_plugins(tmp_path: Path) -> None:
    """A plugin installed beside the harness (here one that breaks any session it joins)
    must not take part in a certification run: its verdicts depend on our plugin alone."""
    site = tmp_path / "site"
    info = site / "breaker-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: breaker\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nbreaker = breaker\n")
    (site / "breaker.py").write_text(
        "def pytest_configure(config):\n    raise RuntimeError('breaker plugin loaded')\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    plain = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(tmp_path / "test_x.py")], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert "breaker plugin loaded" in plain.stdout + plain.stderr  # it is installed

    run = run_cli(["--mock", "-k", "test_smoke", "--report-dir", str(tmp_path / "r")],
                  tmp_path, env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "breaker" not in run.stdout + run.stderr
    doc = json.loads((tmp_path / "r" / "results.json").read_text("utf-8"))
    assert doc["summary"]["pass"] > 0
