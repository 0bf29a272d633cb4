"""State of one certification run inside pytest: profile, client, listener, recorder,
timelines and the results collector. The pytest plugin only wires this to hooks."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.client import SellerClient
from harness.deadline import RunGuard, default_max_duration
from harness.errors import ConfigError
from harness.evidence import Recorder, now_rfc3339
from harness.listener import LOOPBACK, Listener, Network
from harness.mock_process import MockSeller
from harness.preflight import FragmentCheck, check_test_data, not_serving
from harness.profile import Profile, bundled_profile_path, load_profile
from harness.results import RunCollector
from harness.timeline import Timelines
from harness.verdicts import Verdict, VerdictFailure
from schemas.dialect import APIS, Dialect, get_dialect

PREFLIGHT = "preflight"  # the test name preflight exchanges are recorded under
OUTCOME_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


@dataclass(slots=True)
class RunOptions:
    """What the user asked for (pytest options or CLI flags)."""

    profile_path: str | None = None
    seller_url: str | None = None
    mock: bool = False
    mock_api: str = "v8"
    mock_scenario: str | None = None
    is_mock: bool = False  # the Seller is the bundled mock, started by someone else
    results_path: str | None = None
    use_cases: list[str] = field(default_factory=list)
    max_duration_s: float | None = None  # None: derived from the profile's waits
    elapsed_s: float = 0.0  # of that, already spent before pytest started (by the CLI)
    trust_test_data: bool = False  # a refused test-data fragment is the seller's failure
    keyword: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.profile_path or self.mock)


class RunState:
    """Everything a run shares across tests; built once per pytest session."""

    def __init__(self, options: RunOptions, catalogue: Any | None = None) -> None:
        self.options = options
        self.mock: MockSeller | None = None
        profile = self._load_profile(options)
        if options.mock:
            self.mock = MockSeller(options.mock_scenario)
            self.mock.start()
            profile = profile.with_base_url(self.mock.base_url(profile.api))
        elif options.seller_url:
            profile = profile.with_base_url(options.seller_url)
        self.profile: Profile = profile
        self.dialect: Dialect = get_dialect(profile.api)
        try:
            if catalogue is None:
                from schemas.catalogue import load_catalogue

                catalogue = load_catalogue()
        except Exception:
            if self.mock is not None:
                self.mock.stop()
            raise
        self.recorder = Recorder()
        self.timelines = Timelines()
        self.collector = RunCollector(
            catalogue, profile, self.recorder, self.timelines,
            mock=options.mock or options.is_mock, use_cases=options.use_cases,
        )
        max_duration = options.max_duration_s
        self.guard = RunGuard(default_max_duration(profile) if max_duration is None
                              else max_duration, on_stop=self._stop,
                              elapsed_s=options.elapsed_s)
        self.collector.trust_test_data = options.trust_test_data
        self.collector.keyword = options.keyword
        self.client = SellerClient(profile, self.recorder, guard=self.guard)
        self.preflight_poq_ids: list[str] = []
        self._listener: Listener | None = None
        self._errored: set[str] = set()
        self._outcomes: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, tuple[list[str], list[str]]] = {}
        self._verdicts: dict[str, list[Verdict]] = {}
        self.interrupted_by: str | None = None
        self.failure_lines: dict[str, list[str]] = {}

    @staticmethod
    def _load_profile(options: RunOptions) -> Profile:
        if options.profile_path:
            return load_profile(options.profile_path)
        if options.mock:
            if options.mock_api not in APIS:
                raise ConfigError(f"--mock-api: must be one of v8, v7, got {options.mock_api!r}")
            return load_profile(bundled_profile_path(f"mock-{options.mock_api}"))
        raise ConfigError("no seller profile: pass --seller-profile FILE or --mock")

    # -- lazily started pieces ---------------------------------------------------------
    @property
    def listener(self) -> Listener:
        if self._listener is None:
            cfg = self.profile.notifications
            self._listener = Listener(
                self.recorder, cfg.listen_host, cfg.listen_port, cfg.callback_url,
                self.profile.seller.record_body_chars,
                on_notification=lambda note: self.timelines.record_notification(
                    note, self.dialect
                ),
                allowed_sources=seller_sources(self.profile),
                guard=self.guard,
            ).start()
        return self._listener

    def _stop(self, reason: str) -> None:
        """The run cannot go on: the current test errors with ``reason`` and the pytest
        session ends (exit status 2, results.json still written)."""
        import pytest

        nodeid = self.recorder.current_test
        if nodeid is not None:
            self.mark_errored(nodeid)
            self.note_report(nodeid, "call", "failed", 0.0, f"run stopped: {reason}")
        pytest.exit(reason, returncode=2)

    def mark_errored(self, nodeid: str) -> None:
        """Test ``nodeid`` raised an exception (not a failed check): it is recorded with
        outcome ``error``, never as a quiet failure."""
        self._errored.add(nodeid)

    def verdict(self, nodeid: str) -> Verdict:
        """A new verdict for test ``nodeid``, remembered so the test fails at its end
        however the suites wrap the fixture."""
        made = Verdict(nodeid, self.collector.known_ids, self.collector.add_check)
        self._verdicts.setdefault(nodeid, []).append(made)
        return made

    def raise_if_failed(self, nodeid: str) -> str | None:
        """Fail test ``nodeid`` (VerdictFailure) when any of its checks failed, each
        message naming its test-data key and the seller's Error. Returns a skip reason
        when every failure rests on test data the seller refused (a set-up finding)."""
        verdicts = self._verdicts.pop(nodeid, [])
        failures = [c for v in verdicts for c in v.failures]
        if not failures:
            return None
        total = sum(len(v.checks) for v in verdicts)
        explained = self.collector.explainer().apply(failures)
        still = [c for c in explained if c.status == "fail"]
        if not still:
            return explained[0].message
        lines = [f"{c.requirement}: {c.message}"
                 + (f" [{', '.join(c.evidence)}]" if c.evidence else "") for c in still]
        self.failure_lines[nodeid] = lines
        raise VerdictFailure("\n".join(
            [f"{len(still)} of {total} requirement check(s) failed:"]
            + [f"  {line}" for line in lines]))

    def check_test_data(self) -> list[FragmentCheck]:
        """Preflight: one create per ``test_data`` fragment, recorded as evidence of the
        (pseudo) test ``preflight``; returns the refused ones."""
        self.begin_test(PREFLIGHT)
        try:
            found = check_test_data(self.profile, self.client)
        finally:
            self.end_test()
        self.collector.preflight = found
        self.preflight_poq_ids = [f.poq_id for f in found if f.poq_id]
        return [f for f in found if f.outcome == "refused"]

    def serving_problem(self) -> str | None:
        """Why the run should stop as an environment error (see :func:`not_serving`)."""
        problem = not_serving(self.recorder.snapshot()[0])
        if problem is not None:
            self.collector.environment_error = problem
        return problem

    def interrupted(self, signal_name: str = "SIGINT") -> None:
        """Remember when (and by what) the run was interrupted; results say complete: false."""
        if self.collector.interrupted is None:
            self.collector.interrupted = now_rfc3339()
            self.interrupted_by = self.collector.interrupted_by = signal_name

    def begin_test(self, nodeid: str) -> None:
        self.recorder.current_test = nodeid
        self.timelines.current_test = nodeid

    def end_test(self) -> None:
        self.recorder.current_test = None
        self.timelines.current_test = None

    def tag(self, nodeid: str, use_cases: list[str], requirements: list[str]) -> None:
        """Remember a test's ``uc`` and ``requirements`` markers."""
        self._tags[nodeid] = (use_cases, requirements)

    def check_counts(self, nodeid: str) -> tuple[int, int]:
        """(checks recorded, checks failed) by test ``nodeid``."""
        mine = [c for c in self.collector.checks if c.test == nodeid]
        return len(mine), sum(1 for c in mine if c.status == "fail")

    # -- outcomes ------------------------------------------------------------------------
    def note_report(
        self,
        nodeid: str,
        when: str,
        outcome: str,
        duration: float,
        longrepr: str | None,
    ) -> str | None:
        """Fold one phase report into the test's outcome; returns the outcome when the
        test is complete (teardown seen), for progress lines."""
        use_cases, requirements = self._tags.get(nodeid, ([], []))
        entry = self._outcomes.setdefault(
            nodeid,
            {"outcome": "passed", "duration": 0.0, "longrepr": None,
             "use_cases": use_cases, "requirements": requirements},
        )
        entry["duration"] += duration
        phase_outcome = outcome
        if outcome == "failed" and (when != "call" or nodeid in self._errored):
            phase_outcome = "error"
        if OUTCOME_RANK[phase_outcome] > OUTCOME_RANK[entry["outcome"]]:
            entry["outcome"] = phase_outcome
            entry["longrepr"] = longrepr
        if phase_outcome == "skipped" and longrepr:
            for req in requirements:
                self.collector.hint(req, f"test skipped: {longrepr}", nodeid)
        if when == "teardown":
            self._verdicts.pop(nodeid, None)
            self._errored.discard(nodeid)
            return str(entry["outcome"])
        return None

    def finish(self) -> Path | None:
        """Fold outcomes into the collector and write results.json when asked to."""
        for nodeid, entry in self._outcomes.items():
            self.collector.add_test(
                nodeid, entry["outcome"], entry["duration"], entry["use_cases"],
                entry["requirements"], entry["longrepr"],
            )
        self._outcomes.clear()
        if self.options.results_path:
            return self.collector.write(self.options.results_path)
        return None

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self.client.close()
        if self.mock is not None:
            self.mock.stop()
            self.mock = None


def seller_sources(profile: Profile) -> tuple[Network, ...] | None:
    """Where the Seller's notifications may come from: ``notifications.allowed_sources``,
    else loopback when the Seller runs on this host and is given the listener's own
    (loopback) address, else anywhere (None): behind a ``callback_url`` a local Seller may
    well post from another address (a container bridge, a tunnel)."""
    listed = profile.notifications.allowed_sources
    if listed is not None:
        return tuple(ipaddress.ip_network(v, strict=False) for v in listed)
    if profile.notifications.callback_url is not None:
        return None
    host = (urlsplit(profile.seller.base_url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return LOOPBACK
    try:
        return LOOPBACK if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None


__all__ = ["RunOptions", "RunState", "seller_sources"]
