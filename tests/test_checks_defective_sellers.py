"""Each suite check seen failing: the suites run against the bundled mock seller behind a
proxy that breaks one requirement, and must report exactly that requirement failed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from defective_sellers.proxy import DefectiveSeller

from harness.mock_process import MockSeller
from harness.profile import bundled_profile_path
from schemas.dialect import BASE_PATHS

ROOT = Path(__file__).resolve().parents[1]

# defect -> (suite file, -k expression, IDs that must fail)
CASES = {
    "no_seller_contact": ("test_uc2_immediate.py", "test_2a_install_offering", {"R38"}),
    "echo_changed": ("test_uc2_immediate.py", "test_2a_install_offering", {"R37"}),
    "item_dropped": ("test_uc2_immediate.py", "several_items", {"R42"}),
    "green_without_interval": ("test_uc2_immediate.py", "test_2a_install_offering", {"R44"}),
    "immediate_in_progress": ("test_uc2_immediate.py", "test_2a_install_offering",
                              {"R39", "R95"}),
    "unasked_alternates": ("test_uc2_immediate.py", "no_alternates_unless_asked",
                           {"O7", "R47", "R45", "R46"}),
    "unknown_id_ok": ("test_uc4_retrieve.py", "unknown_id", {"R86"}),
    "errors_leak": ("test_errors.py", "install_offering-immediate", {"R41"}),
    "list_ignores_filter": ("test_uc3_list.py", "externalId", {"R80"}),
    "deferred_answered_in_progress": ("test_uc2_deferred.py", "acknowledgement",
                                      {"R30", "R31"}),
    "ready_while_item_working": ("test_uc2_deferred.py", "life_cycle", {"R98", "R100"}),
    "rejected_item_with_answer": ("test_uc4_retrieve.py", "deferred_results", {"R90"}),
    "same_id_for_every_poq": ("test_uc_all_identifiers.py", "unique", {"R32", "R59"}),
    "notify_without_state": ("test_uc5_notifications.py", "every_state_change",
                             {"R93", "R94"}),
    "notify_missing_item_events": ("test_uc5_notifications.py", "every_state_change",
                                   {"R5"}),
    "notify_unregistered_type": ("test_uc5_notifications.py", "only_registered", {"R91"}),
    "notify_after_unregister": ("test_uc5_notifications.py", "after_unregistration", {"R6"}),
}


@pytest.fixture(scope="module")
def mock_seller() -> Iterator[MockSeller]:
    seller = MockSeller()
    seller.start()
    try:
        yield seller
    finally:
        seller.stop()


def _profile(tmp: Path) -> Path:
    """The mock's v8 profile with short notification waits (missing events end a wait)."""
    data = yaml.safe_load(bundled_profile_path("mock-v8").read_text(encoding="utf-8"))
    data["notifications"]["max_wait_s"] = 5
    path = tmp / "profile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run_suite(seller_url: str, suite: str, keyword: str, out: Path) -> dict:
    command = [
        sys.executable, "-m", "pytest", str(ROOT / "suites" / suite), "-k", keyword,
        "-q", "-p", "no:cacheprovider", "--seller-profile", str(_profile(out.parent)),
        "--seller-url", seller_url, "--poq-results", str(out),
    ]
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("defect", list(CASES))
def test_suites_catch_the_defect(mock_seller: MockSeller, tmp_path: Path, defect: str) -> None:
    suite, keyword, expected = CASES[defect]
    upstream = mock_seller.base_url("v8").split(BASE_PATHS["v8"])[0]
    proxy = DefectiveSeller(upstream, defect).start()
    try:
        results = _run_suite(f"http://127.0.0.1:{proxy.port}{BASE_PATHS['v8']}", suite,
                             keyword, tmp_path / "results.json")
    finally:
        proxy.stop()
    failed = {r["id"] for r in results["requirements"] if r["status"] == "fail"}
    assert expected <= failed, f"{defect}: expected {sorted(expected)} to fail, got {failed}"


@pytest.mark.slow
def test_clean_proxy_has_no_failure(mock_seller: MockSeller, tmp_path: Path) -> None:
    """The proxy itself is transparent: with a harmless defect nothing fails."""
    upstream = mock_seller.base_url("v8").split(BASE_PATHS["v8"])[0]
    proxy = DefectiveSeller(upstream, "unknown_id_ok").start()
    try:
        results = _run_suite(f"http://127.0.0.1:{proxy.port}{BASE_PATHS['v8']}",
                             "test_uc2_immediate.py", "test_2a_install_offering",
                             tmp_path / "results.json")
    finally:
        proxy.stop()
    failed = [r["id"] for r in results["requirements"] if r["status"] == "fail"]
    assert failed == []
    assert any(r["status"] == "pass" for r in results["requirements"])
