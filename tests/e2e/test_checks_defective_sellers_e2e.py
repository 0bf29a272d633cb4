"""The slow half of tests/test_checks_defective_sellers.py: suites against seeded defects."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_checks_defective_sellers import CASES, _run_suite


@pytest.mark.slow
@pytest.mark.parametrize("defects", list(CASES), ids=["+".join(d) for d in CASES])
def test_suites_catch_the_defect(tmp_path: Path, defects: tuple[str, ...]) -> None:
    suite, keyword, expected = CASES[defects]
    results = _run_suite(defects, suite, keyword, tmp_path / "results.json")
    failed = {r["id"] for r in results["requirements"] if r["status"] == "fail"}
    assert expected <= failed, f"{defects}: expected {sorted(expected)} to fail, got {failed}"


@pytest.mark.slow
def test_clean_mock_fails_nothing_on_the_same_selection(tmp_path: Path) -> None:
    results = _run_suite((), "test_uc2_immediate.py", "test_2a_install_offering",
                         tmp_path / "results.json")
    failed = [r["id"] for r in results["requirements"] if r["status"] == "fail"]
    assert failed == []
    assert any(r["status"] == "pass" for r in results["requirements"])
