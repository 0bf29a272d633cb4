"""pytest plugin of poq-conformance (entry point ``pytest11: poq_conformance``).

Hooks, options and fixtures only; the logic lives in :mod:`harness.session`. Inert unless
``--seller-profile`` or ``--mock`` is given: it then registers its markers and nothing
else, so unrelated test suites in the same environment are untouched.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import ConfigError
from schemas.dialect import APIS, Dialect

if TYPE_CHECKING:  # the run machinery is imported only once a seller is configured
    from harness.client import SellerClient
    from harness.evidence import Recorder
    from harness.gates import CapabilityGate
    from harness.listener import Listener
    from harness.payloads import PayloadBuilder
    from harness.polling import PollResult
    from harness.profile import Profile
    from harness.session import RunState
    from harness.timeline import Timelines
    from harness.verdicts import Verdict

_STATE = pytest.StashKey["RunState"]()
_CONSOLE = pytest.StashKey["Any"]()
_SIGTERM = pytest.StashKey["Any"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("poq-conformance", "MEF 79.1 POQ seller certification")
    group.addoption("--seller-profile", metavar="FILE", help="seller profile (YAML)")
    group.addoption("--seller-url", metavar="URL", help="override the profile's base_url")
    group.addoption("--mock", action="store_true", default=False,
                    help="start the bundled mock seller and test it")
    group.addoption("--mock-api", default="v8", choices=APIS,
                    help="dialect of the bundled mock seller profile (default v8)")
    group.addoption("--mock-scenario", metavar="FILE", help="scenario file for --mock")
    group.addoption("--poq-results", metavar="PATH", help="write results.json here")
    group.addoption("--poq-uc", metavar="LIST",
                    help="run only tests marked with these use cases (e.g. 1,2a,4)")
    group.addoption("--poq-is-mock", action="store_true", default=False,
                    help="mark the results as a run against the bundled mock (used by the CLI)")
    group.addoption("--poq-progress", action="store_true", default=False,
                    help="one status line per test and live waiting lines (used by the CLI)")
    group.addoption("--poq-max-duration", metavar="SECONDS", type=float, default=None,
                    help="end the run (exit status 2) once it has taken this long; default "
                         "from the profile's waits")
    group.addoption("--poq-elapsed", metavar="SECONDS", type=float, default=0.0,
                    help="time the run already took before pytest started (used by the CLI)")
    group.addoption("--poq-trust-test-data", action="store_true", default=False,
                    help="a test_data fragment the seller refuses is the seller's failure "
                         "(R3), not a set-up finding")
    group.addoption("--poq-preflight", action="store_true", default=False,
                    help="try each test_data fragment before the first test (used by the CLI)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "uc(*use_cases): MEF 79.1 use cases a test covers")
    config.addinivalue_line("markers", "requirements(*ids): requirement IDs a test checks")
    if not (config.getoption("--seller-profile") or config.getoption("--mock")):
        return  # inert: the run machinery (harness.session and below) is never imported
    from harness.session import RunOptions

    opts = RunOptions(
        profile_path=config.getoption("--seller-profile"),
        seller_url=config.getoption("--seller-url"),
        mock=config.getoption("--mock"),
        mock_api=config.getoption("--mock-api"),
        mock_scenario=config.getoption("--mock-scenario"),
        is_mock=config.getoption("--poq-is-mock"),
        results_path=config.getoption("--poq-results"),
        use_cases=_split(config.getoption("--poq-uc")),
        max_duration_s=config.getoption("--poq-max-duration"),
        elapsed_s=config.getoption("--poq-elapsed"),
        trust_test_data=config.getoption("--poq-trust-test-data"),
        keyword=config.getoption("keyword") or None,
    )
    if not opts.active:
        return
    from harness.session import RunState

    try:
        state = RunState(opts)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_STATE] = state
    config.pluginmanager.register(RunHooks(config, state), "poq-conformance-run")
    _on_sigterm(config, state)
    if config.getoption("--poq-progress"):
        from harness import progress
        from harness.console import RunConsole

        console = RunConsole(config.pluginmanager.getplugin("capturemanager"))
        config.stash[_CONSOLE] = console
        progress.set_sink(console)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()
        del config.stash[_STATE]
    previous = config.stash.get(_SIGTERM, None)
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
        del config.stash[_SIGTERM]
    if config.stash.get(_CONSOLE, None) is not None:
        from harness import progress

        progress.set_sink(None)
        del config.stash[_CONSOLE]


def _on_sigterm(config: pytest.Config, state: RunState) -> None:
    """SIGTERM ends the run like Ctrl-C: pytest unwinds, results.json is still written
    (``run.complete: false``), listener and mock are stopped."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: Any) -> None:
        state.interrupted("SIGTERM")
        raise KeyboardInterrupt

    config.stash[_SIGTERM] = signal.signal(signal.SIGTERM, stop)


class RunHooks:
    """Hooks of an active run, registered only when a seller is configured."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config = config
        self.state = state
        self.results_path: str | None = None
        self.session: pytest.Session | None = None
        self._crash: dict[str, str] = {}

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Preflight: try each test_data fragment before the first test."""
        if (not session.items or self.config.option.collectonly
                or not self.config.getoption("--poq-preflight")):
            return
        refused = self.state.check_test_data()
        console = self.config.stash.get(_CONSOLE, None)
        meaning = ("(trusted as valid: a seller failure)" if self.state.options.trust_test_data
                   else "(set-up finding: requirements only it reaches are not tested)")
        if console is not None:
            for found in refused:
                console.setup_finding(f"test_data.{found.key}: {found.refusal} {meaning}")
        self._stop_if_not_serving()

    def _stop_if_not_serving(self) -> None:
        problem = self.state.serving_problem()
        if problem is not None and self.session is not None:
            self.session.shouldstop = problem

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        if isinstance(excinfo.value, pytest.Session.Interrupted) and self.session is not None \
                and self.session.shouldstop:
            return  # stopped by us (environment error), not by a signal
        self.state.interrupted(self.state.interrupted_by or "SIGINT")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        wanted = set(self.state.options.use_cases)
        for item in items:
            self.state.tag(item.nodeid, list(_marker_args(item, "uc")),
                           list(_marker_args(item, "requirements")))
        if not wanted:
            return
        keep = [i for i in items if wanted & set(_marker_args(i, "uc"))]
        drop = [i for i in items if not wanted & set(_marker_args(i, "uc"))]
        if drop:
            self.config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.state.begin_test(item.nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        try:
            result = yield
        except _JUDGED:
            raise
        except BaseException as exc:
            from harness.verdicts import VerdictFailure

            if not isinstance(exc, VerdictFailure):
                self.state.mark_errored(item.nodeid)
            raise
        refused = self.state.raise_if_failed(item.nodeid)
        if refused is not None:
            pytest.skip(refused)
        return result

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        done = self.state.note_report(
            report.nodeid, report.when, report.outcome, report.duration, _longrepr(report)
        )
        if report.when == "teardown":
            self.state.end_test()
            self._stop_if_not_serving()
        console = self.config.stash.get(_CONSOLE, None)
        if report.failed and console is not None:
            self._crash.setdefault(report.nodeid, _crash_line(report))
        if done is not None and console is not None:
            total, failed = self.state.check_counts(report.nodeid)
            # skipped after the fact: its failures rested on refused test data
            console.test_done(report.nodeid, done, total, 0 if done == "skipped" else failed)
            details = self.state.failure_lines.pop(report.nodeid, None)
            crash = self._crash.pop(report.nodeid, None)
            console.details(details or ([crash] if crash else []))

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        if self.config.stash.get(_CONSOLE, None) is None:
            return None
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            return report.outcome, "", ""
        return None

    def pytest_sessionfinish(self) -> None:
        path = self.state.finish()
        self.results_path = str(path) if path is not None else None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.results_path:
            terminalreporter.write_line(f"poq-conformance results: {self.results_path}")


# Exceptions that are a test's verdict or pytest's own control flow; anything else a test
# raises is an error (recorded with outcome "error").
_JUDGED = (pytest.skip.Exception, pytest.fail.Exception, pytest.xfail.Exception,
           pytest.exit.Exception)


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def poq_run(request: pytest.FixtureRequest) -> RunState:
    """The run state; skips when no seller was configured (--seller-profile / --mock)."""
    state = request.config.stash.get(_STATE, None)
    if state is None:
        pytest.skip("no seller configured: pass --seller-profile FILE or --mock")
    return state


@pytest.fixture(scope="session")
def seller_profile(poq_run: RunState) -> Profile:
    return poq_run.profile


@pytest.fixture(scope="session")
def dialect(poq_run: RunState) -> Dialect:
    return poq_run.dialect


@pytest.fixture(scope="session")
def seller(poq_run: RunState) -> SellerClient:
    """SellerClient: every call returns a recorded Exchange."""
    return poq_run.client


@pytest.fixture(scope="session")
def recorder(poq_run: RunState) -> Recorder:
    return poq_run.recorder


@pytest.fixture(scope="session")
def listener(poq_run: RunState) -> Listener:
    """The Buyer listener, started on first use and stopped at the end of the run."""
    return poq_run.listener


@pytest.fixture(scope="session")
def timeline(poq_run: RunState) -> Timelines:
    return poq_run.timelines


@pytest.fixture(scope="session")
def payloads(poq_run: RunState) -> PayloadBuilder:
    from harness.payloads import PayloadBuilder

    return PayloadBuilder(poq_run.profile)


@pytest.fixture
def verdict(poq_run: RunState, request: pytest.FixtureRequest) -> Verdict:
    return poq_run.verdict(request.node.nodeid)


@pytest.fixture
def capability(poq_run: RunState, verdict: Verdict, request: pytest.FixtureRequest
               ) -> CapabilityGate:
    """``capability.require("deferred")``: skip the test when the Seller did not agree
    to it, recording its requirements as not applicable with the reason."""
    from harness.gates import CapabilityGate

    return CapabilityGate(poq_run.profile, verdict,
                          _marker_args(request.node, "requirements"))


@pytest.fixture
def poll_poq(poq_run: RunState) -> Callable[..., PollResult]:
    """``poll_poq(poq_id)``: poll until final within the profile's deferred limits."""
    from harness.polling import poll_until_final

    def poll(poq_id: str, max_wait_s: float | None = None, interval_s: float | None = None
             ) -> PollResult:
        d = poq_run.profile.deferred
        return poll_until_final(
            poq_run.client, poq_id, poq_run.dialect,
            max_wait_s=max_wait_s or d.max_wait_s,
            interval_s=interval_s or d.poll_interval_s,
            timelines=poq_run.timelines,
        )

    return poll


# -- helpers (kept tiny; no run logic here) --------------------------------------------------

def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _marker_args(node: Any, name: str) -> Iterator[str]:
    for mark in node.iter_markers(name):
        for arg in mark.args:
            yield str(arg)


def _crash_line(report: pytest.TestReport) -> str:
    """One line for the console; the traceback goes to results.json and the HTML report."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or "").strip().splitlines()
    first = text[0] if text else "failed"
    return f"{first} (traceback in results.json tests[].longrepr; run with -v to see it here)"


def _longrepr(report: pytest.TestReport) -> str | None:
    if report.passed:
        return None
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return str(report.longrepr) if report.longrepr else None
