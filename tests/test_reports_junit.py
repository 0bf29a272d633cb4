"""JUnit XML: valid against our XSD, one case per requirement and per test, honest verdicts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib import resources

import pytest
import xmlschema

from reports import render_junit
from reports.sample import sample_results


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(resources.files("reports").joinpath("junit.xsd")))


@pytest.fixture(scope="module")
def doc() -> dict:
    return sample_results(hostile=True)


@pytest.fixture(scope="module")
def root(doc: dict) -> ET.Element:
    return ET.fromstring(render_junit(doc).encode("utf-8"))


def _props(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def test_valid_against_shipped_xsd(schema: xmlschema.XMLSchema, doc: dict) -> None:
    schema.validate(render_junit(doc))
    schema.validate(render_junit(sample_results(kind="buyer")))


def test_xsd_rejects_malformed_junit(schema: xmlschema.XMLSchema) -> None:
    assert not schema.is_valid(
        "<testsuites><testsuite tests='1'><testcase/></testsuite></testsuites>"
    )
    assert not schema.is_valid(
        "<testsuites><testsuite name='s' tests='x'></testsuite></testsuites>"
    )
    assert not schema.is_valid(
        "<testsuites><testsuite name='s' tests='1'><testcase name='a'><oops/></testcase>"
        "</testsuite></testsuites>"
    )


def test_one_case_per_requirement_with_properties(root: ET.Element, doc: dict) -> None:
    suite = root.find("testsuite[@name='requirements']")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r["id"] for r in doc["requirements"]]
    for case, req in zip(cases, doc["requirements"], strict=True):
        props = _props(case)
        assert props["requirement"] == req["id"] and props["level"] == req["level"]
        assert props.get("use_cases", "") == ",".join(req["use_cases"])
        failure, skipped = case.find("failure"), case.find("skipped")
        if req["status"] == "fail":
            assert failure is not None and skipped is None
            failing = [c for c in req["checks"] if c["status"] == "fail"]
            assert failure.get("message", "") in " ".join(failing[0]["message"].split())
            assert all(c["message"] in (failure.text or "") for c in failing)
        elif req["status"] in ("not_applicable", "not_tested"):
            assert skipped is not None and failure is None
            assert skipped.get("message", "").startswith(req["status"])
            assert req["reason"] in skipped.get("message", "")
        else:
            assert failure is None and skipped is None
    assert suite.get("tests") == str(len(doc["requirements"]))
    assert suite.get("failures") == str(sum(r["status"] == "fail" for r in doc["requirements"]))


def test_one_case_per_test(root: ET.Element, doc: dict) -> None:
    suite = root.find("testsuite[@name='tests']")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [_props(c)["nodeid"] for c in cases] == [t["nodeid"] for t in doc["tests"]]
    for case, test in zip(cases, doc["tests"], strict=True):
        assert _props(case).get("requirements", "") == ",".join(test["requirements"])
        assert (case.find("failure") is not None) == (test["outcome"] == "failed")
        assert float(case.get("time", "-1")) == pytest.approx(test["duration"], abs=1e-3)
    module, name = doc["tests"][0]["nodeid"].split("::")
    assert cases[0].get("name") == name
    assert cases[0].get("classname") == module.removesuffix(".py").replace("/", ".")


def test_error_skip_and_control_characters() -> None:
    doc = sample_results()
    doc["tests"][0].update(outcome="error", longrepr="fixture broke\x00\x1b[31m here")
    doc["tests"][1].update(outcome="skipped", longrepr="no deferred POQ in profile")
    root = ET.fromstring(render_junit(doc).encode("utf-8"))
    cases = root.find("testsuite[@name='tests']").findall("testcase")  # type: ignore[union-attr]
    error = cases[0].find("error")
    assert error is not None and "\x00" not in (error.text or "") and "fixture broke" in error.text
    skipped = cases[1].find("skipped")
    assert skipped is not None and skipped.get("message") == "no deferred POQ in profile"
    assert root.find("testsuite[@name='tests']").get("errors") == "1"  # type: ignore[union-attr]


def test_secrets_never_reach_junit(doc: dict) -> None:
    assert "TOPSECRET" not in render_junit(doc)
