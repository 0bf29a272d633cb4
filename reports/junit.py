"""JUnit XML writer: one testcase per requirement ID and one per test, so CI dashboards
(Jenkins, GitLab, GitHub test reporters) show a certification run like any test run.

Requirement failures carry the failing checks' messages; not_applicable / not_tested become
skipped with the reason. The layout follows the widely read Ant/Jenkins JUnit dialect and
is checked against ``reports/junit.xsd``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from reports._common import counts_by_status, parse_time, verdict_line
from reports._mask import mask_url

__all__ = ["render_junit", "write_junit"]

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MESSAGE_MAX = 1_000


def _clean(text: object) -> str:
    """Text XML 1.0 can carry (control characters dropped)."""
    return _BAD_XML.sub("", "" if text is None else str(text))


def _short(text: object) -> str:
    one = " ".join(_clean(text).split())
    return one if len(one) <= _MESSAGE_MAX else one[: _MESSAGE_MAX - 3] + "..."


def _props(parent: ET.Element, pairs: list[tuple[str, object]]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in pairs:
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        ET.SubElement(props, "property", name=name, value=_clean(value))


def _requirement_case(suite: ET.Element, req: dict[str, Any]) -> None:
    ucs = [str(u) for u in req.get("use_cases") or []]
    case = ET.SubElement(
        suite,
        "testcase",
        classname="requirements." + (f"uc{ucs[0]}" if ucs else "general"),
        name=_clean(req.get("id")),
        time="0",
    )
    checks = req.get("checks") or []
    _props(
        case,
        [
            ("requirement", req.get("id")),
            ("level", req.get("level")),
            ("actor", req.get("actor")),
            ("section", req.get("section")),
            ("use_cases", ucs),
            ("tests", sorted({str(c.get("test")) for c in checks if c.get("test")})),
            ("paraphrase", req.get("paraphrase")),
        ],
    )
    status = req.get("status")
    if status == "fail":
        failed = [c for c in checks if c.get("status") == "fail"]
        first = failed[0].get("message") if failed else "requirement failed"
        node = ET.SubElement(case, "failure", message=_short(first), type=str(req.get("level")))
        node.text = _clean(
            "\n".join(
                f"{c.get('test')}: {c.get('message')}"
                + (
                    f" [evidence: {', '.join(map(str, c.get('evidence') or []))}]"
                    if c.get("evidence")
                    else ""
                )
                for c in failed
            )
            or first
        )
    elif status in ("not_applicable", "not_tested"):
        reason = req.get("reason") or next(
            (c.get("message") for c in checks if c.get("status") == status), None
        )
        ET.SubElement(case, "skipped", message=_short(f"{status}: {reason or 'no reason given'}"))


def _split_nodeid(nodeid: str) -> tuple[str, str]:
    path, _, rest = nodeid.partition("::")
    module = re.sub(r"\.py$", "", path).replace("/", ".").replace("\\", ".")
    if not rest:
        return "tests", module or nodeid
    parts = rest.split("::")
    return ".".join([module, *parts[:-1]]), parts[-1]


def _test_case(suite: ET.Element, test: dict[str, Any]) -> str:
    nodeid = str(test.get("nodeid") or "")
    classname, name = _split_nodeid(nodeid)
    duration = test.get("duration")
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(classname),
        name=_clean(name),
        time=f"{float(duration or 0):.3f}",
    )
    _props(
        case,
        [
            ("nodeid", nodeid),
            ("use_cases", test.get("use_cases") or []),
            ("requirements", test.get("requirements") or []),
        ],
    )
    outcome = str(test.get("outcome") or "")
    text = _clean(test.get("longrepr") or "")
    first = next((line for line in text.splitlines() if line.strip()), outcome)
    if outcome == "failed":
        ET.SubElement(case, "failure", message=_short(first), type="failed").text = text or None
    elif outcome == "error":
        ET.SubElement(case, "error", message=_short(first), type="error").text = text or None
    elif outcome in ("skipped", "xfailed"):
        ET.SubElement(case, "skipped", message=_short(first if text else outcome))
    return outcome


def _suite(root: ET.Element, name: str, doc: dict[str, Any]) -> ET.Element:
    run = doc.get("run") or {}
    attrs = {
        "name": name,
        "tests": "0",
        "failures": "0",
        "errors": "0",
        "skipped": "0",
        "time": "0",
    }
    started = parse_time(run.get("started"))
    if started is not None:
        attrs["timestamp"] = started.replace(tzinfo=None).isoformat(timespec="seconds")
    suite = ET.SubElement(root, "testsuite", attrs)
    _props(
        suite,
        [
            ("kind", doc.get("kind")),
            ("seller", mask_url(run.get("seller") or "")),
            ("buyer", run.get("buyer")),
            ("api", run.get("api")),
            ("profile", run.get("profile")),
            ("tool_version", run.get("tool_version")),
            ("use_cases", run.get("use_cases") or []),
            ("verdict", (doc.get("summary") or {}).get("verdict")),
            ("complete", None if run.get("complete") is None else str(run["complete"]).lower()),
        ],
    )
    return suite


def build_junit(doc: dict[str, Any]) -> ET.Element:
    """The <testsuites> tree: suite "requirements" then suite "tests"."""
    root = ET.Element("testsuites", name="poq-conformance")
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, dict)]
    req_suite = _suite(root, "requirements", doc)
    for req in requirements:
        _requirement_case(req_suite, req)
    counts = counts_by_status(requirements)
    req_suite.set("tests", str(len(requirements)))
    req_suite.set("failures", str(counts["fail"]))
    req_suite.set("skipped", str(counts["not_applicable"] + counts["not_tested"]))

    tests = [t for t in doc.get("tests") or [] if isinstance(t, dict)]
    test_suite = _suite(root, "tests", doc)
    outcomes = [_test_case(test_suite, t) for t in tests]
    total_time = sum(float(t.get("duration") or 0) for t in tests)
    test_suite.set("tests", str(len(tests)))
    test_suite.set("failures", str(outcomes.count("failed")))
    test_suite.set("errors", str(outcomes.count("error")))
    test_suite.set("skipped", str(outcomes.count("skipped") + outcomes.count("xfailed")))
    test_suite.set("time", f"{total_time:.3f}")

    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(int(req_suite.get(key, "0")) + int(test_suite.get(key, "0"))))
    root.set("time", f"{total_time:.3f}")
    return root


def render_junit(doc: dict[str, Any]) -> str:
    """The JUnit XML document as text (UTF-8 declaration included)."""
    root = build_junit(doc)
    ET.indent(root)
    verdict = _clean(verdict_line(doc)[0]).replace("--", "- -")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<!-- poq-conformance: {verdict} -->\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def write_junit(doc: dict[str, Any], path: str | Path) -> Path:
    """Write the JUnit XML report to ``path`` (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(doc), encoding="utf-8")
    return path
