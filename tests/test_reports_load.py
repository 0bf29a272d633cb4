"""Reading results.json: the schema is checked, extras tolerated, a wrong major refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports import ResultsError, check_results, load_results
from reports.sample import sample_results
from schemas.results import validate_document


def test_sample_documents_follow_the_shipped_schema() -> None:
    for doc in (sample_results(), sample_results(kind="buyer"), sample_results(hostile=True)):
        assert validate_document(doc) == []


def test_unknown_extra_fields_are_tolerated() -> None:
    doc = sample_results()
    doc["schema_version"] = "1.7"
    doc["future_top_level"] = {"anything": 1}
    doc["run"]["ci_job"] = "42"
    doc["requirements"][0]["new_field"] = [1, 2]
    doc["exchanges"][0]["tls"] = {"version": "1.3"}
    assert check_results(doc) is doc


@pytest.mark.parametrize("version", ["2.0", "0.9", "10.1", "x"])
def test_wrong_major_is_refused_with_a_clear_message(version: str) -> None:
    doc = sample_results()
    doc["schema_version"] = version
    with pytest.raises(ResultsError, match=r"schema_version .* is not supported .*1\.x"):
        check_results(doc, "run.json")


def test_missing_version_and_non_objects_are_refused() -> None:
    with pytest.raises(ResultsError, match="no schema_version"):
        check_results({"kind": "seller"})
    with pytest.raises(ResultsError, match="not a JSON object"):
        check_results([1, 2])


def test_schema_violations_are_named_by_pointer() -> None:
    doc = sample_results()
    doc["requirements"][3]["status"] = "passed"
    del doc["run"]["api"]
    with pytest.raises(ResultsError) as info:
        check_results(doc, "r.json")
    message = str(info.value)
    assert "/requirements/3/status" in message and "/run" in message
    assert "\n" not in message


def test_load_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such file"):
        load_results(tmp_path / "missing.json")
    with pytest.raises(ResultsError, match="is a directory"):
        load_results(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1.0",', encoding="utf-8")
    with pytest.raises(ResultsError, match=r"not JSON \(.* line 1 column"):
        load_results(bad)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ResultsError, match="cannot read"):
        load_results(binary)


def test_load_round_trip(tmp_path: Path) -> None:
    doc = sample_results()
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_results(path) == doc
