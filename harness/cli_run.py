"""``poq-conformance run``: certify a Seller (or the bundled mock) with the conformance
suites, write results.json and the reports.

Exit codes: 0 conformant, 1 non-conformant (a gating requirement failed, or with
``--fail-on-schema`` an API-schema deviation was found), 2 usage, configuration or environment
error (one line on stderr, no traceback; also a run past ``--max-duration`` or three
requests in a row past ``seller.timeout_s``), 3 incomplete (nothing failed, but requirements
that apply were not judged; 0 with --allow-incomplete), 130 / 143 interrupted by SIGINT /
SIGTERM (results.json kept, marked incomplete).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from schemas.catalogue import USE_CASES
from schemas.dialect import APIS


@click.command()
@click.option("--mock", "use_mock", is_flag=True, help="Certify the bundled mock seller.")
@click.option("--api", type=click.Choice(APIS), default=None,
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
@click.option("--report-dir", type=click.Path(file_okay=False), default="poq-results",
              show_default=True, help="Where results.json and the reports go.")
@click.option("--max-duration", "max_duration", metavar="SECONDS",
              type=click.FloatRange(min=0, min_open=True), default=None,
              help="End the run as an environment error (exit 2) once it has taken this "
                   "long. Default: 20 x (deferred.max_wait_s + notifications.max_wait_s) "
                   "+ 300 s, from the profile.")
@click.option("--allow-incomplete", is_flag=True,
              help="Exit 0 instead of 3 when the verdict is incomplete.")
@click.option("--trust-test-data", is_flag=True,
              help="A test_data fragment the seller refuses in the preflight is a seller "
                   "failure (R3), not a set-up finding.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show pytest tracebacks on the console (always in results.json).")
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
    max_duration: float | None,
    allow_incomplete: bool,
    trust_test_data: bool,
    verbose: bool,
    fail_on_schema: bool,
) -> None:
    """Run the conformance suites against a Seller and write the reports.

    Before the suites, a preflight creates one POQ from each test_data fragment; a fragment
    the seller refuses is a set-up finding (requirements only it reaches are not tested).
    Exit codes: 0 conformant, 1 non-conformant, 2 usage / configuration / environment
    error, 3 incomplete, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
    """
    if not use_mock and not profile_path:
        raise click.UsageError("give --mock or --profile FILE (or both: the profile against "
                               "the bundled mock)")
    if not use_mock and (api or scenario):
        raise click.UsageError("--api and --scenario go with --mock (a profile names its api)")
    if use_mock and profile_path and api:
        raise click.UsageError("--api: with --mock --profile the profile's seller.api is used")
    selected = _use_cases(use_cases)
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    try:
        from harness.runner import RunRequest, execute

        req = RunRequest(
            mock=use_mock,
            api=api or "v8",
            scenario=scenario,
            profile_path=profile_path,
            seller_url=seller_url,
            use_cases=selected,
            keyword=keyword,
            report_dir=Path(report_dir),
            max_duration_s=max_duration,
            allow_incomplete=allow_incomplete,
            trust_test_data=trust_test_data,
            verbose=verbose,
            fail_on_schema=fail_on_schema,
        )
        outcome = execute(req)
    except KeyboardInterrupt:  # Ctrl-C while the harness itself was still loading
        outcome = _interrupted_early(use_mock, api, profile_path, seller_url, selected,
                                     report_dir, started)
    raise SystemExit(outcome)


def _interrupted_early(use_mock: bool, api: str | None, profile_path: str | None,
                       seller_url: str | None, selected: list[str], report_dir: str,
                       started: str) -> int:
    """Leave results.json and reports when the harness can still be loaded; a Ctrl-C in
    the middle of an import can leave a module half-initialised, then only say so."""
    try:
        from harness.runner import RunRequest, interrupted_early

        return interrupted_early(RunRequest(
            mock=use_mock, api=api or "v8", profile_path=profile_path, seller_url=seller_url,
            use_cases=selected, report_dir=Path(report_dir)), started)
    except Exception:  # noqa: BLE001 - nothing more can be written
        click.echo("poq-conformance: interrupted while loading; no results written", err=True)
        return 130


def _use_cases(value: str | None) -> list[str]:
    chosen = [v.strip() for v in (value or "").split(",") if v.strip()]
    unknown = [v for v in chosen if v not in USE_CASES]
    if unknown:
        raise click.UsageError(
            f"--uc: unknown use case {', '.join(unknown)}; expected some of {', '.join(USE_CASES)}"
        )
    return chosen


__all__ = ["run"]
