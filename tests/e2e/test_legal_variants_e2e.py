"""The slow half of tests/test_legal_variants.py: a harness run per legal variant and
dialect, and the --fail-on-schema gate. A variant that changes only some answers is run with
the use cases whose tests meet it (``VARIANT_USE_CASES``); the others run every use case."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from test_legal_variants import RUNS, SCHEMA_DEVIATING

from mock_seller.proving.matrix import DEFAULT_JOBS, RunOutcome, run_harness, scenario_for
from mock_seller.proving.variants import VARIANT_USE_CASES, VARIANTS, use_cases_of
from schemas.catalogue import USE_CASES, load_catalogue


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RunOutcome]:
    work: Path = tmp_path_factory.mktemp("variants")
    jobs = int(os.environ.get("POQ_MATRIX_JOBS", str(DEFAULT_JOBS)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {run: pool.submit(run_harness, f"variant-{run[0]}",
                                    scenario_for(variants=[run[0]]), run[1],
                                    use_cases_of(run[0]), work)
                   for run in RUNS}
        return {run: f.result() for run, f in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=[f"{n}-{a}" for n, a in RUNS])
def test_harness_passes_legal_variant(variant_runs: dict[tuple[str, str], RunOutcome],
                                      run: tuple[str, str]) -> None:
    outcome = variant_runs[run]
    assert outcome.error is None, outcome.error
    assert outcome.must_failed() == set(), (
        f"{run[0]} ({run[1]}) is legal but the harness failed {sorted(outcome.must_failed())}")
    cat = load_catalogue()
    narrowed = set(use_cases_of(run[0]))
    if narrowed:  # every seller-side MUST of the use cases the variant touches was judged
        judged = {r.id: outcome.status[r.id] for r in cat if r.is_mandatory
                  and r.verification == "seller" and narrowed & set(r.use_cases)}
        assert "pass" in judged.values(), "the run judged nothing of its use cases"
        assert {i: s for i, s in judged.items() if s not in ("pass", "not_applicable")} == {}
    else:
        passed = [i for i, s in outcome.status.items()
                  if s == "pass" and cat.get(i).is_mandatory]
        assert len(passed) > 20, "the run judged almost nothing"
    if run in SCHEMA_DEVIATING:
        assert outcome.schema_deviations > 0, "the schema deviation went unreported"


@pytest.mark.slow
def test_fail_on_schema_gates_the_exit_code(tmp_path: Path) -> None:
    """Schema laxness is its own gate: exit 0 without --fail-on-schema, 1 with it."""
    scenario = scenario_for(variants=["lenient_schema"])
    args = (("2a",), tmp_path, "test_invalid_create_is_refused")
    plain = run_harness("plain", scenario, "v8", *args)
    gated = run_harness("gated", scenario, "v8", *args, extra=["--fail-on-schema"])
    assert plain.error is None and gated.error is None
    assert plain.schema_deviations > 0 and plain.failed() == set()
    assert (plain.exit_code, gated.exit_code) == (0, 1)


def test_variant_use_cases_name_real_variants_and_use_cases() -> None:
    assert set(VARIANT_USE_CASES) <= set(VARIANTS)
    for name, use_cases in VARIANT_USE_CASES.items():
        assert use_cases and set(use_cases) <= set(USE_CASES), name
