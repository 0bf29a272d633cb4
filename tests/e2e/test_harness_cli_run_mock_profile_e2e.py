"""The slow half of tests/test_harness_cli_run_mock_profile.py: full runs against the mock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from test_harness_cli_run_mock_profile import run_cli, scenario

from harness.profile import bundled_profile_path


@pytest.mark.slow
def test_deferred_only_scenario_has_no_false_failure(tmp_path: Path) -> None:
    path = scenario(tmp_path, response_mode="deferred")
    proc = run_cli(["--mock", "--mock-scenario", str(path), "--uc", "2a,2c",
                    "--report-dir", "out"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    rows = {r["id"]: r for r in doc["requirements"]}
    assert doc["summary"]["fail"] == 0
    assert rows["R36"]["status"] == "not_applicable"  # immediate answer content
    assert rows["R27"]["status"] == "pass"  # deferred acknowledgement
    assert rows["R75"]["status"] == "pass"  # 2c alternates via the deferred plan
    assert doc["run"]["profile"].endswith("mock-v8-profile.yaml")


@pytest.mark.slow
def test_mock_with_own_profile(tmp_path: Path) -> None:
    data = yaml.safe_load(bundled_profile_path("mock-v7").read_text("utf-8"))
    data["seller"]["base_url"] = "http://127.0.0.1:1/mefApi/sonata/productOfferingQualification/v7"
    for key in ("change_product_alternates", "install_offering_off_net"):
        del data["test_data"][key]
    data.pop("list")
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump(data), "utf-8")
    proc = run_cli(["--mock", "--profile", str(own), "--uc", "2c,3", "--report-dir", "out"],
                   tmp_path)
    # alternates declared but the remaining test data never drew one: nothing failed, but
    # R76 / R77 were not judged, so the run is incomplete (exit 3), not conformant
    assert proc.returncode == 3, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["summary"]["verdict"] == "incomplete"
    [gap] = doc["summary"]["incomplete"]
    assert gap["group"] == "capability_not_observed" and "R77" in gap["ids"]
    assert proc.stdout.strip().splitlines()[-1].startswith("INCOMPLETE: ")
    assert doc["run"]["api"] == "v7" and doc["run"]["profile"] == str(own)
    rows = {r["id"]: r for r in doc["requirements"]}
    assert rows["R77"]["status"] == "not_tested"
    assert any("test_data.change_product_alternates" in (c["message"] or "")
               for c in rows["R77"]["checks"]), rows["R77"]
    assert rows["R79"]["status"] == "pass"  # the invalid-query path still judges it
    too_many = [c for c in rows["R80"]["checks"] if "test_too_many_records" in c["test"]]
    assert too_many and too_many[0]["status"] == "not_tested"
    assert "list.too_many_records_threshold" in too_many[0]["message"]


@pytest.mark.slow
def test_seller_past_the_agreed_threshold_fails(tmp_path: Path) -> None:
    """No silent pass: a seller that lists more than the agreed number of records fails R80.
    The profile agrees 50; the scenario has no threshold, so all 51 POQs come back."""
    path = scenario(tmp_path, list={"max_page_size": 100, "too_many_records": None})
    own = tmp_path / "own.yaml"
    own.write_text(bundled_profile_path("mock-v8").read_text("utf-8"), "utf-8")
    proc = run_cli(["--mock", "--profile", str(own), "--scenario", str(path), "--uc", "3",
                    "-k", "too_many", "--report-dir", "out"], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    rows = {r["id"]: r for r in doc["requirements"]}
    assert rows["R80"]["status"] == "fail"
    assert any("more than the agreed 50" in (c["message"] or "") for c in rows["R80"]["checks"])
