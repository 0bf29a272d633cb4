"""State of one certification run inside pytest: profile, client, listener, recorder,
timelines and the results collector. The pytest plugin only wires this to hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.client import SellerClient
from harness.errors import ConfigError
from harness.evidence import Recorder
from harness.listener import Listener
from harness.mock_process import MockSeller
from harness.profile import Profile, bundled_profile_path, load_profile
from harness.results import RunCollector
from harness.timeline import Timelines
from harness.verdicts import Verdict, VerdictFailure
from schemas.dialect import APIS, Dialect, get_dialect

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
        self.client = SellerClient(profile, self.recorder)
        self._listener: Listener | None = None
        self._outcomes: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, tuple[list[str], list[str]]] = {}
        self._verdicts: dict[str, list[Verdict]] = {}

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
            ).start()
        return self._listener

    def verdict(self, nodeid: str) -> Verdict:
        """A new verdict for test ``nodeid``, remembered so the test fails at its end
        however the suites wrap the fixture."""
        made = Verdict(nodeid, self.collector.known_ids, self.collector.add_check)
        self._verdicts.setdefault(nodeid, []).append(made)
        return made

    def raise_if_failed(self, nodeid: str) -> None:
        """Fail test ``nodeid`` (VerdictFailure) when any of its checks failed."""
        verdicts = self._verdicts.pop(nodeid, [])
        failed = [v for v in verdicts if v.failures]
        if len(failed) == 1:
            failed[0].raise_if_failed()
        elif failed:
            raise VerdictFailure("\n".join(v.summary() for v in failed))

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
        if outcome == "failed" and when != "call":
            phase_outcome = "error"
        if OUTCOME_RANK[phase_outcome] > OUTCOME_RANK[entry["outcome"]]:
            entry["outcome"] = phase_outcome
            entry["longrepr"] = longrepr
        if phase_outcome == "skipped" and longrepr:
            for req in requirements:
                self.collector.hint(req, f"test skipped: {longrepr}")
        if when == "teardown":
            self._verdicts.pop(nodeid, None)
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


__all__ = ["RunOptions", "RunState"]
