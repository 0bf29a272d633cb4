"""Markdown summary: counts table, failed MUSTs with messages, no links, short."""

from __future__ import annotations

import re

from reports import render_markdown
from reports.markdown import MAX_LISTED
from reports.sample import sample_results


def _outside_code(text: str) -> str:
    return re.sub(r"(`+)(?:(?!\1).)*?\1", "", text)


def test_counts_table_matches_requirements() -> None:
    doc = sample_results()
    md = render_markdown(doc)
    reqs = doc["requirements"]
    total = [r for r in md.splitlines() if r.startswith("| **All**")]
    expected = [
        sum(r["status"] == s for r in reqs)
        for s in ("pass", "fail", "not_applicable", "not_tested")
    ]
    assert total == [
        "| **All** | " + " | ".join(f"**{n}**" for n in expected) + f" | **{len(reqs)}** |"
    ]
    must = next(r for r in md.splitlines() if r.startswith("| MUST |"))
    counts = [int(c) for c in must.strip("|").split("|")[1:]]
    musts = [r for r in reqs if r["level"] == "MUST"]
    assert counts[-1] == len(musts) and counts[1] == sum(r["status"] == "fail" for r in musts)


def test_failed_musts_listed_with_messages() -> None:
    doc = sample_results(hostile=True)
    md = render_markdown(doc)
    failed = [
        r
        for r in doc["requirements"]
        if r["status"] == "fail" and r["level"] in ("MUST", "MUST NOT")
    ]
    assert failed and f"Failed MUST requirements ({len(failed)})" in md
    assert "NON-CONFORMANT" in md.splitlines()[0]
    for req in failed:
        assert f"- **{req['id']}** ({req['level']}" in md
        for check in req["checks"]:
            if check["status"] == "fail":
                assert check["message"].split(" </script>")[0] in md
    not_must = [
        r
        for r in doc["requirements"]
        if r["status"] == "fail" and r["level"] not in ("MUST", "MUST NOT")
    ]
    for req in not_must:
        assert f"- **{req['id']}**" not in md


def test_link_free_and_markup_inert() -> None:
    md = render_markdown(sample_results(hostile=True))
    plain = _outside_code(md)
    assert "](" not in md and "http" not in plain and "<" not in plain
    assert "TOPSECRET" not in md


def test_clean_run_says_so() -> None:
    doc = sample_results(fail_rate=0.0)
    md = render_markdown(doc)
    assert "Failed MUST" not in md and "No MUST requirement failed." in md


def test_long_failure_lists_are_capped() -> None:
    doc = sample_results(fail_rate=1.0)
    md = render_markdown(doc)
    failed = sum(
        r["status"] == "fail" and r["level"] in ("MUST", "MUST NOT") for r in doc["requirements"]
    )
    assert failed > MAX_LISTED
    assert md.count("\n- **") == MAX_LISTED
    assert f"and {failed - MAX_LISTED} more" in md
    assert len(md) < 65_000  # fits a pull-request comment


def test_every_report_opens_with_the_run_verdict() -> None:
    import copy

    from reports import render_html, render_junit
    from reports._common import verdict_line

    doc = copy.deepcopy(sample_results())
    doc["summary"]["verdict"] = "incomplete"
    doc["summary"]["incomplete"] = [{"group": "test_data_refused", "label": "test data refused",
                                     "ids": ["R5", "R6"], "details": ["test_data.x: HTTP 422"]}]
    for r in doc["requirements"]:
        if r["status"] == "fail":
            r["status"] = "pass"
    line, tone = verdict_line(doc)
    assert line.startswith("INCOMPLETE: ") and "test data refused: 2" in line and tone == "warn"
    assert render_markdown(doc).splitlines()[0].endswith(line)
    assert "### Not judged" in render_markdown(doc)
    assert f'id="verdict">{line}' in render_html(doc)
    assert render_junit(doc).splitlines()[1] == f"<!-- poq-conformance: {line} -->"
    doc["run"].update(complete=False, interrupted="2026-01-01T00:00:00Z", interrupted_by="SIGINT")
    assert verdict_line(doc)[0].startswith("INTERRUPTED at 2026-01-01T00:00:00Z (SIGINT)")
