"""API-schema deviations: their own results section and gate, never a MEF 79.1 ID; the
official v7 schema's date / date-time contradiction is tolerated and noted once."""

from __future__ import annotations

from typing import Any

from harness.evidence import Exchange
from harness.schema_findings import V7_FIND_DATE, SchemaFindings, gating_deviations
from reports.markdown import render_markdown


def _findings(api: str) -> tuple[SchemaFindings, list[dict[str, Any]]]:
    sink: list[dict[str, Any]] = []
    return SchemaFindings(api, sink.append, lambda: "t::x"), sink


def _exchange(body: Any, status: int = 200) -> Exchange:
    return Exchange(id="ex-1", test=None, method="GET", url="u", status=status, json=body)


ROW = {"id": "p-1", "state": "done.ready", "requestedPOQCompletionDate": "2026-01-02T10:00:00Z"}


def test_v7_find_date_time_is_accepted_and_noted_once() -> None:
    findings, sink = _findings("v7")
    assert findings.response(_exchange([ROW, ROW]), "ProductOfferingQualification_Find",
                             list_of=True) == []
    findings.response(_exchange([ROW]), "ProductOfferingQualification_Find", list_of=True)
    assert [d["accepted"] for d in sink] == [True]
    assert sink[0]["note"] == V7_FIND_DATE
    assert gating_deviations({"schema_deviations": sink}) == []


def test_broken_answer_is_recorded_with_its_exchange() -> None:
    findings, sink = _findings("v7")
    bad = {**ROW, "requestedPOQCompletionDate": "next tuesday"}
    problems = findings.response(_exchange([bad]), "ProductOfferingQualification_Find",
                                 list_of=True)
    assert problems and sink[0]["exchange"] == "ex-1" and sink[0]["test"] == "t::x"
    assert sink[0]["direction"] == "response" and not sink[0]["accepted"]
    assert gating_deviations({"schema_deviations": sink}) == sink


def test_accepted_invalid_request_is_a_request_deviation() -> None:
    findings, sink = _findings("v8")
    findings.accepted_request(_exchange({"id": "p"}, 201), "ProductOfferingQualification_Create",
                              ["flag not a boolean"])
    assert sink[0]["direction"] == "request"
    assert "accepted with HTTP 201: flag not a boolean" in sink[0]["violations"][0]


def test_markdown_reports_the_section() -> None:
    doc = {"kind": "seller", "run": {"api": "v8"}, "requirements": [],
           "schema_deviations": [{"direction": "request", "type": "X", "exchange": "ex-9",
                                  "violations": ["accepted with HTTP 201: bad flag"],
                                  "accepted": False, "note": None}]}
    text = render_markdown(doc)
    assert "### API schema deviations (1)" in text and "ex-9" in text
    assert "API schema deviations" not in render_markdown({**doc, "schema_deviations": []})


def test_results_document_carries_the_section() -> None:
    from schemas.catalogue import load_catalogue
    from schemas.results import build_document, validate_document

    findings, sink = _findings("v8")
    findings.accepted_request(_exchange({}, 201), "ProductOfferingQualification_Create",
                              ["two items with one id"])
    run = {"api": "v8", "started": "2026-01-01T00:00:00.000Z",
           "finished": "2026-01-01T00:00:01.000Z", "tool_version": "0"}
    doc = build_document(kind="seller", run=run, catalogue=load_catalogue(), checks=[],
                         schema_deviations=sink)
    assert validate_document(doc) == [] and doc["schema_deviations"] == sink
    assert "schema_deviations" not in build_document(kind="buyer", run=run,
                                                     catalogue=load_catalogue(), checks=[])
