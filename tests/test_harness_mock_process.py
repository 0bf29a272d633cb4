"""The mock seller launched as a real process on a free port, and its failure modes."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from harness.mock_process import MockSeller, MockStartError


def test_start_serves_both_dialects_and_stops() -> None:
    mock = MockSeller()
    root = mock.start()
    try:
        assert root.startswith("http://127.0.0.1:") and mock.running
        for api in ("v8", "v7"):
            resp = requests.get(mock.base_url(api) + "/productOfferingQualification", timeout=5)
            assert resp.status_code == 200
    finally:
        mock.stop()
    assert not mock.running
    with pytest.raises(requests.ConnectionError):
        requests.get(root + "/", timeout=2)


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(MockStartError, match="scenario file not found"):
        MockSeller(tmp_path / "nope.yaml").start()


def test_broken_scenario_reports_exit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [broken\n")
    mock = MockSeller(bad, startup_timeout_s=20)
    with pytest.raises(MockStartError, match="exited"):
        mock.start()
    assert not mock.running
