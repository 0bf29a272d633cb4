"""The harness is itself a conformant buyer: a full run against the mock seller in strict
buyer-conformance mode is never refused for a buyer-side requirement, except by the tests that
send broken requests on purpose."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

DEFAULT_SCENARIO = files("schemas") / "scenarios" / "default.yaml"
# tests that send broken requests on purpose
ON_PURPOSE = ("test_errors.py", "test_robustness.py", "test_register_invalid_callback")
BUYER_RULE = re.compile(r"^(R|D|O)\d+:")


@pytest.mark.slow
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_full_run_passes_a_strict_buyer_conformance_mock(tmp_path: Path, api: str) -> None:
    scenario = tmp_path / "strict.yaml"
    scenario.write_text(
        DEFAULT_SCENARIO.read_text(encoding="utf-8")
        + "\nbuyer_conformance: {mode: strict}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--mock", "--api", api,
         "--mock-scenario", str(scenario), "--report-dir", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    refused = []
    for ex in doc["exchanges"]:
        response = ex.get("response") or {}
        body = response.get("body")
        if response.get("status") != 422 or not isinstance(body, list):
            continue
        reasons = [e.get("reason", "") for e in body if isinstance(e, dict)]
        if any(BUYER_RULE.match(r) for r in reasons) and not any(
            name in (ex.get("test") or "") for name in ON_PURPOSE
        ):
            refused.append((ex["test"], reasons))
    assert refused == []
