"""The slow half of tests/test_detection_matrix.py: the full matrix of harness runs, every
defect in each dialect that can express it, and the clean mock in both.

The clean runs use a mock in strict buyer-conformance mode (``buyer_conformance: {mode:
strict}``): it refuses any request that breaks a buyer-side requirement, so the same runs show
that the harness is a conformant buyer, never refused for a buyer-side requirement except by
the tests that send broken requests on purpose. Defect runs keep the default mode: strictness
never changes a defect's verdict."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
import requests
from mock_helpers import POQ, poq
from test_detection_matrix import RUNS

from mock_seller.proving.matrix import (
    DEFAULT_JOBS,
    STRICT_BUYER,
    RunOutcome,
    Verdict,
    run_matrix,
    scenario_for,
)
from mock_seller.server import MockServer
from schemas.operations import response_codes

Matrix = tuple[dict[tuple[str, str], Verdict], list[RunOutcome]]
# tests that send broken requests on purpose
ON_PURPOSE = ("test_errors.py", "test_robustness.py", "test_register_invalid_callback")
# A strict refusal names the requirement. Where the dialect defines a 422 for the operation,
# each entry of the 422 list has reason "R11: ..."; where it does not (v7 hub registration,
# retrieve), the answer is a 400 {code, reason} whose reason is "<pointer>: R12: ...".
BUYER_RULE = re.compile(r"^(?:/\S*: )?[RDO]\d+: ")


def buyer_refusals(doc: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(test, status, reason) of every answer in a results.json refusing a request for a
    buyer-side requirement, whichever of the two forms it takes."""
    found = []
    for ex in doc["exchanges"]:
        response = ex.get("response") or {}
        body = response.get("body")
        entries = body if isinstance(body, list) else [body]
        reasons = [e["reason"] for e in entries
                   if isinstance(e, dict) and isinstance(e.get("reason"), str)]
        hits = [r for r in reasons if BUYER_RULE.match(r)]
        if hits and (response.get("status") or 0) >= 400:
            found.append((ex.get("test") or "", response["status"], hits[0]))
    return found


def on_purpose(test: str) -> bool:
    return any(name in test for name in ON_PURPOSE)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    jobs = int(os.environ.get("POQ_MATRIX_JOBS", str(DEFAULT_JOBS)))
    verdicts, cleans = run_matrix(None, tmp_path_factory.mktemp("matrix"), jobs=jobs,
                                  strict_buyer=True)
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
        assert run.exit_code == 0, f"clean {run.api}: exit {run.exit_code}, not conformant"


@pytest.mark.slow
def test_harness_is_a_conformant_buyer(matrix: Matrix) -> None:
    """The clean runs' strict mock refused the harness only where a test meant it."""
    assert sorted(r.api for r in matrix[1]) == ["v7", "v8"]
    for run in matrix[1]:
        assert run.report is not None, run.error
        doc = json.loads((run.report / "results.json").read_text("utf-8"))
        refusals = buyer_refusals(doc)
        assert [r for r in refusals if not on_purpose(r[0])] == [], run.api
        # the mock was strict and its refusals are seen: the broken requests were refused,
        # in the 400 form too where the dialect has no 422 for hub registration
        meant = [r for r in refusals if on_purpose(r[0])]
        assert meant, f"clean {run.api}: no strict refusal of a broken request was seen"
        if 422 not in response_codes(run.api, "register"):
            assert any(status == 400 for _, status, _ in meant), run.api


@pytest.mark.slow
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_buyer_refusals_are_seen_in_both_forms(api: str) -> None:
    """The detector above against a real strict mock: a create without items (422 list, or
    whatever the dialect defines) and a registration without callback (400 in v7)."""
    with MockServer({**scenario_for(), **STRICT_BUYER}) as seller:
        base = seller.base_url(api)
        bad_create = requests.post(base + POQ, json=poq(productOfferingQualificationItem=[]),
                                   timeout=10)
        bad_hub = requests.post(base + "/hub", json={"query": ""}, timeout=10)
    exchanges = [{"test": name, "response": {"status": r.status_code, "body": r.json()}}
                 for name, r in (("create", bad_create), ("hub", bad_hub))]
    found = buyer_refusals({"exchanges": exchanges})
    assert [(test, status) for test, status, _ in found] == [
        ("create", bad_create.status_code), ("hub", bad_hub.status_code)], exchanges
    assert bad_create.status_code in (400, 422) and bad_hub.status_code in (400, 422)
    if 422 not in response_codes(api, "register"):
        assert bad_hub.status_code == 400 and isinstance(bad_hub.json(), dict)
