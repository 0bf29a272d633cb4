"""``poq-conformance run``: certify a Seller (or the bundled mock) with the conformance
suites, write results.json and the reports.

Exit codes: 0 no MUST / MUST NOT requirement failed, 1 at least one did (or, with
``--fail-on-schema``, an API-schema deviation was found), 2 usage or configuration problem
(one line on stderr, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from harness.errors import ConfigError

USE_CASES = ("1", "2a", "2b", "2c", "3", "4", "5", "flow")


@click.command()
@click.option("--mock", "use_mock", is_flag=True, help="Certify the bundled mock seller.")
@click.option("--api", type=click.Choice(["v8", "v7"]), default=None,
              help="Dialect of the bundled mock seller (with --mock; default v8).")
@click.option("--scenario", "--mock-scenario", "scenario", type=click.Path(dir_okay=False),
              default=None,
              help="Scenario file for the bundled mock seller (with --mock). Without "
                   "--profile the bundled profile follows the scenario's response mode.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False), default=None,
              help="Seller profile (YAML) of the Seller to certify; with --mock, the "
                   "profile to use against the bundled mock (its base_url replaced).")
@click.option("--seller-url", metavar="URL", default=None,
              help="Override the profile's seller.base_url.")
@click.option("--uc", "use_cases", metavar="LIST", default=None,
              help="Only these use cases, comma separated (1,2a,2b,2c,3,4,5,flow).")
@click.option("-k", "keyword", metavar="EXPR", default=None,
              help="Only tests matching this pytest -k expression.")
@click.option("--report-dir", type=click.Path(file_okay=False), default="reports",
              show_default=True, help="Where results.json and the reports go.")
@click.option("--fail-on-schema", is_flag=True, default=False,
              help="Also exit 1 when an answer breaks the dialect's API schema or a "
                   "schema-breaking request was accepted (results.json schema_deviations).")
def run(
    use_mock: bool,
    api: str | None,
    scenario: str | None,
    profile_path: str | None,
    seller_url: str | None,
    use_cases: str | None,
    keyword: str | None,
    report_dir: str,
    fail_on_schema: bool,
) -> None:
    """Run the conformance suites against a Seller and write the reports."""
    if not use_mock and not profile_path:
        raise click.UsageError("give --mock or --profile FILE (or both: the profile against "
                               "the bundled mock)")
    if not use_mock and (api or scenario):
        raise click.UsageError("--api and --scenario go with --mock (a profile names its api)")
    if use_mock and profile_path and api:
        raise click.UsageError("--api: with --mock --profile the profile's seller.api is used")
    selected = _use_cases(use_cases)
    from harness.runner import RunRequest, execute

    outcome = execute(
        RunRequest(
            mock=use_mock,
            api=api or "v8",
            scenario=scenario,
            profile_path=profile_path,
            seller_url=seller_url,
            use_cases=selected,
            keyword=keyword,
            report_dir=Path(report_dir),
            fail_on_schema=fail_on_schema,
        )
    )
    raise SystemExit(outcome)


def _use_cases(value: str | None) -> list[str]:
    chosen = [v.strip() for v in (value or "").split(",") if v.strip()]
    unknown = [v for v in chosen if v not in USE_CASES]
    if unknown:
        raise click.UsageError(
            f"--uc: unknown use case {', '.join(unknown)}; expected some of {', '.join(USE_CASES)}"
        )
    return chosen


def summary_line(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    return (
        f"{s['pass']} pass, {s['fail']} fail, {s['not_applicable']} not applicable, "
        f"{s['not_tested']} not tested; MUST failed: {s['must_failed']}"
    )


def read_summary(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"run produced no readable results at {path}: {exc}") from None
    return doc  # type: ignore[no-any-return]


__all__ = ["run"]
