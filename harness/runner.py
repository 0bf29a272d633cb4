"""What ``poq-conformance run`` does: resolve the Seller (profile or bundled mock), make
sure it answers, run the installed ``suites`` package through pytest with our plugin,
then render the reports and turn the results into an exit code."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from harness.client import POQ, SellerClient
from harness.errors import ConfigError
from harness.evidence import Recorder
from harness.mock_process import MockSeller
from harness.profile import Profile, bundled_profile_path, load_profile

PYTEST_USAGE_CODES = {2: "run interrupted", 3: "internal error in pytest or the suites",
                      4: "pytest usage error (see above)"}


@dataclass(slots=True)
class RunRequest:
    mock: bool = False
    api: str = "v8"
    scenario: str | None = None
    profile_path: str | None = None
    seller_url: str | None = None
    use_cases: list[str] = field(default_factory=list)
    keyword: str | None = None
    report_dir: Path = Path("reports")
    fail_on_schema: bool = False  # schema_deviations gate the exit code too


def preflight(profile: Profile) -> None:
    """Fail fast (ConfigError) when nothing answers at the Seller's base URL; any HTTP
    answer, even an error status, means the Seller is there."""
    client = SellerClient(profile, Recorder())
    try:
        ex = client.request("GET", POQ, params={"limit": 1},
                            timeout_s=min(profile.seller.timeout_s, 10.0))
    finally:
        client.close()
    if ex.status is None:
        raise ConfigError(f"seller unreachable at {profile.seller.base_url}: {ex.error}")
    # A seller that refuses our credentials would otherwise leave every check not tested and
    # the run green: that is a configuration problem, not a result.
    refused = ex.status == 401 or (ex.status == 403 and profile.capabilities.list)
    if refused:
        raise ConfigError(
            f"the seller refused our credentials (HTTP {ex.status} on GET {POQ}"
            f"{_reason(ex.response_body)}): check seller.auth in the profile"
        )


def _reason(body: Any) -> str:
    """The MEF Error reason of a refusal, when the body has one."""
    if isinstance(body, dict) and isinstance(body.get("reason"), str):
        return f": {body['reason'][:200]}"
    return ""


# scenario response_mode -> capabilities the bundled profile must not claim
RESPONSE_MODE_CAPABILITIES = {"deferred": {"immediate": False}, "immediate": {"deferred": False}}
SCENARIO_THRESHOLD_DEFAULT = 5000  # the mock's list.too_many_records when the key is absent


def scenario_profile_changes(scenario: str) -> dict[str, Any]:
    """What the bundled mock profile must say differently for this scenario file: the
    capabilities its response mode rules out (deferred-only -> no immediate, immediate-only
    -> no deferred), notifications when disabled, and the agreed too-many-records threshold.
    Read as plain YAML: the harness never imports the mock seller."""
    path = Path(scenario)
    if not path.is_file():
        raise ConfigError(f"mock scenario file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"mock scenario {path}: not readable YAML: "
                          f"{getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"mock scenario {path}: must be a mapping")
    caps: dict[str, Any] = dict(RESPONSE_MODE_CAPABILITIES.get(
        str(data.get("response_mode", "honour_flag")), {}))
    notes = data.get("notifications")
    if isinstance(notes, dict) and notes.get("enabled") is False:
        caps["notifications"] = False
    raw_list = data.get("list")
    listing: dict[str, Any] = raw_list if isinstance(raw_list, dict) else {}
    threshold = listing.get("too_many_records", SCENARIO_THRESHOLD_DEFAULT)
    return {"capabilities": caps,
            "list": {"too_many_records_threshold": threshold if isinstance(threshold, int)
                     and not isinstance(threshold, bool) and threshold > 0 else None}}


def mock_profile_for_scenario(api: str, scenario: str, out_dir: Path) -> str:
    """The bundled profile of ``api`` adapted to the scenario, written to ``out_dir`` (so
    the run records which profile it used); returns its path."""
    bundled = bundled_profile_path(f"mock-{api}")
    data = yaml.safe_load(bundled.read_text("utf-8"))
    changes = scenario_profile_changes(scenario)
    data.setdefault("capabilities", {}).update(changes["capabilities"])
    data["list"] = changes["list"]
    data["name"] = f"{data.get('name', bundled.stem)}+{Path(scenario).stem}"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"mock-{api}-profile.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return str(target)


@contextlib.contextmanager
def seller_under_test(req: RunRequest) -> Iterator[tuple[Profile, str]]:
    """The profile to use and its path; starts (and finally stops) the mock if asked.

    With ``--mock --profile FILE`` the given profile is used against the bundled mock (its
    base URL replaced); with ``--mock --scenario FILE`` alone the bundled profile is adapted
    to the scenario (:func:`mock_profile_for_scenario`)."""
    if req.mock:
        if req.profile_path:
            path = req.profile_path
        elif req.scenario:
            path = mock_profile_for_scenario(req.api, req.scenario, req.report_dir)
        else:
            path = str(bundled_profile_path(f"mock-{req.api}"))
        profile = load_profile(path)
        with MockSeller(req.scenario) as mock:
            yield profile.with_base_url(req.seller_url or mock.base_url(profile.api)), path
        return
    assert req.profile_path is not None
    profile = load_profile(req.profile_path)
    if req.seller_url:
        profile = profile.with_base_url(req.seller_url)
    yield profile, req.profile_path


def suites_path() -> Path:
    """Folder of the installed ``suites`` package, located without importing it: pytest
    collects it as files (the harness never imports the suites)."""
    spec = importlib.util.find_spec("suites")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the conformance suites package (suites) is not installed")
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def pytest_args(req: RunRequest, profile: Profile, profile_path: str, results: Path) -> list[str]:
    suites_dir = str(suites_path())
    args = [
        suites_dir,
        "-p", "poq_conformance",
        "-p", "no:cacheprovider",
        "--rootdir", suites_dir,
        "-q", "--tb=short", "--no-header",
        # the CLI imported our packages before pytest started; rewriting them is not needed
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "--seller-profile", profile_path,
        "--seller-url", profile.seller.base_url,
        "--poq-results", str(results),
        "--poq-progress",
    ]
    if req.mock:
        args.append("--poq-is-mock")
    if req.use_cases:
        args += ["--poq-uc", ",".join(req.use_cases)]
    if req.keyword:
        args += ["-k", req.keyword]
    return args


def execute(req: RunRequest) -> int:
    """Run and report; returns the process exit code (0, 1, or 2 via ConfigError)."""
    import pytest

    out = Console(highlight=False, soft_wrap=True)
    report_dir = req.report_dir
    results = report_dir / "results.json"
    with seller_under_test(req) as (profile, profile_path):
        preflight(profile)
        out.print(f"[bold]poq-conformance[/] certifying {escape(profile.seller.base_url)} "
                  f"(API {profile.api}, profile {escape(profile.name)})")
        report_dir.mkdir(parents=True, exist_ok=True)
        results.unlink(missing_ok=True)
        code = int(pytest.main(pytest_args(req, profile, profile_path, results)))
    if code == 5:
        raise ConfigError("no test selected (check --uc / -k)")
    if code in PYTEST_USAGE_CODES or not results.is_file():
        raise ConfigError(f"run did not complete: {PYTEST_USAGE_CODES.get(code, code)}")
    from harness.cli_run import read_summary, summary_line

    doc = read_summary(results)
    _render_reports(out, results, report_dir)
    _warn_unjudged(out, doc)
    must_failed = int(doc["summary"]["must_failed"])
    style = "red" if must_failed else "green"
    out.print(f"[{style}]{summary_line(doc)}[/]")
    from harness.schema_findings import gating_deviations

    deviations = len(gating_deviations(doc))
    if deviations:
        gate = " (--fail-on-schema: exit 1)" if req.fail_on_schema else ""
        out.print(f"[yellow]API schema deviations: {deviations}{gate}[/]")
    return 1 if must_failed or (req.fail_on_schema and deviations) else 0


def _warn_unjudged(out: Console, doc: dict[str, Any]) -> None:
    """Tests that failed or errored without a failed check point at a suite or harness
    problem (or a crash on bad Seller data): say so, they left requirements unchecked."""
    failed_by = {c["test"] for r in doc["requirements"] for c in r["checks"]
                 if c["status"] == "fail"}
    odd = [t["nodeid"] for t in doc["tests"]
           if t["outcome"] in ("failed", "error") and t["nodeid"] not in failed_by]
    if odd:
        out.print(f"[yellow]warning: {len(odd)} test(s) failed without a failed requirement "
                  f"check (their requirements may be untested): {escape(', '.join(odd))}[/]")


def _render_reports(out: Console, results: Path, report_dir: Path) -> None:
    try:
        import reports
    except ImportError:
        out.print("reports: the reports package is not installed; only results.json written")
        return
    render_all = getattr(reports, "render_all", None)
    if render_all is None:
        out.print("reports: reports.render_all is not available; only results.json written")
        return
    try:
        written = render_all(results, report_dir)
    except Exception as exc:  # a report writer bug must not hide the verdict
        out.print(f"[yellow]reports: could not render reports: {escape(str(exc))}[/]")
        return
    for name, path in (written or {}).items():
        out.print(f"{name}: {escape(str(path))}")


__all__ = ["RunRequest", "execute", "mock_profile_for_scenario", "preflight", "pytest_args",
           "scenario_profile_changes", "seller_under_test"]
