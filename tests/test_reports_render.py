"""HTML report and render_all: self-contained, escaped, masked, bounded in size."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

import reports
from reports import _exchanges
from reports._mask import MASK, mask_body, mask_headers, mask_url
from reports.sample import HOSTILE_MARKUP, sample_results


class _Tags(HTMLParser):
    """Every element name and attribute name the browser's parser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attrs.update(name for name, _ in attrs)


def _write(tmp_path: Path, doc: dict, name: str = "results.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _data_blob(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="poq-data">(.*?)</script>', html, re.S)
    assert match, "the exchanges must travel as an inert JSON script element"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def hostile_doc() -> dict:
    return sample_results(hostile=True)


@pytest.fixture(scope="module")
def hostile_html(hostile_doc: dict) -> str:
    return reports.render_html(hostile_doc)


def test_render_all_writes_three_formats_next_to_results(tmp_path: Path) -> None:
    results = _write(tmp_path, sample_results())
    written = reports.render_all(results)
    assert {k: p.name for k, p in written.items()} == {
        "html": "report.html",
        "junit": "junit.xml",
        "md": "summary.md",
    }
    for path in written.values():
        assert path.parent == tmp_path and path.stat().st_size > 100


def test_render_all_honours_report_dir(tmp_path: Path) -> None:
    results = _write(tmp_path, sample_results())
    written = reports.render_all(results, tmp_path / "out" / "deep")
    assert all(p.parent == tmp_path / "out" / "deep" and p.exists() for p in written.values())


def test_render_all_refuses_bad_document(tmp_path: Path) -> None:
    results = _write(tmp_path, {"schema_version": "1.0", "kind": "seller"})
    with pytest.raises(reports.ResultsError, match="not a valid results document"):
        reports.render_all(results)
    assert not (tmp_path / "report.html").exists()


def test_html_is_self_contained(hostile_html: str) -> None:
    assert "<link" not in hostile_html
    assert not re.search(r"""\b(src|href|action)\s*=\s*["']?\s*(https?:)?//""", hostile_html)
    assert "@import" not in hostile_html and "url(" not in hostile_html
    assert re.search(r"<script\b[^>]*\bsrc=", hostile_html) is None
    # a Content-Security-Policy that forbids every fetch and every script but ours
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', hostile_html)
    assert csp and "default-src 'none'" in csp.group(1)
    script = re.search(r"<script>(.*?)</script>", hostile_html, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp.group(1)


def test_html_summary_counts_and_run_facts(hostile_doc: dict, hostile_html: str) -> None:
    run = hostile_doc["run"]
    for fact in (run["seller"], run["profile"], run["tool_version"], run["started"], "v8"):
        assert fact in hostile_html
    counts = re.findall(
        r'class="card st-(\w+)" data-status="\w+"><span class="n">(\d+)<', hostile_html
    )
    expected = {
        s: sum(1 for r in hostile_doc["requirements"] if r["status"] == s)
        for s in ("pass", "fail", "not_applicable", "not_tested")
    }
    assert {s: int(n) for s, n in counts} == expected


def test_html_matrix_has_every_requirement_with_filter_data(
    hostile_doc: dict, hostile_html: str
) -> None:
    for req in hostile_doc["requirements"]:
        row = re.search(
            rf'<tr class="req" data-id="{req["id"]}" data-status="(\w+)" '
            rf'data-level="([A-Z ]+)" data-ucs="([^"]*)"',
            hostile_html,
        )
        assert row, req["id"]
        assert row.group(1) == req["status"] and row.group(2) == req["level"]
        assert row.group(3).split() == (req["use_cases"] or ["general"])


def test_failures_show_paraphrase_section_message_and_evidence(
    hostile_doc: dict, hostile_html: str
) -> None:
    failed = [r for r in hostile_doc["requirements"] if r["status"] == "fail"]
    assert failed
    for req in failed:
        block = hostile_html.split(f'id="fail-{req["id"]}"', 1)[1]
        block = re.split(r'<details class="failure"|</section>', block, maxsplit=1)[0]
        assert f"section {req['section']}" in block
        message = next(c["message"] for c in req["checks"] if c["status"] == "fail")
        assert str(escape(message)) in block
        for ref in next(c["evidence"] for c in req["checks"] if c["status"] == "fail"):
            assert f'data-ref="{ref}"' in block


def test_hostile_markup_is_escaped_everywhere(hostile_html: str) -> None:
    assert HOSTILE_MARKUP not in hostile_html
    assert "<img" not in hostile_html
    tags = _Tags()
    tags.feed(hostile_html)
    assert "img" not in tags.names
    assert not [a for a in tags.attrs if a.startswith("on")], "no event-handler attributes"
    # exactly our two script elements: the JSON data and the code
    assert hostile_html.count("</script>") == 2
    assert hostile_html.count("<script") == 2
    assert "&lt;/script&gt;&lt;img src=x" in hostile_html  # the message, as text


def test_data_blob_round_trips_and_masks_secrets(hostile_doc: dict, hostile_html: str) -> None:
    data = _data_blob(hostile_html)
    assert len(data["exchanges"]) == len(hostile_doc["exchanges"])
    assert len(data["notifications"]) == len(hostile_doc["notifications"])
    first = data["exchanges"][0]
    assert first["request"]["headers"]["Authorization"] == MASK
    body = json.loads(first["response"]["body"])
    assert body["message"] == HOSTILE_MARKUP  # intact for the reader, inert in the page
    assert body["access_token"] == MASK
    assert "access_token=%2A%2A%2A" in first["url"] or "access_token=***" in first["url"]
    assert "TOPSECRET" not in hostile_html


def test_timelines_render_states_and_refs(hostile_doc: dict, hostile_html: str) -> None:
    assert hostile_doc["timelines"]
    section = hostile_html.split('id="timelines"', 1)[1].split("</section>", 1)[0]
    for tl in hostile_doc["timelines"]:
        assert f'data-poq="{tl["poq_id"]}"' in section
        for entry in tl["entries"]:
            assert f'data-ref="{entry["ref"]}"' in section
    assert "s-READY" in section and "<svg" in section


def test_no_timeline_section_without_timelines() -> None:
    doc = sample_results()
    doc["timelines"] = []
    assert 'id="timelines"' not in reports.render_html(doc)


def test_buyer_report_heading() -> None:
    html = reports.render_html(sample_results(kind="buyer"))
    assert "Buyer conformance report" in html and "buyer-under-test" in html


def test_chart_has_a_bar_per_use_case_status() -> None:
    doc = sample_results()
    html = reports.render_html(doc)
    chart = html.split('class="chart"', 1)[1].split("</svg>", 1)[0]
    for uc, counts in reports._common.counts_by_use_case(doc["requirements"]):
        for status, n in counts.items():
            assert (f'data-uc="{uc}" data-status="{status}"' in chart) == bool(n)


def test_big_bodies_are_cut_with_marker_and_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_exchanges, "BODY_BUDGET", 200_000)
    doc = sample_results(exchanges=120, big_body_bytes=150_000)
    html = reports.render_html(doc)
    data = _data_blob(html)
    cut = [e["response"] for e in data["exchanges"] if e["response"]["cut"]]
    assert cut, "the big bodies must be cut"
    for part in cut:
        assert len(part["body"]) < part["size"]
        assert part["size"] > 150_000
    small = [e["response"] for e in data["exchanges"] if not e["response"]["cut"]]
    assert small and all(len(p["body"]) == p["size"] for p in small)
    assert len(html) < 200_000 + 400_000


def test_cap_keeps_small_bodies_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_exchanges, "BODY_BUDGET", 10_000)
    cap = _exchanges._cap_for([100, 200, 50_000, 60_000])
    assert 1_024 <= cap < 50_000
    assert 100 + 200 + 2 * cap <= 10_000 or cap == _exchanges.MIN_BODY


def test_masking_helpers() -> None:
    assert mask_headers({"Authorization": "Bearer x", "X-Api-Key": "k", "Accept": "a"}) == {
        "Authorization": MASK,
        "X-Api-Key": MASK,
        "Accept": "a",
    }
    assert mask_body({"a": [{"client_secret": "s", "ok": 1}], "refresh_token": "t"}) == {
        "a": [{"client_secret": MASK, "ok": 1}],
        "refresh_token": MASK,
    }
    assert MASK not in mask_url("http://h/p?state=done&limit=2")
    assert "s3cret" not in mask_url("http://user:s3cret@h/p?token=abc&x=1")
    assert "abc" not in mask_url("http://h/p?token=abc&x=1")


def test_large_run_stays_under_20_mb() -> None:
    doc = sample_results(exchanges=5000, big_body_bytes=300_000, seed=7)
    html = reports.render_html(doc)
    assert len(html.encode("utf-8")) < 20_000_000
    data = _data_blob(html)
    assert len(data["exchanges"]) == 5000
    assert any(e["response"]["cut"] for e in data["exchanges"])


def _error_exchange(doc: dict) -> dict:
    """An exchange that never got a response (connection refused), recorded as such."""
    ex = {
        "id": f"ex-{len(doc['exchanges']) + 1}",
        "test": None,
        "method": "GET",
        "url": "http://127.0.0.1:9/x",
        "request": {"headers": {}, "body": "raw text <b>"},
        "response": None,
        "latency_ms": None,
        "started": "2026-11-20T09:30:00.000Z",
        "error": "connection refused",
        "truncated": False,
    }
    doc["exchanges"].append(ex)
    failing = next(r for r in doc["requirements"] if r["status"] == "fail")
    failing["checks"][-1]["evidence"].insert(0, ex["id"])
    return ex


def test_minimal_and_odd_documents_render(tmp_path: Path) -> None:
    doc = sample_results()
    ex = _error_exchange(doc)
    assert reports.check_results(doc)
    html = reports.render_html(doc)
    assert f"{ex['id']}: GET http://127.0.0.1:9/x -&gt; no response" in html
    record = next(e for e in _data_blob(html)["exchanges"] if e["id"] == ex["id"])
    assert record["response"]["status"] is None and record["request"]["json"] is False

    empty = {
        **sample_results(),
        "requirements": [],
        "tests": [],
        "exchanges": [],
        "notifications": [],
        "timelines": [],
    }
    written = reports.render_all(_write(tmp_path, empty))
    assert "0 of 0 requirements shown" in written["html"].read_text(encoding="utf-8")
    assert "No MUST requirement failed." in written["md"].read_text(encoding="utf-8")
