"""``poq-conformance run --mock`` with a profile of one's own, and with a scenario whose
response mode rules out a response style: the bundled profile must follow the scenario so a
deferred-only or immediate-only mock has no false failures. Also the wait progress line."""

from __future__ import annotations

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
