"""Benchmark (not a test): render a large run and load it in headless chromium.

    .venv/bin/python bench/bench_report.py [--exchanges 5000] [--big-body 300000] [--keep DIR]

Prints the size of each report file, the render time, and the browser figures: time to the
load event, and time to build the first exchange on expand (which parses the embedded JSON).
Targets for 5,000 exchanges: HTML under 20 MB, loaded in under 3 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import reports
from reports.sample import sample_results

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_figures(html: Path) -> dict[str, float] | str:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        return "no chromium (run .ci/install-browser.sh)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright not installed"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            started = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load", timeout=60_000)
            wall = time.perf_counter() - started
            nav = page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd}; }"
            )
            started = time.perf_counter()
            page.locator("#failures details.ev-ex > summary").first.click()
            page.locator("#failures .record").first.wait_for()
            expand = time.perf_counter() - started
            if errors:
                return f"page errors: {errors}"
            return {
                "wall_load_s": wall,
                "load_event_s": nav["load"] / 1000,
                "dom_content_loaded_s": nav["dcl"] / 1000,
                "first_expand_s": expand,
            }
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=5000)
    parser.add_argument(
        "--big-body",
        type=int,
        default=300_000,
        help="size of the body planted in every 50th exchange (0: none)",
    )
    parser.add_argument("--keep", type=Path, help="write the files here instead of a temp dir")
    args = parser.parse_args(argv)

    out = args.keep or Path(tempfile.mkdtemp(prefix="poq-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    doc = sample_results(exchanges=args.exchanges, big_body_bytes=args.big_body, seed=7)
    results = out / "results.json"
    results.write_text(json.dumps(doc), encoding="utf-8")
    generated = time.perf_counter() - started

    started = time.perf_counter()
    written = reports.render_all(results)
    rendered = time.perf_counter() - started

    print(
        f"exchanges: {len(doc['exchanges'])}, notifications: {len(doc['notifications'])}, "
        f"requirements: {len(doc['requirements'])}"
    )
    print(f"results.json: {results.stat().st_size / 1e6:.1f} MB (generated in {generated:.1f} s)")
    for path in written.values():
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
    print(f"render_all: {rendered:.2f} s")
    figures = _browser_figures(written["html"])
    if isinstance(figures, str):
        print(f"browser: skipped ({figures})")
        code = 0
    else:
        for name, value in figures.items():
            print(f"browser {name}: {value:.2f} s")
        size_ok = written["html"].stat().st_size < 20e6
        code = 0 if size_ok and figures["load_event_s"] < 3.0 else 1
        print("targets (< 20 MB, load < 3 s):", "met" if code == 0 else "MISSED")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    else:
        print(f"files kept in {out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
