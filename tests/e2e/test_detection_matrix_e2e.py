"""The slow half of tests/test_detection_matrix.py: the full matrix of harness runs."""

from __future__ import annotations

import os

import pytest
from test_detection_matrix import DEFECTS

from mock_seller.proving.matrix import RunOutcome, Verdict, run_matrix


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Verdict],
                                                              list[RunOutcome]]:
    jobs = int(os.environ.get("POQ_MATRIX_JOBS", "2"))
    verdicts, cleans = run_matrix(None, tmp_path_factory.mktemp("matrix"), jobs=jobs)
    return {v.defect.name: v for v in verdicts}, cleans


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEFECTS))
def test_harness_catches_the_defect(matrix: tuple[dict[str, Verdict], list[RunOutcome]],
                                    name: str) -> None:
    verdict = matrix[0][name]
    assert verdict.run.error is None, verdict.run.error
    assert verdict.missed == [], f"{name}: the harness missed {verdict.missed}"
    assert verdict.unexpected == [], (
        f"{name}: undocumented MUST failures {verdict.unexpected} (a side effect to document "
        "in defects.yaml, or a defect that breaks more than it should)")


@pytest.mark.slow
def test_clean_mock_has_no_false_failure(
        matrix: tuple[dict[str, Verdict], list[RunOutcome]]) -> None:
    cleans = matrix[1]
    assert sorted(r.api for r in cleans) == ["v7", "v8"]
    for run in cleans:
        assert run.error is None, run.error
        assert run.failed() == set(), f"clean {run.api}: {sorted(run.failed())}"
        assert "pass" in run.status.values()
