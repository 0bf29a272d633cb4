"""What ``poq-conformance run`` does: resolve the Seller (profile or bundled mock), make
sure it answers, run the installed ``suites`` package through pytest with our plugin,
then render the reports and turn the results into an exit code."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from harness import __version__
from harness.client import POQ, SellerClient
from harness.deadline import StopReason
from harness.errors import ConfigError
from harness.evidence import Recorder, now_rfc3339
from harness.mock_process import MockSeller
from harness.preflight import NotServing, is_gateway_answer, not_serving
from harness.profile import Profile, bundled_profile_path, load_profile
from harness.schema_findings import gating_deviations
from reports import render_all
from schemas.run_verdict import CONFORMANT, INCOMPLETE, NON_CONFORMANT, describe_gaps

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
    report_dir: Path = Path("poq-results")
    max_duration_s: float | None = None  # None: from the profile's waits
    allow_incomplete: bool = False  # exit 0 instead of 3 on an incomplete verdict
    trust_test_data: bool = False  # a refused test_data fragment is the seller's failure
    verbose: bool = False  # pytest tracebacks on the console
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
    if is_gateway_answer(ex):
        raise NotServing(str(not_serving([ex], smoke=True)))
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


def pytest_args(req: RunRequest, profile: Profile, profile_path: str, results: Path,
                elapsed_s: float = 0.0) -> list[str]:
    suites_dir = str(suites_path())
    args = [
        suites_dir,
        # only our plugin: a certification run must not depend on what else is installed
        # (a plugin reordering or retrying tests), nor pay for importing it
        "--disable-plugin-autoload", "-p", "poq_conformance",
        "-p", "no:cacheprovider",
        "--rootdir", suites_dir,
        "-q", "--no-header",
        # failures are listed by our console (checks) and results.json (tracebacks)
        *(["--tb=short", "-rfE"] if req.verbose else ["--tb=no", "-rN"]),
        # the CLI imported our packages before pytest started; rewriting them is not needed
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "--seller-profile", profile_path,
        "--seller-url", profile.seller.base_url,
        "--poq-results", str(results),
        "--poq-progress",
        "--poq-preflight",
    ]
    if req.mock:
        args.append("--poq-is-mock")
    if req.use_cases:
        args += ["--poq-uc", ",".join(req.use_cases)]
    if req.keyword:
        args += ["-k", req.keyword]
    if req.max_duration_s is not None:
        args += ["--poq-max-duration", f"{req.max_duration_s:g}"]
    if req.trust_test_data:
        args.append("--poq-trust-test-data")
    return [*args, "--poq-elapsed", f"{elapsed_s:.3f}"]


EXIT_CODES = {CONFORMANT: 0, NON_CONFORMANT: 1, INCOMPLETE: 3}
SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}  # the shell's 128 + signal number


class Interrupted(KeyboardInterrupt):
    """SIGINT / SIGTERM outside the pytest session: unwinds like Ctrl-C (the mock is stopped
    by its context manager); ``args[0]`` names the signal."""


def execute(req: RunRequest) -> int:
    """Run and report; returns the process exit code: 0 conformant, 1 non-conformant,
    3 incomplete (0 with ``allow_incomplete``), 130 / 143 interrupted; environment and
    configuration errors are ConfigError (exit 2)."""
    import pytest

    out = Console(highlight=False, soft_wrap=True)
    report_dir = req.report_dir
    results = report_dir / "results.json"
    started = now_rfc3339()
    clock0 = time.monotonic()
    stopped = StopReason()
    results.unlink(missing_ok=True)  # a stale document must never pass for this run's
    received: list[str] = []
    seen: list[Profile] = []
    previous = _raise_on_signals(received)
    try:
        with seller_under_test(req) as (profile, profile_path):
            seen.append(profile)
            preflight(profile)
            out.print(f"[bold]poq-conformance[/] certifying {escape(profile.seller.base_url)} "
                      f"(API {profile.api}, profile {escape(profile.name)})")
            report_dir.mkdir(parents=True, exist_ok=True)
            elapsed = time.monotonic() - clock0
            code = int(pytest.main(pytest_args(req, profile, profile_path, results, elapsed),
                                   plugins=[stopped]))
    except KeyboardInterrupt:
        code = 2
    except NotServing as exc:  # keep an artefact for CI: results.json and reports say why
        write_stopped(results, req, started, environment_error=str(exc),
                      profile=seen[-1] if seen else None)
        _render_reports(out, results, report_dir)
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopped.reason:  # a deadline passed (seller.timeout_s or --max-duration)
        if results.is_file():
            _render_reports(out, results, report_dir)
        raise ConfigError(stopped.reason)
    if code == 2 and not results.is_file():  # stopped before the suites could write
        write_stopped(results, req, started, interrupted_by=received[-1] if received else "SIGINT",
                      profile=seen[-1] if seen else None)
    if code == 5:
        raise ConfigError("no test selected (check --uc / -k)")
    if not results.is_file() or (code in PYTEST_USAGE_CODES and code != 2):
        raise ConfigError(f"run did not complete: {PYTEST_USAGE_CODES.get(code, code)}")
    doc = read_summary(results)
    _render_reports(out, results, report_dir)
    run = doc.get("run") or {}
    if run.get("environment_error"):
        raise ConfigError(str(run["environment_error"]))
    if run.get("complete") is False:
        by = str(run.get("interrupted_by") or "SIGINT")
        out.print(f"[red]{summary_line(doc)}[/]")
        return SIGNAL_EXIT.get(by, 130)
    if code in PYTEST_USAGE_CODES:
        raise ConfigError(f"run did not complete: {PYTEST_USAGE_CODES[code]}")
    _warn_unjudged(out, doc)
    verdict = str(doc["summary"].get("verdict") or INCOMPLETE)
    style = {CONFORMANT: "green", NON_CONFORMANT: "red"}.get(verdict, "yellow")
    out.print(f"[{style}]{summary_line(doc)}[/]")
    exit_code = EXIT_CODES.get(verdict, 3)
    if exit_code == 3 and req.allow_incomplete:
        exit_code = 0
    deviations = len(gating_deviations(doc))
    if deviations:
        gate = " (--fail-on-schema: exit 1)" if req.fail_on_schema else ""
        out.print(f"[yellow]API schema deviations: {deviations}{gate}[/]")
        if req.fail_on_schema:
            exit_code = 1
    return exit_code


def _raise_on_signals(received: list[str]) -> dict[int, Any]:
    """SIGINT and SIGTERM unwind like Ctrl-C, remembering which one came (the plugin
    takes SIGTERM over while the pytest session runs); returns the previous handlers."""
    def stop(signum: int, frame: Any) -> None:
        received.append(signal.Signals(signum).name)
        raise Interrupted(received[-1])

    return {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}


def write_stopped(results: Path, req: RunRequest, started: str, *,
                  interrupted_by: str | None = None,
                  environment_error: str | None = None,
                  profile: Profile | None = None) -> None:
    """results.json of a run stopped before the suites started (a signal, or nobody
    serving the API): nothing judged, ``run.complete: false`` and why."""
    from schemas.catalogue import load_catalogue
    from schemas.results import build_document, write_document

    now = now_rfc3339()
    run = {"seller": profile.seller.base_url if profile else req.seller_url,
           "api": profile.api if profile else req.api,
           "profile": (profile.source or profile.name) if profile else req.profile_path,
           "started": started, "finished": now, "tool_version": __version__,
           "use_cases": req.use_cases, "mock": req.mock, "complete": False,
           "interrupted": now if interrupted_by else None, "interrupted_by": interrupted_by,
           "environment_error": environment_error}
    doc = build_document(kind="seller", run=run, catalogue=load_catalogue(), checks=[],
                         reasons={})
    write_document(doc, results)


def interrupted_early(req: RunRequest, started: str) -> int:
    """Ctrl-C before :func:`execute` took over: still leave results.json and reports."""
    results = req.report_dir / "results.json"
    write_stopped(results, req, started, interrupted_by="SIGINT")
    out = Console(highlight=False, soft_wrap=True)
    _render_reports(out, results, req.report_dir)
    out.print(summary_line(read_summary(results)))
    return SIGNAL_EXIT["SIGINT"]


def summary_line(doc: dict[str, Any]) -> str:
    """The console's last line: the verdict first, then the counts."""
    s, run = doc["summary"], doc.get("run") or {}
    counts = (f"{s['pass']} pass, {s['fail']} fail, {s['not_applicable']} not applicable, "
              f"{s['not_tested']} not tested; MUST failed: {s['must_failed']}")
    if run.get("complete") is False and run.get("interrupted"):
        return (f"INTERRUPTED ({run.get('interrupted_by') or 'signal'}) at "
                f"{run['interrupted']}: partial results, {counts}")
    verdict = str(s.get("verdict") or "").upper().replace("_", "-")
    gaps = describe_gaps(s.get("incomplete") or [])
    return f"{verdict}: {counts}" + (f" (not judged: {gaps})" if gaps else "")


def read_summary(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"run produced no readable results at {path}: {exc}") from None
    return doc  # type: ignore[no-any-return]


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
        written = render_all(results, report_dir)
    except Exception as exc:  # a report writer bug must not hide the verdict
        out.print(f"[yellow]reports: could not render reports: {escape(str(exc))}[/]")
        return
    for name, path in (written or {}).items():
        out.print(f"{name}: {escape(str(path))}")


__all__ = ["RunRequest", "execute", "mock_profile_for_scenario", "preflight", "pytest_args",
           "read_summary", "scenario_profile_changes", "seller_under_test", "summary_line",
           "interrupted_early", "write_stopped"]
