"""``PoqSeller``: the mock seller as a buyer's test sees it (the ``poq_seller`` fixture).

One real mock seller (waitress on a free port) for the whole test session; ``reset`` brings
it back to the session's scenario before each test. Deferred POQs wait for the test to move
them (``advance`` / ``complete``) unless ``use(clock="real")``. Every API request is kept
with its answer and buyer-side findings for the assertions.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mock_seller.buyer.checks import MODES
from mock_seller.buyer.hooks import state_of as buyer_state_of
from mock_seller.core.scenario import Scenario, load_scenario
from mock_seller.proving.runtime import switch_of
from mock_seller.sandbox.control import LocalControl
from mock_seller.server import MockServer
from mock_seller.testing import journal
from mock_seller.testing.clock import ManualClock
from mock_seller.testing.journal import BodyFilter, BuyerFinding, RecordedRequest

RESPONSE_MODES = ("honour_flag", "immediate", "deferred")
CLOCKS = ("manual", "real")


def _describe(**filters: Any) -> str:
    given = [f"{k}={v!r}" for k, v in filters.items() if v is not None]
    return " ".join(given) or "(any request)"


class PoqSeller:
    """A running mock seller with per-test settings and assertions; outside pytest::

        seller = PoqSeller("default").start()
        url = seller.base_url("v8")  # http://127.0.0.1:PORT/mefApi/sonata/...
        ...
        seller.stop()
    """

    def __init__(self, scenario: str | Path | dict[str, Any] = "default",
                 host: str = "127.0.0.1", port: int = 0, threads: int = 8) -> None:
        self._source = scenario
        self.scenario: Scenario = load_scenario(scenario, _prepare())
        self.server = MockServer(self.scenario, host=host, port=port, threads=threads)
        self.app = self.server.app
        self.engine = self.server.engine
        self.clock = ManualClock(self.engine.scheduler, self.engine)
        self.engine.scheduler = self.clock  # type: ignore[assignment]
        self.journal = journal.install(self.app)
        self._control = LocalControl(self.app)
        buyer = buyer_state_of(self.app)
        self._base_mode = buyer.mode if buyer is not None else "off"
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> PoqSeller:
        if not self._started:
            self.server.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self.server.stop()
            self._started = False

    def reset(self) -> None:
        """Back to the session's scenario: no POQs, subscriptions, faults, defects or records;
        buyer mode as the scenario says; deferred POQs wait for ``advance``/``complete``."""
        if self.engine.scenario is not self.scenario:
            self._control.set_scenario(self.scenario)
        self._control.reset()
        switch_of(self.app).set(self.scenario.defects)
        self._set_buyer_mode(self._base_mode)
        self.clock.held = True
        self.clock.clear()
        self.journal.clear()

    # -- addresses --------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        return self.server.root_url

    def base_url(self, api: str = "v8", family: str = "sonata") -> str:
        """Base URL of one dialect, e.g. ``base_url("v7")`` or ``base_url("v8", "cantata")``."""
        if api not in ("v8", "v7") or family not in ("sonata", "cantata"):
            raise ValueError(f"unknown API {api!r}/{family!r}: use v8 or v7, sonata or cantata")
        return self.server.base_url(api, family)

    # -- per-test settings ------------------------------------------------------------------
    def use(self, scenario: str | Path | dict[str, Any] | None = None, *,
            defects: list[str] | None = None, variants: list[str] | None = None,
            faults: dict[str, Any] | None = None, buyer_mode: str | None = None,
            response_mode: str | None = None, clock: str | None = None) -> PoqSeller:
        """Change the mock for this test (the next ``reset`` undoes it). ``scenario``: a
        bundled name, a file (overlays welcome) or a mapping; ``faults``: as ``PUT
        /_mock/faults`` (docs/sandbox.md); ``clock="real"`` lets deferred POQs run on their
        own timeline."""
        if buyer_mode is not None and buyer_mode not in MODES:
            raise ValueError(f"buyer_mode must be one of {', '.join(MODES)}, not {buyer_mode!r}")
        if response_mode is not None and response_mode not in RESPONSE_MODES:
            raise ValueError(f"response_mode must be one of {', '.join(RESPONSE_MODES)}, "
                             f"not {response_mode!r}")
        if clock is not None and clock not in CLOCKS:
            raise ValueError(f"clock must be one of {', '.join(CLOCKS)}, not {clock!r}")
        if scenario is not None or variants is not None or response_mode is not None:
            chosen = self._scenario(scenario, variants, response_mode)
            self._control.set_scenario(chosen)
            self._set_buyer_mode(chosen.buyer_conformance.get("mode") or self._base_mode)
        if defects is not None:
            switch_of(self.app).set(defects)
        if faults is not None:
            self._control.set_faults(faults)
        if buyer_mode is not None:
            self._set_buyer_mode(buyer_mode)
        if clock == "real":
            self.clock.release()
        elif clock == "manual":
            self.clock.held = True
        return self

    def _scenario(self, scenario: Any, variants: list[str] | None,
                  response_mode: str | None) -> Scenario:
        if scenario is None and not variants:  # only the response mode changes
            loaded = self.engine.scenario
        else:
            source = self._source if scenario is None else scenario
            if variants:
                source = ({**source, "variants": list(variants)} if isinstance(source, dict)
                          else {"extends": str(source), "variants": list(variants)})
            loaded = load_scenario(source, _prepare())
        if response_mode is not None:
            loaded = dataclasses.replace(loaded, response_mode=response_mode)
        return loaded

    def _set_buyer_mode(self, mode: str) -> None:
        state = buyer_state_of(self.app)
        if state is not None:
            state.mode = mode

    # -- deferred POQs ----------------------------------------------------------------------
    def advance(self, poq_id: str | None = None, *, wait: float = 5.0) -> dict[str, str]:
        """Move every waiting deferred POQ (or ``poq_id``) one step along its timeline:
        ACKNOWLEDGED -> IN_PROGRESS, then one item answered per step. Returns the MEF states
        after the step, once the notifications it caused were delivered (or ``wait`` s)."""
        moved = self.clock.step(poq_id)
        if poq_id is not None and not moved:
            self._known(poq_id)
        self.wait_for_notifications(wait)
        return {pid: self.engine.state_of(api, pid) or "" for api, pid in moved}

    def complete(self, poq_id: str | None = None, *, wait: float = 5.0) -> str | dict[str, str]:
        """Run a deferred POQ (or, without ``poq_id``, every one) to its final state now;
        returns its MEF state (READY, REJECTED, UNABLE_TO_MEET_TIME, ...), or a mapping of
        id -> state. Notifications are delivered before it returns (up to ``wait`` s)."""
        moved = self.clock.finish(poq_id)
        self.wait_for_notifications(wait)
        if poq_id is None:
            return {pid: self.engine.state_of(api, pid) or "" for api, pid in moved}
        return self._known(poq_id)

    def waiting(self) -> list[str]:
        """Ids of the deferred POQs still waiting for ``advance``/``complete``."""
        return [pid for _, pid in self.clock.waiting()]

    def _known(self, poq_id: str) -> str:
        for api in ("v8", "v7"):
            state = self.engine.state_of(api, poq_id)
            if state is not None:
                return state
        raise LookupError(f"the mock seller has no POQ {poq_id!r} (created in this test?)")

    def wait_for_notifications(self, timeout: float = 5.0) -> bool:
        """Until every queued notification was delivered or given up (True), or ``timeout``."""
        notifier = self.engine.notifier
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while not notifier.idle():
            if time.monotonic() >= deadline:
                return False
            pause.wait(0.005)
        return True

    # -- what arrived -----------------------------------------------------------------------
    def requests(self, method: str | None = None, path: str | None = None,
                 body: BodyFilter = None, *, api: str | None = None,
                 status: int | None = None) -> list[RecordedRequest]:
        """API requests of this test, oldest first. ``path``: the route under the API base
        (``/productOfferingQualification``, ``/hub/*``; ``*`` wildcards) or the full path;
        ``body``: a mapping the request body contains, or a predicate."""
        return [r for r in self.journal.rows()
                if journal.matches(r, method, path, body, api, status)]

    def assert_called(self, method: str | None = None, path: str | None = None,
                      body: BodyFilter = None, *, times: int | None = None,
                      api: str | None = None, status: int | None = None
                      ) -> list[RecordedRequest]:
        """The matching requests; AssertionError listing what did arrive when none (or not
        exactly ``times``) matched."""
        found = self.requests(method, path, body, api=api, status=status)
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = _describe(method=method, path=path, body=body, api=api, status=status)
        expected = "at least once" if times is None else f"{times} time(s)"
        seen = self.journal.rows()
        listing = "\n".join(f"  {r}" for r in seen) or "  (none)"
        raise AssertionError(f"expected {wanted} {expected}, matched {len(found)}; the mock "
                             f"seller received {len(seen)} request(s):\n{listing}")

    def assert_not_called(self, method: str | None = None, path: str | None = None,
                          body: BodyFilter = None, *, api: str | None = None) -> None:
        self.assert_called(method, path, body, times=0, api=api)

    def buyer_findings(self, requirement: str | None = None, *,
                       failing: bool = True) -> list[BuyerFinding]:
        """Buyer-side findings of this test (violations only unless ``failing=False``)."""
        return [f for r in self.journal.rows() for f in r.findings
                if (not failing or not f.ok) and requirement in (None, f.requirement)]

    def assert_buyer_conformant(self) -> None:
        """AssertionError naming each violated buyer-side requirement with its JSON Pointer."""
        bad = self.buyer_findings()
        if bad:
            lines = "\n".join(f"  {f}" for f in bad)
            raise AssertionError(f"the mock seller found {len(bad)} buyer-side violation(s) "
                                 f"(MEF 79.1):\n{lines}")

    # -- in-process mode ----------------------------------------------------------------------
    @contextmanager
    def intercept(self, url: str, *, on_notification: Callable[[Any], Any] | None = None,
                  listener_url: str | None = None) -> Iterator[Any]:
        """Route a ``requests`` client's calls under ``url`` to this mock in process, through
        ``responses`` (no socket); see :func:`mock_seller.testing.intercept.intercept`."""
        from mock_seller.testing.intercept import intercept

        with intercept(self, url, on_notification=on_notification,
                       listener_url=listener_url) as mock:
            yield mock

    # -- examples -----------------------------------------------------------------------------
    def example(self, kind: str = "create", api: str = "v8", **options: Any) -> Any:
        """A valid example for the scenario in use (``poq-conformance example``)."""
        from mock_seller.testing import examples

        return examples.build(kind, self.engine.scenario, api, **options)


__all__ = ["BuyerFinding", "PoqSeller", "RecordedRequest"]


def _prepare() -> list[Any]:
    """The scenario hooks of the default extensions (the proving kit applies variants)."""
    from mock_seller.app import default_extensions

    return [ext.prepare_scenario for ext in default_extensions()]
