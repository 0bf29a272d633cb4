"""Each suite check seen failing: the suites run against the bundled mock seller with seeded
defects of the registry (mock_seller/proving/defects.yaml) switched on, and must report the
requirements each one breaks failed. The cases name the suite file and test that must see it,
a finer aim than the detection matrix's full runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from harness.profile import bundled_profile_path
from mock_seller.proving import get_defect
from mock_seller.proving.matrix import scenario_for
from mock_seller.server import MockServer

ROOT = Path(__file__).resolve().parents[1]

# defects switched on -> (suite file, -k expression, IDs that must fail)
CASES: dict[tuple[str, ...], tuple[str, str, set[str]]] = {
    ("no_seller_contact",): ("test_uc2_immediate.py", "test_2a_install_offering", {"R38"}),
    ("echo_changed",): ("test_uc2_immediate.py", "test_2a_install_offering", {"R37"}),
    ("item_dropped",): ("test_uc2_immediate.py", "several_items", {"R42"}),
    ("green_without_interval",): ("test_uc2_immediate.py", "test_2a_install_offering",
                                  {"R44"}),
    ("immediate_poq_in_progress",): ("test_uc2_immediate.py", "test_2a_install_offering",
                                     {"R39", "R95"}),
    ("unasked_alternates", "duplicate_alternate_ids", "alternate_without_confidence",
     "alternate_without_interval"): ("test_uc2_immediate.py", "no_alternates_unless_asked",
                                     {"O7", "R45", "R46", "R47"}),
    ("unknown_id_ok",): ("test_uc4_retrieve.py", "unknown_id", {"R86"}),
    ("errors_carry_poq_attributes",): ("test_errors.py", "install_offering-immediate",
                                       {"R41"}),
    ("list_ignores_filter",): ("test_uc3_list.py", "externalId", {"R80"}),
    # items first: each spoils only an answer still acknowledged
    ("deferred_items_not_acknowledged", "deferred_ack_in_progress"): (
        "test_uc2_deferred.py", "acknowledgement", {"R30", "R31"}),
    ("ready_while_item_working",): ("test_uc2_deferred.py", "life_cycle", {"R98", "R100"}),
    ("rejected_item_with_answer",): ("test_uc4_retrieve.py", "deferred_results", {"R90"}),
    ("duplicate_poq_ids",): ("test_uc_all_identifiers.py", "unique", {"R32", "R59"}),
    ("event_without_state",): ("test_uc5_notifications.py", "every_state_change",
                               {"R93", "R94"}),
    ("missing_item_notifications",): ("test_uc5_notifications.py", "every_state_change",
                                      {"R5"}),
    ("notify_unrequested_types",): ("test_uc5_notifications.py", "only_registered", {"R91"}),
    ("notify_after_unregister",): ("test_uc5_notifications.py", "after_unregistration",
                                   {"R6"}),
}


def _profile(tmp: Path) -> Path:
    """The mock's v8 profile with short notification waits (missing events end a wait)."""
    data = yaml.safe_load(bundled_profile_path("mock-v8").read_text(encoding="utf-8"))
    data["notifications"]["max_wait_s"] = 5
    path = tmp / "profile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run_suite(defects: tuple[str, ...], suite: str, keyword: str, out: Path) -> dict:
    scenario = scenario_for([get_defect(name) for name in defects])
    with MockServer(scenario) as seller:
        command = [
            sys.executable, "-m", "pytest", str(ROOT / "suites" / suite), "-k", keyword,
            "-q", "-p", "no:cacheprovider", "--seller-profile", str(_profile(out.parent)),
            "--seller-url", seller.base_url("v8"), "--poq-results", str(out),
        ]
        subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                       check=False)
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_case_breaks_what_its_defects_say() -> None:
    """A case expects only failures its registry entries declare (breaks or side effects)."""
    for defects, (_, _, expected) in CASES.items():
        allowed = set().union(*(get_defect(name).allowed_failures for name in defects))
        assert expected <= allowed, defects
