"""Report writers: render a results.json document as HTML, JUnit XML and Markdown; diff two
runs. Imports only ``schemas`` (see ARCHITECTURE.md)."""

from __future__ import annotations

from pathlib import Path

from reports._load import SUPPORTED_MAJOR, ResultsError, check_results, load_results
from reports.diff import DiffResult, IdChange, diff_results, format_diff, format_diff_markdown
from reports.html import render_html, write_html
from reports.junit import render_junit, write_junit
from reports.markdown import render_markdown, write_markdown

__all__ = [
    "FORMATS",
    "SUPPORTED_MAJOR",
    "DiffResult",
    "IdChange",
    "ResultsError",
    "check_results",
    "diff_results",
    "format_diff",
    "format_diff_markdown",
    "load_results",
    "render",
    "render_all",
    "render_html",
    "render_junit",
    "render_markdown",
    "write_html",
    "write_junit",
    "write_markdown",
]

# format -> (renderer, default file name)
FORMATS = {
    "html": (render_html, "report.html"),
    "junit": (render_junit, "junit.xml"),
    "md": (render_markdown, "summary.md"),
}


def render(doc: dict, fmt: str) -> str:
    """One format of an already loaded document, as text."""
    try:
        renderer = FORMATS[fmt][0]
    except KeyError:
        raise ResultsError(f"unknown report format {fmt!r} (use {', '.join(FORMATS)})") from None
    return renderer(doc)


def render_all(results_path: str | Path, report_dir: str | Path | None = None) -> dict[str, Path]:
    """Write report.html, junit.xml and summary.md for one results.json; return their paths.

    ``report_dir`` defaults to the folder of ``results_path``. Raises ResultsError on a
    document that cannot be rendered (one readable line).
    """
    results_path = Path(results_path)
    doc = load_results(results_path)
    out_dir = Path(report_dir) if report_dir is not None else results_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt, (renderer, name) in FORMATS.items():
        target = out_dir / name
        target.write_text(renderer(doc), encoding="utf-8")
        written[fmt] = target
    return written
