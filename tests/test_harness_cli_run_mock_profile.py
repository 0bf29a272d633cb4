"""``poq-conformance run --mock`` with a profile of one's own, and with a scenario whose
response mode rules out a response style: the bundled profile must follow the scenario so a
deferred-only or immediate-only mock has no false failures. Also the wait progress line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import progress
from harness.errors import ConfigError
from harness.evidence import Exchange
from harness.profile import bundled_profile_path, load_profile
from harness.runner import mock_profile_for_scenario, scenario_profile_changes
from schemas.dialect import get_dialect
from suites._support import PoqRun, wait_final

DEFAULT = Path(__file__).resolve().parents[1] / "schemas" / "scenarios" / "default.yaml"


def scenario(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(DEFAULT.read_text("utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


@pytest.mark.parametrize(("mode", "expected"), [
    ("deferred", {"immediate": False}),
    ("immediate", {"deferred": False}),
    ("honour_flag", {}),
])
def test_response_mode_sets_capabilities(tmp_path: Path, mode: str,
                                         expected: dict[str, bool]) -> None:
    changes = scenario_profile_changes(str(scenario(tmp_path, response_mode=mode)))
    assert changes["capabilities"] == expected
    assert changes["list"] == {"too_many_records_threshold": 50}


def test_threshold_and_notifications_follow_the_scenario(tmp_path: Path) -> None:
    path = scenario(tmp_path, list={"max_page_size": 100},
                    notifications={"enabled": False})
    changes = scenario_profile_changes(str(path))
    assert changes["capabilities"] == {"notifications": False}
    # absent key: the mock's 5000, above what the suite will create -> still agreed
    assert changes["list"] == {"too_many_records_threshold": 5000}
    path = scenario(tmp_path, list={"too_many_records": None})
    assert scenario_profile_changes(str(path))["list"] == {"too_many_records_threshold": None}


def test_bad_scenario_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mock scenario file not found"):
        scenario_profile_changes(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("response_mode: [unclosed\n", "utf-8")
    with pytest.raises(ConfigError, match="not readable YAML"):
        scenario_profile_changes(str(bad))
    bad.write_text("- a list\n", "utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        scenario_profile_changes(str(bad))


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_derived_profile_loads(tmp_path: Path, api: str) -> None:
    path = mock_profile_for_scenario(api, str(scenario(tmp_path, response_mode="deferred")),
                                     tmp_path / "out")
    profile = load_profile(path)
    assert Path(path).parent == tmp_path / "out"
    assert profile.api == api and not profile.has("immediate") and profile.has("deferred")
    assert profile.listing.too_many_records_threshold == 50
    bundled = load_profile(bundled_profile_path(f"mock-{api}"))
    assert profile.test_data == bundled.test_data


# -- progress while waiting -------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cleared = 0

    def status(self, text: str) -> None:
        self.lines.append(text)

    def clear(self) -> None:
        self.cleared += 1


class ScriptedSeller:
    """Answers polls with the wire states given, one per poll."""

    def __init__(self, states: list[str]) -> None:
        self.states = states
        self.n = 0

    def get_poq(self, poq_id: str) -> Exchange:
        state = self.states[min(self.n, len(self.states) - 1)]
        self.n += 1
        body = {"id": poq_id, "state": state, "productOfferingQualificationItem": []}
        return Exchange(id=f"ex-{self.n}", test=None, method="GET", url="u", status=200,
                        json=body)


def test_wait_final_reports_progress() -> None:
    dialect = get_dialect("v8")
    create = Exchange(id="ex-0", test=None, method="POST", url="u", status=201,
                      json={"id": "poq-7", "state": "acknowledged"})
    run = PoqRun("2a", {}, create, dialect)
    sink = Sink()
    progress.set_sink(sink)
    try:
        wait_final(ScriptedSeller(["inProgress", "inProgress", "done"]), [run], 0.01, 5)
    finally:
        progress.set_sink(None)
    assert len(sink.lines) == 2, sink.lines  # two rounds still waiting, then done
    assert all(line.startswith("waiting for POQ poq-7: inProgress (") and
               line.endswith(" s)") for line in sink.lines), sink.lines
    assert sink.cleared == 1 and run.final is not None


# -- end to end -------------------------------------------------------------------------------


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=240)


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
