"""The HTML report in a real headless browser (Debian chromium driven by Playwright):
loads with no console error, filters work, exchanges build on expand, hostile bodies stay
text. Skips without chromium locally; fails instead when CI=true."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reports
from reports.sample import sample_results

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("POQ_REPORT_ARTIFACTS", ROOT / "poq-results" / "artifacts"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {reason} (run .ci/install-browser.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        _unavailable("no chromium found (install with .ci/install-browser.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Page:
    """A page with the report loaded, and every console error or page error it raised."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1300, "height": 1000})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.set_default_timeout(60_000)  # a hang guard, not a speed goal: CI may be busy
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def visible_ids(self) -> set[str]:
        return set(
            self.page.eval_on_selector_all(
                "tr.req", "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.id)"
            )
        )

    def count_text(self) -> str:
        return self.page.inner_text("#f-count")


def _write_html(tmp_path: Path, doc: dict, name: str = "report.html") -> Path:
    path = tmp_path / name
    path.write_text(reports.render_html(doc), encoding="utf-8")
    return path


ERROR_EXCHANGE = {
    "id": "ex-9999",
    "test": None,
    "method": "GET",
    "url": "http://127.0.0.1:9/refused",
    "request": {"headers": {}, "body": "raw {text"},
    "response": None,
    "latency_ms": None,
    "started": "2026-11-20T09:30:00.000Z",
    "error": "connection refused",
    "truncated": False,
}


@pytest.fixture(scope="module")
def doc() -> dict:
    built = sample_results(exchanges=200)
    built["exchanges"].append(dict(ERROR_EXCHANGE))
    failing = next(r for r in built["requirements"] if r["status"] == "fail")
    failing["checks"][-1]["evidence"].append(ERROR_EXCHANGE["id"])
    return built


@pytest.fixture()
def page(browser: Any, doc: dict, tmp_path: Path) -> Iterator[Page]:
    loaded = Page(browser, _write_html(tmp_path, doc))
    yield loaded
    loaded.page.close()


def test_loads_without_console_errors_and_takes_screenshot(page: Page, doc: dict) -> None:
    assert page.page.title().startswith("POQ conformance report")
    assert page.errors == []
    page.page.locator("#all-exchanges > summary").click()
    page.page.locator("#pg-list details.ev > summary").first.click()
    assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    total = len(doc["requirements"])
    assert page.count_text() == f"{total} of {total} requirements shown"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    page.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_status_level_use_case_and_text_filters(page: Page, doc: dict) -> None:
    reqs = doc["requirements"]
    failed = {r["id"] for r in reqs if r["status"] == "fail"}
    assert failed
    for status in ("pass", "not_applicable", "not_tested"):
        page.page.uncheck(f"input[name=status][value={status}]")
    assert page.visible_ids() == failed
    assert page.count_text().startswith(f"{len(failed)} of ")

    page.page.check("input[name=status][value=pass]")
    page.page.select_option("#f-level", "MUST")
    expected = {r["id"] for r in reqs if r["status"] in ("fail", "pass") and r["level"] == "MUST"}
    assert page.visible_ids() == expected

    page.page.select_option("#f-uc", "2a")
    expected = {
        r["id"]
        for r in reqs
        if r["status"] in ("fail", "pass") and r["level"] == "MUST" and "2a" in r["use_cases"]
    }
    assert page.visible_ids() == expected
    hidden_groups = page.page.eval_on_selector_all(
        ".group", "gs => gs.filter(g => g.hidden).map(g => g.dataset.uc)"
    )
    assert "2a" not in hidden_groups and "1" in hidden_groups

    page.page.select_option("#f-uc", "")
    page.page.select_option("#f-level", "")
    for status in ("not_applicable", "not_tested"):
        page.page.check(f"input[name=status][value={status}]")
    target = reqs[len(reqs) // 2]
    page.page.fill("#f-text", target["id"].lower() + " " + target["paraphrase"].split()[-1])
    shown = page.visible_ids()
    assert target["id"] in shown and len(shown) < len(reqs)
    page.page.fill("#f-text", "no requirement says zzqqxx")
    assert page.visible_ids() == set() and page.count_text().startswith("0 of ")
    assert page.errors == []


def test_summary_card_filters_by_status(page: Page, doc: dict) -> None:
    page.page.click(".card[data-status=not_tested]")
    expected = {r["id"] for r in doc["requirements"] if r["status"] == "not_tested"}
    assert page.visible_ids() == expected


def test_exchange_is_built_on_expand(page: Page) -> None:
    evidence = page.page.locator("#failures details.ev-ex").first
    assert evidence.locator(".record").count() == 0  # nothing built before it is opened
    evidence.locator("summary").click()
    record = evidence.locator(".record")
    record.wait_for()
    assert "Request" in record.inner_text() and "Response" in record.inner_text()
    body = record.locator("pre.json").last.inner_text()
    assert re.search(r'^\{\n  "', body), "bodies are pretty-printed JSON"
    assert page.errors == []


def test_exchange_without_response_expands(page: Page) -> None:
    evidence = page.page.locator(f"#failures details.ev[data-ref={ERROR_EXCHANGE['id']}]")
    evidence.locator("summary").click()
    text = evidence.locator(".record").inner_text()
    assert "error: connection refused" in text and "raw {" in text
    assert page.errors == []


def test_timeline_and_paged_exchange_list(page: Page, doc: dict) -> None:
    page.page.locator("#timelines details.timeline summary").first.click()
    strip = page.page.locator("#timelines svg.strip").first
    assert strip.is_visible()
    page.page.locator("#all-exchanges > summary").click()
    assert page.page.locator("#pg-list details.ev").count() == 50
    pages = -(-(len(doc["exchanges"]) + len(doc["notifications"])) // 50)
    assert page.page.inner_text("#pg-info") == f"page 1 of {pages}"
    page.page.click("#pg-next")
    assert page.page.inner_text("#pg-info") == f"page 2 of {pages}"
    assert page.page.locator("#pg-list details.ev summary").first.inner_text().startswith("ex-51")
    assert page.errors == []


@pytest.mark.parametrize("strip_csp", [False, True], ids=["with-csp", "escaping-alone"])
def test_hostile_bodies_never_execute(browser: Any, tmp_path: Path, strip_csp: bool) -> None:
    html = reports.render_html(sample_results(hostile=True))
    if strip_csp:  # prove the escaping holds even without the policy's second lock
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    path = tmp_path / "hostile.html"
    path.write_text(html, encoding="utf-8")
    loaded = Page(browser, path)
    try:
        p = loaded.page
        p.locator("#all-exchanges > summary").click()
        # the toggle event (async) renders the page of exchanges: open them only after that,
        # or the render replaces the opened ones with fresh closed ones
        p.wait_for_function(
            "() => document.querySelectorAll('#all-exchanges details.ev').length > 0")
        opened = p.evaluate(
            "() => { const ds = document.querySelectorAll('details.ev');"
            " ds.forEach(d => { d.open = true; }); return ds.length; }"
        )
        assert opened > 0
        p.wait_for_function(
            "() => [...document.querySelectorAll('details.ev')].every(d => d.dataset.built)"
        )
        assert p.evaluate("window.__xss") is None
        records = p.locator("#failures .record")
        assert records.count() > 0 and "window.__xss=1" in records.first.inner_text()
        assert p.locator("img").count() == 0
        text = p.locator("#failures").inner_text()
        assert '<img src=x onerror="window.__xss=1">' in text  # shown as text
        assert "TOPSECRET" not in p.content()
        assert loaded.errors == []
    finally:
        loaded.page.close()


def test_install_script_is_a_no_op_when_installed() -> None:
    if _chromium() is None:
        pytest.skip("chromium is not installed here")
    import subprocess

    proc = subprocess.run(
        ["bash", str(ROOT / ".ci" / "install-browser.sh")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "already installed" in proc.stdout
