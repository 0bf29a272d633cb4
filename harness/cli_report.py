"""`poq-conformance report` and `poq-conformance diff`: thin wrappers over the `reports`
package. Bad input is one readable line and exit code 2 (ConfigError); `diff` exits 1 when
an ID fails now that did not fail in the baseline, or was judged there and is not now."""

from __future__ import annotations

from pathlib import Path

import click

from harness.errors import ConfigError
from reports import (
    FORMATS,
    ResultsError,
    diff_results,
    format_diff,
    format_diff_markdown,
    load_results,
    render,
)


def _load(path: Path) -> dict:
    try:
        return load_results(path)
    except ResultsError as exc:
        raise ConfigError(str(exc)) from None


@click.command()
@click.argument("results", type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="html",
    show_default=True,
    help="html: self-contained page; junit: JUnit XML for CI; md: short Markdown summary.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="File to write ('-' for standard output). "
    "Default: report.html, junit.xml or summary.md next to RESULTS.",
)
def report(results: Path, fmt: str, out: str | None) -> None:
    """Render RESULTS (a results.json) as one report format."""
    doc = _load(results)
    try:
        text = render(doc, fmt)
    except ResultsError as exc:
        raise ConfigError(str(exc)) from None
    if out == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    target = Path(out) if out else results.parent / FORMATS[fmt][1]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {target}")


@click.command()
@click.argument("baseline", type=click.Path(dir_okay=True, path_type=Path))
@click.argument("current", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "md"]), default="text",
              show_default=True,
              help="text: one line per changed ID; md: Markdown with sections for new "
                   "failures and lost coverage (for a pull-request comment).")
@click.option("--allow-lost-coverage", is_flag=True,
              help="Exit 0 although IDs judged in BASELINE are not judged in CURRENT "
                   "(the behaviour before coverage was gated).")
@click.option("--allow-partial", is_flag=True,
              help="Compare an interrupted run (run.complete false) instead of refusing it.")
@click.pass_context
def diff(ctx: click.Context, baseline: Path, current: Path, fmt: str,
         allow_lost_coverage: bool, allow_partial: bool) -> None:
    """Show what changed per requirement ID from BASELINE to CURRENT (results.json files).

    \b
    Flagged:
      [NEW FAILURE]    an ID fails in CURRENT that did not fail in BASELINE
      [LOST COVERAGE]  an ID passed or failed in BASELINE and is now not_tested,
                       not_applicable or absent
      note: ...        CURRENT has another api, seller or profile, a narrower --uc set
                       or a -k filter: the runs are not like for like

    \b
    Exit codes:
      0  no new failure and no lost coverage
      1  a new failure, or lost coverage (unless --allow-lost-coverage)
      2  a file cannot be read, or a run was interrupted (unless --allow-partial)
    """
    before, after = _load(baseline), _load(current)
    for label, doc in (("BASELINE", before), ("CURRENT", after)):
        run = doc.get("run") or {}
        if run.get("complete") is False and not allow_partial:
            raise ConfigError(
                f"{label} is an interrupted run (run.complete false, interrupted at "
                f"{run.get('interrupted') or 'unknown time'}): its missing results would read "
                "as changes; rerun it, or pass --allow-partial")
    if before.get("kind") != after.get("kind"):
        click.echo(
            f"note: comparing a {before.get('kind')} document with a {after.get('kind')} one",
            err=True,
        )
    result = diff_results(before, after)
    click.echo(format_diff_markdown(result) if fmt == "md" else format_diff(result))
    lost = bool(result.lost_coverage) and not allow_lost_coverage
    ctx.exit(1 if result.new_failures or lost else 0)
