"""Run verdicts (schemas.run_verdict), actionable messages (harness.explain), the serving
check (harness.preflight.not_serving) and timelines that show each notification once."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import yaml

from harness.evidence import Exchange
from harness.explain import Explainer, clean, describe_errors, fragment_keys, seller_errors
from harness.payloads import PayloadBuilder
from harness.preflight import FragmentCheck, not_serving
from harness.profile import bundled_profile_path, load_profile
from harness.timeline import Timelines
from schemas.catalogue import is_gating, load_catalogue, parse_catalogue
from schemas.dialect import get_dialect
from schemas.results import Check
from schemas.run_verdict import judge

SELLER_RUN = {"use_cases": [], "capabilities": {"deferred": True}, "complete": True}


def row(rid: str, status: str, level: str = "MUST", **kw: Any) -> dict[str, Any]:
    base = {"id": rid, "level": level, "actor": "seller", "verification": "seller",
            "use_cases": ["2a"], "status": status, "reason": None, "checks": [],
            "gating": level in ("MUST", "MUST NOT")}
    return {**base, **kw}


def test_gating_failure_is_non_conformant() -> None:
    verdict, _ = judge([row("R1", "fail"), row("R2", "pass")], kind="seller", run=SELLER_RUN)
    assert verdict == "non_conformant"


def test_a_may_failure_does_not_gate_unless_the_catalogue_says_so() -> None:
    assert judge([row("O1", "fail", "MAY")], kind="seller", run=SELLER_RUN)[0] == "conformant"
    gated = row("O7", "fail", "MAY", gating=True)
    assert judge([gated], kind="seller", run=SELLER_RUN)[0] == "non_conformant"


def test_unjudged_gating_requirement_makes_the_run_incomplete_grouped_by_cause() -> None:
    rows = [
        row("R5", "not_tested", reason="test data refused: test_data.install_offering: HTTP 422"
                                       " (was: x)"),
        row("R6", "not_tested", reason="no notification arrived within 30 s"),
        row("R7", "not_tested", reason="no alternates observed"),
        row("R8", "not_tested", reason="no test reached it"),
        row("R9", "not_tested", reason="seller answered HTTP 503"),
    ]
    verdict, groups = judge(rows, kind="seller", run=SELLER_RUN,
                            applies_when={"R7": ("deferred",)})
    assert verdict == "incomplete"
    by = {g["group"]: g for g in groups}
    assert by["test_data_refused"]["ids"] == ["R5"]
    assert by["test_data_refused"]["details"] == [
        "test data refused: test_data.install_offering: HTTP 422"]
    assert by["timeouts"]["ids"] == ["R6"]
    assert by["capability_not_observed"]["ids"] == ["R7"]
    assert by["not_reached"]["ids"] == ["R8"]
    assert by["seller_errors"]["ids"] == ["R9"]


@pytest.mark.parametrize("kw", [{"actor": "buyer", "verification": "buyer"},
                                {"actor": "agreement", "verification": "not-testable"},
                                {"level": "SHOULD", "gating": False},
                                {"level": "MAY", "gating": True},  # a permission, unused
                                {"use_cases": ["3"]}])
def test_buyer_agreement_untestable_optional_and_deselected_ids_are_never_gaps(kw: Any) -> None:
    run = {**SELLER_RUN, "use_cases": ["2a"]}
    assert judge([row("R1", "not_tested", **kw)], kind="seller", run=run)[0] == "conformant"


def test_an_errored_test_counts_against_the_verdict() -> None:
    tests = [{"nodeid": "t::crash", "outcome": "error", "requirements": ["R1"],
              "longrepr": "Traceback\nE   RecursionError: too deep"}]
    verdict, groups = judge([row("R1", "pass")], kind="seller", run=SELLER_RUN, tests=tests)
    assert verdict == "incomplete"
    assert groups[0]["group"] == "test_errors"
    assert groups[0]["details"] == ["t::crash: RecursionError: too deep"]


def test_an_interrupted_run_is_never_conformant() -> None:
    run = {**SELLER_RUN, "complete": False, "interrupted": "2026-01-01T00:00:00Z"}
    verdict, groups = judge([row("R1", "pass")], kind="seller", run=run)
    assert verdict == "incomplete" and groups[-1]["group"] == "interrupted"


def test_buyer_reports_are_never_incomplete() -> None:
    rows = [row("R9", "not_tested", actor="buyer", verification="buyer")]
    assert judge(rows, kind="buyer", run={}) == ("conformant", [])


def test_is_gating_and_the_catalogue_key() -> None:
    cat = load_catalogue()
    assert is_gating(cat.get("R3")) and not is_gating(cat.get("O5"))
    raw = yaml.safe_load(resources.files("schemas.requirements").joinpath(
        "catalogue.yaml").read_text("utf-8"))
    entry = next(r for r in raw["requirements"] if r["id"] == "O7")
    o7 = parse_catalogue({**raw, "requirements": [{**entry, "gating": True}],
                          "inconsistencies": []}).get("O7")
    assert o7.level == "MAY" and o7.gating and is_gating(o7)


# -- messages -------------------------------------------------------------------------------

PROFILE = load_profile(bundled_profile_path("mock-v7"))
REFUSAL = [{"code": "referenceNotFound", "reason": "Unknown product offering 'X'",
            "propertyPath": "/productOfferingQualificationItem/0/product/productOffering/id"}]


def _create(ex_id: str, path: str, status: int, body: Any, test: str = "m.py::t") -> Exchange:
    request = PayloadBuilder(PROFILE).create(path, immediate=True)
    return Exchange(ex_id, test, "POST", "http://s/poq", request_body=request, status=status,
                    response_body=body, json=body)


def test_fragment_keys_name_the_test_data_behind_a_request() -> None:
    body = PayloadBuilder(PROFILE).create(["install_offering", "change_product"], immediate=True)
    assert fragment_keys(body, PROFILE) == ["install_offering", "change_product"]
    assert fragment_keys({"productOfferingQualificationItem": [{"id": "1"}]}, PROFILE) == []


def test_seller_errors_are_quoted_with_code_reason_and_pointer() -> None:
    assert describe_errors(seller_errors(REFUSAL)) == (
        "referenceNotFound: Unknown product offering 'X' at "
        "/productOfferingQualificationItem/0/product/productOffering/id")
    assert seller_errors("<html>") == [] and seller_errors({"id": "1"}) == []


def test_failed_check_names_key_and_error_and_never_none() -> None:
    ex = _create("ex-1", "change_product", 422, REFUSAL)
    fail = Check("R37", "m.py::t", "fail", "create answered (HTTP 422, None)", ["ex-1"], "t")
    [out] = Explainer(PROFILE, [ex], refused={}).apply([fail])
    assert out.status == "fail" and "None" not in out.message
    assert "request from test_data.change_product" in out.message
    assert "seller said: HTTP 422 referenceNotFound: Unknown product offering 'X'" in out.message
    assert clean("state None, HTTP None") == "state absent, no HTTP response"


def test_refused_fragment_turns_failures_into_not_tested_unless_trusted() -> None:
    ex = _create("ex-1", "install_offering", 422, REFUSAL, test="suites/a.py::t1")
    refused = {"install_offering": "the seller answered HTTP 422 referenceNotFound: ..."}
    fail = Check("R37", "suites/a.py::t1", "fail", "not answered with success", ["ex-1"], "t")
    later = Check("R5", "suites/a.py::t2", "not_tested", "the POQ could not be created", [], "t")
    other = Check("O10", "suites/a.py::t3", "not_tested", "offering kept", [], "t")
    out = Explainer(PROFILE, [ex], refused).apply([fail, later, other])
    assert [c.status for c in out] == ["not_tested", "not_tested", "not_tested"]
    assert out[0].message.startswith("test data refused: test_data.install_offering: ")
    assert "(was: not answered with success)" in out[0].message
    assert out[1].message.startswith("test data refused: test_data.install_offering")
    assert out[2].message == "offering kept"  # says nothing about a failed create
    trusted = Explainer(PROFILE, [ex], refused, trust_test_data=True).apply([fail])
    assert trusted[0].status == "fail"


def test_fragment_check_quotes_the_refusal() -> None:
    found = FragmentCheck("install_offering", "refused", "immediate", 422, REFUSAL)
    assert found.refusal.startswith("the seller answered HTTP 422 referenceNotFound: ")


# -- not serving the API ---------------------------------------------------------------------

def _ex(n: int, status: int | None, html: bool = True, error: str | None = None) -> Exchange:
    body = "<html>502</html>" if html else {"code": "x", "reason": "y"}
    return Exchange(f"ex-{n}", None, "GET", "http://s/poq", status=status,
                    response_headers={"Content-Type": "text/html" if html else
                                      "application/json"},
                    response_body=body, json=None if html else body, error=error)


def test_gateway_html_on_most_requests_is_an_environment_error() -> None:
    done = [_ex(i, 502) for i in range(5)] + [_ex(9, 200, html=False)]
    line = not_serving(done)
    assert line is not None and "5 of 6 request(s) answered HTTP 502 text/html" in line


def test_one_json_5xx_is_a_finding_not_an_environment_error() -> None:
    done = [_ex(i, 200, html=False) for i in range(8)] + [_ex(9, 500, html=False)]
    assert not_serving(done) is None
    assert not_serving([_ex(1, 502)]) is None  # one gateway page mid-run: judged
    assert not_serving([_ex(1, 502)], smoke=True) is not None  # but not on the smoke GET


def test_connection_failures_in_a_row_stop_the_run() -> None:
    done = [_ex(0, 200, html=False)] + [_ex(i, None, error="refused") for i in range(1, 6)]
    done[-1].url = "http://s/poq/1"  # no answer to more than one kind of request
    line = not_serving(done)
    assert line is not None and "the last 5 in a row" in line


def test_a_seller_dropping_one_kind_of_request_is_judged_not_stopped() -> None:
    """Say every invalid create closes the connection: a finding under the response-code
    IDs, while the seller answers everything else."""
    done = [_ex(0, 200, html=False)] + [_ex(i, None, error="closed") for i in range(1, 10)]
    assert not_serving(done) is None


# -- timelines --------------------------------------------------------------------------------

@dataclass
class Note:
    id: str
    json: dict[str, Any]
    received: str
    error: str | None = None

    @property
    def event_type(self) -> str | None:
        return self.json.get("eventType")

    @property
    def event(self) -> dict[str, Any]:
        return self.json["event"]


def test_each_notification_is_on_the_timeline_once_at_its_receive_time() -> None:
    tl = Timelines()
    tl.current_test = "t::a"
    note = Note("nt-1", {"eventType": "poqStateChangeEvent", "event": {"id": "P1"}},
                "2026-01-01T00:00:01.000Z")
    first = tl.record_notification(note, get_dialect("v7"))
    assert first is not None and first["time"] == "2026-01-01T00:00:01.000Z"
    assert first["poq_state"] is None and first["event"] == "poqStateChangeEvent"
    tl.current_test = "t::b"
    again = tl.record("P1", "notification", "READY", {}, "nt-1")  # a suite replaying it
    assert again is first
    assert sum(len(t["entries"]) for t in tl.to_list()) == 1


def test_a_run_stopped_by_the_environment_has_no_verdict_beyond_incomplete() -> None:
    run = {**SELLER_RUN, "complete": False, "environment_error": "HTML 502 everywhere"}
    verdict, groups = judge([row("R1", "fail")], kind="seller", run=run)
    assert verdict == "incomplete"
    assert groups[-1] == {"group": "seller_errors", "label": "seller errors", "ids": [],
                          "details": ["HTML 502 everywhere"]}


def test_a_skip_reason_naming_a_refusal_keeps_it_first() -> None:
    explainer = Explainer(PROFILE, [], refused={})
    said = explainer.hint("test skipped: Skipped: test data refused: test_data.x: HTTP 422", "m::t")
    assert said == "test data refused: test_data.x: HTTP 422"
    assert explainer.hint("test skipped: no POQ", "m::t") == "test skipped: no POQ"
