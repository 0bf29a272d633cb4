"""Results model (schemas.results) and the harness collector: folding, summary, every
catalogue ID present, schema-valid output, no secrets."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.evidence import Exchange, Recorder
from harness.profile import parse_profile
from harness.results import BUYER_SIDE, RunCollector
from harness.timeline import Timelines
from schemas.catalogue import load_catalogue
from schemas.results import (
    NO_TEST_REASON,
    SCHEMA_VERSION,
    Check,
    build_document,
    fold_status,
    load_document,
    validate_document,
    write_document,
)

RAW = {
    "seller": {"api": "v7",
               "base_url": "http://s.test/mefApi/sonata/productOfferingQualification/v7"},
    "capabilities": {"deferred": False, "product_specification": False, "change": False},
    "test_data": {
        "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
        "install_offering": {"product": {"productOffering": {"id": "1"}}},
    },
}


@dataclass
class Req:
    id: str
    level: str = "MUST"
    actor: str = "seller"
    use_cases: tuple[str, ...] = ("2a",)
    section: str = "8.1"
    paraphrase: str = "text"
    verification: str = "seller"
    not_testable_reason: str | None = None
    applies_when: tuple[str, ...] = field(default_factory=tuple)


def check(req: str, status: str, message: str = "m") -> Check:
    return Check(req, "t::x", status, message, [], "2026-01-01T00:00:00.000Z")


@pytest.mark.parametrize(
    ("statuses", "folded"),
    [
        (["pass", "fail", "not_applicable"], "fail"),
        (["not_tested", "pass"], "pass"),
        (["not_tested", "not_applicable"], "not_applicable"),
        (["not_tested"], "not_tested"),
        ([], "not_tested"),
    ],
)
def test_fold_status(statuses: list[str], folded: str) -> None:
    assert fold_status([check("R1", s) for s in statuses]) == folded


def test_build_document_shape_summary_and_reasons() -> None:
    cat = [Req("R1"), Req("R2", level="MUST NOT"), Req("D1", level="SHOULD"),
           Req("R3", verification="not-testable", not_testable_reason="agreement only"),
           Req("O1", level="MAY"), Req("R4")]
    doc = build_document(
        kind="seller",
        run={"api": "v8", "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:01:00Z",
             "tool_version": "0.1.0"},
        catalogue=cat,
        checks=[check("R1", "pass"), check("R2", "fail"), check("D1", "fail"),
                check("O1", "not_applicable", "capability off")],
        reasons={"R4": "test skipped: no deferred"},
    )
    assert doc["schema_version"] == SCHEMA_VERSION == "1.0"
    assert [r["id"] for r in doc["requirements"]] == ["R1", "R2", "D1", "R3", "O1", "R4"]
    rows = {r["id"]: r for r in doc["requirements"]}
    assert rows["R3"]["status"] == "not_tested" and rows["R3"]["reason"] == "agreement only"
    assert rows["O1"]["reason"] == "capability off"
    assert rows["R4"]["reason"] == "test skipped: no deferred"
    assert rows["R1"]["reason"] is None and rows["R1"]["checks"][0]["test"] == "t::x"
    s = doc["summary"]
    assert (s["pass"], s["fail"], s["not_applicable"], s["not_tested"]) == (1, 2, 1, 2)
    assert s["must_failed"] == 1  # D1 (SHOULD) does not count
    assert s["by_level"]["MUST NOT"]["fail"] == 1 and s["by_level"]["SHOULD"]["fail"] == 1
    assert validate_document(doc) == []


def test_unknown_requirement_in_checks_is_an_error() -> None:
    with pytest.raises(ValueError, match="R77"):
        build_document(kind="seller", run={}, catalogue=[Req("R1")], checks=[check("R77", "pass")])
    with pytest.raises(ValueError):
        build_document(kind="market", run={}, catalogue=[], checks=[])


def test_validation_names_pointers(tmp_path: Path) -> None:
    doc = build_document(kind="buyer", run={"api": "v7", "started": "2026-01-01T00:00:00Z",
                                              "finished": "2026-01-01T00:00:01Z",
                                              "tool_version": "x"},
                         catalogue=[Req("R1")], checks=[])
    path = write_document(doc, tmp_path / "out" / "results.json")
    assert load_document(path) == doc
    broken = copy.deepcopy(doc)
    broken["requirements"][0]["status"] = "maybe"
    broken["summary"].pop("must_failed")
    problems = validate_document(broken)
    assert any(p.startswith("/requirements/0/status") for p in problems)
    assert any(p.startswith("/summary") and "must_failed" in p for p in problems)


def test_collector_covers_whole_catalogue_and_applicability(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    profile = parse_profile(copy.deepcopy(RAW), env={})
    recorder, timelines = Recorder(), Timelines()
    collector = RunCollector(catalogue, profile, recorder, timelines, mock=False,
                             use_cases=["2a"])
    collector.add_check(check("R36", "pass"))
    timelines.current_test = "t::x"
    timelines.record("poq-1", "create", "READY", {"1": "READY"}, "ex-1")
    collector.add_test("t::x", "passed", 0.5, ["2a"], ["R36"])
    doc = collector.document()
    assert len(doc["requirements"]) == len(catalogue) == 125
    assert [r["id"] for r in doc["requirements"]] == catalogue.ids
    rows = {r["id"]: r for r in doc["requirements"]}
    assert rows["R36"]["status"] == "pass"
    for req in catalogue:
        row = rows[req.id]
        if req.id == "R36":
            continue
        if {"deferred", "change", "product_specification"} & set(req.applies_when):
            assert row["status"] == "not_applicable"
            assert row["reason"] in ("profile: capabilities.deferred is false",
                                     "profile: capabilities.change is false",
                                     "profile: capabilities.product_specification is false")
        elif "v8_only" in req.applies_when:
            assert row["status"] == "not_applicable"
            assert row["reason"] == "not representable in v7"
        elif req.verification == "not-testable" and row["status"] == "not_tested":
            assert row["reason"] == req.not_testable_reason
        elif req.verification == "buyer" and row["status"] == "not_tested":
            assert row["reason"] == BUYER_SIDE
    assert any(r["reason"] == NO_TEST_REASON for r in doc["requirements"])
    assert doc["run"]["api"] == "v7" and doc["run"]["use_cases"] == ["2a"]
    assert doc["timelines"] == [{"poq_id": "poq-1", "test": "t::x", "entries": [
        {"time": doc["timelines"][0]["entries"][0]["time"], "source": "create",
         "poq_state": "READY", "item_states": {"1": "READY"}, "ref": "ex-1"}]}]
    assert validate_document(doc) == []
    path = collector.write(tmp_path / "results.json")
    assert json.loads(path.read_text())["summary"] == doc["summary"]


def test_secrets_never_reach_the_document() -> None:
    raw: dict[str, Any] = copy.deepcopy(RAW)
    raw["seller"]["auth"] = {"type": "bearer", "token": "very-secret-token"}
    profile = parse_profile(raw, env={})
    recorder = Recorder()
    recorder.add_secret(profile.seller.auth.token)
    ex = Exchange(id="ex-1", test=None, method="POST", url="u?t=very-secret-token",
                  started="2026-01-01T00:00:00.000Z")
    ex.request_headers = recorder.headers({"Authorization": "Bearer very-secret-token",
                                           "X-Echo": "very-secret-token"})
    ex.request_body = recorder.scrub({"access_token": "a", "note": "very-secret-token"})
    ex.url = recorder.scrub(ex.url)
    recorder.add_exchange(ex)
    doc = RunCollector(load_catalogue(), profile, recorder, Timelines()).document()
    assert "very-secret-token" not in json.dumps(doc)
    assert validate_document(doc) == []
