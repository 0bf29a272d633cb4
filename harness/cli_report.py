"""`poq-conformance report` and `poq-conformance diff`: thin wrappers over the `reports`
package. Bad input is one readable line and exit code 2 (ConfigError); `diff` exits 1 only
when an ID fails now that did not fail in the baseline."""

from __future__ import annotations

from pathlib import Path

import click

from harness.errors import ConfigError
from reports import FORMATS, ResultsError, diff_results, format_diff, load_results, render


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
@click.pass_context
def diff(ctx: click.Context, baseline: Path, current: Path) -> None:
    """Show what changed per requirement ID from BASELINE to CURRENT (results.json files).

    Exit code 1 when an ID fails in CURRENT that did not fail in BASELINE, 0 otherwise,
    2 when either file cannot be read.
    """
    before, after = _load(baseline), _load(current)
    if before.get("kind") != after.get("kind"):
        click.echo(
            f"note: comparing a {before.get('kind')} document with a {after.get('kind')} one",
            err=True,
        )
    result = diff_results(before, after)
    click.echo(format_diff(result))
    ctx.exit(1 if result.new_failures else 0)
