"""The slow half of tests/test_detection_matrix.py: the full matrix of harness runs, every
defect in each dialect that can express it, and the clean mock in both."""

from __future__ import annotations

import os

import pytest
from test_detection_matrix import RUNS

from mock_seller.proving.matrix import DEFAULT_JOBS, RunOutcome, Verdict, run_matrix

Matrix = tuple[dict[tuple[str, str], Verdict], list[RunOutcome]]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    jobs = int(os.environ.get("POQ_MATRIX_JOBS", str(DEFAULT_JOBS)))
    verdicts, cleans = run_matrix(None, tmp_path_factory.mktemp("matrix"), jobs=jobs)
    return {(v.defect.name, v.run.api): v for v in verdicts}, cleans


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=[f"{n}-{a}" for n, a in RUNS])
def test_harness_catches_the_defect(matrix: Matrix, run: tuple[str, str]) -> None:
    name = run[0]
    verdict = matrix[0][run]
    assert verdict.run.error is None, verdict.run.error
    assert verdict.missed == [], f"{name}: the harness missed {verdict.missed}"
    assert verdict.unexpected == [], (
        f"{name}: undocumented MUST failures {verdict.unexpected} (a side effect to document "
        "in defects.yaml, or a defect that breaks more than it should)")


@pytest.mark.slow
def test_clean_mock_has_no_false_failure(matrix: Matrix) -> None:
    cleans = matrix[1]
    assert sorted(r.api for r in cleans) == ["v7", "v8"]
    for run in cleans:
        assert run.error is None, run.error
        assert run.failed() == set(), f"clean {run.api}: {sorted(run.failed())}"
        assert "pass" in run.status.values()
