"""``poq-conformance run`` end to end (the bundled mock, a broken seller) and its usage
and configuration errors: one readable line, exit code 2, never a traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import main
from schemas.results import validate_document

BASE_PATH = "/mefApi/sonata/productOfferingQualification/v8"


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", *args],
        cwd=cwd, capture_output=True, text=True, timeout=240,
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


@pytest.mark.slow
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_run_mock_smoke_end_to_end(tmp_path: Path, api: str) -> None:
    proc = run_cli(["--mock", "--api", api, "-k", "smoke", "--report-dir", "out"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS" in proc.stdout and "test_smoke" in proc.stdout
    assert "MUST failed: 0" in proc.stdout
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert validate_document(doc) == []
    assert doc["run"]["mock"] is True and doc["run"]["api"] == api
    rows = {r["id"]: r for r in doc["requirements"]}
    assert len(rows) == 125
    for req in ("R36", "R38", "R39", "R84", "R85"):
        assert rows[req]["status"] == "pass", rows[req]
    assert doc["exchanges"] and all(e["error"] is None for e in doc["exchanges"])
    assert doc["timelines"][0]["entries"][0]["source"] == "create"
    assert not (tmp_path / ".pytest_cache").exists()


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


@pytest.fixture
def broken_seller() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenSeller)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.slow
def test_must_failure_gives_exit_1(tmp_path: Path, broken_seller: str) -> None:
    profile = tmp_path / "broken.yaml"
    profile.write_text(yaml.safe_dump(profile_for(broken_seller)))
    proc = run_cli(["--profile", str(profile), "-k", "smoke", "--report-dir", "r"], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL" in proc.stdout and "R39" in proc.stdout
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    rows = {r["id"]: r for r in doc["requirements"]}
    assert rows["R39"]["status"] == "fail" and doc["summary"]["must_failed"] >= 1
    assert rows["R36"]["status"] == "pass"


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


@pytest.mark.slow
def test_seller_refusing_our_credentials_is_a_configuration_error(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingSeller)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
        profile = tmp_path / "refused.yaml"
        profile.write_text(yaml.safe_dump(profile_for(url)))
        proc = run_cli(["--profile", str(profile), "--report-dir", "r"], tmp_path)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "refused our credentials (HTTP 401" in proc.stderr and "token expired" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r" / "results.json").exists()
