"""Legal variety: the mock seller switched into unusual but allowed behaviours
(mock_seller/variants.py) must pass the harness with no MUST / MUST NOT failure. Each
variant runs the full harness (v8, and v7 where the variant changes wire shapes)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mock_seller.defects.matrix import DEFAULT_JOBS, RunOutcome, run_harness, scenario_for
from mock_seller.scenario import load_scenario
from mock_seller.server import MockServer
from mock_seller.variants import VARIANTS
from schemas.catalogue import load_catalogue

V7_ONLY = {"no_item_state_logs", "v7_late_item_terminated"}  # no-ops in v8
V8_ONLY = {"always_immediate", "capped_pages", "slow_completion", "extra_seller_contacts",
           "no_expected_completion_date"}  # dialect-neutral: one dialect is enough
RUNS = [(name, "v8") for name in VARIANTS if name not in V7_ONLY] + [
    (name, "v7") for name in VARIANTS if name not in V8_ONLY]
# legal for MEF 79.1 but breaking the dialect's schema: reported apart, never as a failure
SCHEMA_DEVIATING = {("lenient_schema", "v8"), ("lenient_schema", "v7"),
                    ("no_state_change", "v8")}
BODY = {
    "instantSyncQualification": True,
    "provideAlternative": False,
    "externalId": "x-1",
    "relatedContactInformation": [{"role": "buyerContactInformation", "name": "Jane",
                                   "number": "+1-555-0199", "emailAddress": "j@buyer.example"}],
    "productOfferingQualificationItem": [
        {"id": str(n), "action": "add", "product": {
            "productOffering": {"id": "000073"}, "productConfiguration": {
                "@type": "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"}}}
        for n in (1, 2)],
}


def test_variant_overrides_reach_the_scenario() -> None:
    assert load_scenario(scenario_for(variants=["always_immediate"])).response_mode == (
        "immediate")
    assert load_scenario(scenario_for(variants=["capped_pages"])).max_page_size == 2
    slow = load_scenario(scenario_for(variants=["slow_completion"]))
    assert slow.in_progress_after == 1.0 and slow.variants == ("slow_completion",)


@pytest.fixture
def varied() -> Iterator[MockServer]:
    names = ["items_reordered", "extra_seller_contacts", "extension_fields"]
    with MockServer(scenario_for(variants=names)) as server:
        yield server


def test_answer_variants_change_the_wire_shape(varied: MockServer) -> None:
    url = varied.base_url("v8") + "/productOfferingQualification"
    body = requests.post(url, json=BODY, timeout=10).json()
    assert [i["id"] for i in body["productOfferingQualificationItem"]] == ["2", "1"]
    sellers = [c for c in body["relatedContactInformation"]
               if c["role"] == "sellerContactInformation"]
    assert len(sellers) == 2 and all(c.get("emailAddress") for c in sellers)
    assert body["@type"] == "ProductOfferingQualification"
    assert body["sellerTrackingReference"].startswith("TRK-")
    rows = requests.get(url, params={"externalId": "x-1"}, timeout=10).json()
    assert rows and all("sellerTrackingReference" in r for r in rows)


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RunOutcome]:
    work: Path = tmp_path_factory.mktemp("variants")
    jobs = int(os.environ.get("POQ_MATRIX_JOBS", str(DEFAULT_JOBS)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {run: pool.submit(run_harness, f"variant-{run[0]}",
                                    scenario_for(variants=[run[0]]), run[1], (), work)
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
    passed = [i for i, s in outcome.status.items() if s == "pass" and cat.get(i).is_mandatory]
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
