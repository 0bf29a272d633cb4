"""The slow half of tests/test_mock_buyer_conformance.py: the report file of a real process."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from mock_helpers import iso, poq
from test_mock_buyer_conformance import POQ_PATH, _row, _start, _stop, _wait_for, _without

from schemas.catalogue import load_catalogue
from schemas.results import validate_document


@pytest.mark.slow
def test_report_file_after_sigterm(tmp_path: Path) -> None:
    target = tmp_path / "out" / "buyer.json"
    proc, root = _start(["--buyer-report", str(target), "--buyer-mode", "lenient"])
    try:
        base = root + "/mefApi/sonata/productOfferingQualification/v8"
        body = _without("requestedPOQCompletionDate", instant=False)()
        assert requests.post(base + POQ_PATH, json=body, timeout=10).status_code == 201

        def written() -> bool:
            try:
                doc = json.loads(target.read_text("utf-8"))
            except (OSError, ValueError):
                return False
            return bool(doc["exchanges"])

        _wait_for(written)  # kept current while running: a kill -9 loses little
        ok = poq(instant=False, requested=iso(3600))
        assert requests.post(base + POQ_PATH, json=ok, timeout=10).status_code == 201
    finally:
        code = _stop(proc)
    assert code == 0
    doc = json.loads(target.read_text("utf-8"))
    assert validate_document(doc) == []
    assert doc["kind"] == "buyer" and doc["run"]["buyer_mode"] == "lenient"
    assert [r["id"] for r in doc["requirements"]] == [r.id for r in load_catalogue()]
    assert len(doc["exchanges"]) == 2  # the final write on SIGTERM has the second request
    assert _row(doc, "R11")["status"] == "fail"
    seller_side = [r for r in doc["requirements"] if r["actor"] == "seller"]
    assert seller_side and all(r["status"] == "not_applicable" for r in seller_side)


@pytest.mark.slow
@pytest.mark.parametrize("name, fmt, check", [
    ("buyer.html", None, lambda text: "<html" in text.lower()),
    ("buyer.xml", None, lambda text: ET.fromstring(text).tag in ("testsuites", "testsuite")),
    ("buyer.txt", "md", lambda text: "POQ conformance (buyer)" in text),
])
def test_report_file_formats(tmp_path: Path, name: str, fmt: str | None,
                             check: Callable[[str], bool]) -> None:
    target = tmp_path / name
    args = ["--buyer-report", str(target)] + (["--buyer-report-format", fmt] if fmt else [])
    proc, root = _start(args)
    try:
        base = root + "/mefApi/sonata/productOfferingQualification/v8"
        assert requests.post(base + POQ_PATH, json=poq(), timeout=10).status_code == 201
    finally:
        assert _stop(proc) == 0
    assert check(target.read_text("utf-8"))
    doc = json.loads(target.with_suffix(".json").read_text("utf-8"))
    assert validate_document(doc) == [] and _row(doc, "R9")["status"] == "pass"
