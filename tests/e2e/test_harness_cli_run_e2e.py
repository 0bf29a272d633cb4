"""The slow half of tests/test_harness_cli_run.py: `poq-conformance run` end to end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from test_harness_cli_run import BASE_PATH, _BrokenSeller, _RefusingSeller, profile_for, run_cli

from schemas.results import validate_document


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
