"""Shared flows of the conformance suites: create POQs, poll deferred ones to their end.

Deferred POQs are created first and then polled together in one loop, so a run waits about
one deferred timeline, not one per check. Every observation keeps the exchange it came from,
which becomes the evidence of the checks that use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from harness import progress
from harness.checks import errors, reworded
from harness.checks.poq import chronological
from harness.evidence import Exchange
from harness.views import PoqView, mef_view
from schemas.dialect import Dialect


@dataclass(slots=True)
class Observation:
    """One look at a POQ: when, from where (create / poll), and what it said."""

    source: str
    monotonic: float
    view: PoqView
    exchange: Exchange


@dataclass(slots=True)
class PoqRun:
    """One POQ created by the suites, with every observation of it."""

    name: str
    request: dict[str, Any]
    create: Exchange
    dialect: Dialect
    observations: list[Observation] = field(default_factory=list)
    timed_out: bool = False
    poll_error: str | None = None

    @property
    def id(self) -> str | None:
        body = self.create.json
        value = body.get("id") if isinstance(body, dict) else None
        return str(value) if isinstance(value, (str, int)) and str(value) else None

    @property
    def created(self) -> bool:
        return self.create.ok and self.id is not None

    @property
    def first(self) -> PoqView:
        return mef_view(self.create.json, self.dialect)

    @property
    def last(self) -> Observation | None:
        return self.observations[-1] if self.observations else None

    @property
    def final(self) -> PoqView | None:
        last = self.last
        return last.view if last is not None and last.view.is_final else None

    @property
    def immediate(self) -> bool:
        """The seller answered at once (READY in the create response: O5 when deferred)."""
        return self.first.is_final

    def poq_states(self) -> list[str | None]:
        return [o.view.state for o in self.observations]

    def item_states(self) -> dict[str, list[str | None]]:
        histories: dict[str, list[str | None]] = {}
        for obs in self.observations:
            for item_id, state in obs.view.item_states.items():
                histories.setdefault(item_id, []).append(state)
        return histories

    def snapshots(self) -> list[tuple[str | None, dict[str, str | None]]]:
        return [(o.view.state, o.view.item_states) for o in self.observations]

    def exchanges(self) -> list[Exchange]:
        seen = [self.create] + [o.exchange for o in self.observations]
        unique: dict[str, Exchange] = {e.id: e for e in seen}
        return list(unique.values())

    def evidence(self, limit: int = 6) -> list[Exchange]:
        """The create exchange, a few polls, the last observation."""
        ex = self.exchanges()
        return ex if len(ex) <= limit else ex[: limit - 1] + ex[-1:]


Recorder = Callable[[PoqRun, Observation], None]
MAX_POLL_ERRORS = 3


def create(
    seller: Any, dialect: Dialect, name: str, request: dict[str, Any],
    on_observe: Recorder | None = None,
) -> PoqRun:
    """POST the request and record the answer as the first observation."""
    exchange = seller.create_poq(request)
    run = PoqRun(name=name, request=request, create=exchange, dialect=dialect)
    if run.created:
        obs = Observation("create", time.monotonic(), run.first, exchange)
        run.observations.append(obs)
        if on_observe:
            on_observe(run, obs)
    return run


def wait_final(
    seller: Any,
    runs: Iterable[PoqRun],
    poll_interval_s: float,
    max_wait_s: float,
    on_observe: Recorder | None = None,
) -> None:
    """Poll every created, not yet final POQ until all are final or ``max_wait_s`` passes."""
    pending = [r for r in runs if r.created and r.final is None]
    started = time.monotonic()
    deadline = started + max_wait_s
    errors: dict[str, int] = {}
    while pending:
        for run in list(pending):
            exchange = seller.get_poq(run.id)
            if not (exchange.ok and isinstance(exchange.json, dict)):
                errors[run.name] = errors.get(run.name, 0) + 1
                if errors[run.name] >= MAX_POLL_ERRORS:  # the seller lost it or is down
                    run.timed_out = True
                    run.poll_error = (f"{errors[run.name]} failed polls, last HTTP "
                                      f"{exchange.status} {exchange.error or ''}").strip()
                    pending.remove(run)
                continue
            errors[run.name] = 0
            obs = Observation("poll", time.monotonic(), mef_view(exchange.json, run.dialect),
                              exchange)
            run.observations.append(obs)
            if on_observe:
                on_observe(run, obs)
            if obs.view.is_final:
                pending.remove(run)
        _show_waiting(pending, time.monotonic() - started)
        if not pending:
            break
        if time.monotonic() >= deadline:
            for run in pending:
                run.timed_out = True
            break
        time.sleep(poll_interval_s)


def _show_waiting(pending: list[PoqRun], elapsed: float) -> None:
    """One progress line per poll round: the first pending POQ, its last state, how long."""
    if not pending:
        progress.clear()
        return
    run = pending[0]
    body = run.last.exchange.json if run.last else None
    state = body.get("state") if isinstance(body, dict) else None  # the seller's wire value
    more = f" (+{len(pending) - 1} more)" if len(pending) > 1 else ""
    progress.status(f"waiting for POQ {run.id}: {state or 'no state yet'}{more} "
                    f"({elapsed:.1f} s)")


def state_history(log: Any, translate: Callable[[Any], str | None]) -> list[str]:
    """MEF states of a v8/v7 ``stateChange`` log (entries without a known state skipped)."""
    if not isinstance(log, list):
        return []
    out = []
    for entry in chronological(log):  # the log's order is the seller's choice
        state = translate(entry.get("state"))
        if state:
            out.append(state)
    return out


def merged_history(observed: Iterable[str | None], logged: list[str]) -> list[str]:
    """What the buyer knows a POQ or item went through: the seller's own log when it has one

    (it cannot miss states), else the polled sequence."""
    if logged:
        return logged
    out: list[str] = []
    for state in observed:
        if state and (not out or out[-1] != state):
            out.append(state)
    return out


__all__ = ["Observation", "PoqRun", "create", "merged_history", "state_history", "wait_final"]


def judge(verdict: Any, ids: Iterable[str], result: tuple[bool, str], evidence: Any = ()) -> bool:
    """Record one check result against each requirement ID it supports."""
    for req_id in ids:
        verdict.check(req_id, result, evidence=list(evidence))
    return bool(result[0])


def skip_ids(verdict: Any, ids: Iterable[str], reason: str, applicable: bool = True) -> None:
    """Say out loud why IDs were not judged: not_tested (could not reach) or not_applicable."""
    for req_id in ids:
        if applicable:
            verdict.not_tested(req_id, reason)
        else:
            verdict.not_applicable(req_id, reason)


_V8_ONLY = "not representable in v7 (the v7 API has no such attribute)"


class GuardedVerdict:
    """The plugin's verdict, made to follow the profile: a check of an ID whose catalogue
    ``applies_when`` condition is false for this seller (capability not declared, attribute
    not representable in the dialect, no test data) is recorded ``not_applicable`` with the
    reason instead of pass or fail. Everything else is passed through unchanged."""

    def __init__(self, inner: Any, profile: Any, catalogue: Any) -> None:
        self._inner = inner
        self._profile = profile
        self._catalogue = catalogue
        self._said: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def inapplicable(self, req_id: str) -> str | None:
        """Why ``req_id`` does not apply to this seller, or None when it does."""
        try:
            requirement = self._catalogue.get(req_id)
        except KeyError:
            return None
        for key in requirement.applies_when:
            holds = self._profile.condition(key)
            if holds is False:
                if key == "v8_only":
                    return _V8_ONLY
                if key in ("immediate", "deferred", "notifications", "product_specification",
                           "change", "list", "alternates", "hub_get"):
                    return f"the seller profile does not declare capability '{key}'"
                return f"the profile has no test_data.{key}"
        return None

    def check(self, req_id: str, condition: Any, message: str | None = None,
              evidence: Iterable[Any] = ()) -> bool:
        reason = self.inapplicable(req_id)
        if reason is not None:
            if req_id not in self._said:
                self._said.add(req_id)
                self._inner.not_applicable(req_id, reason)
            return True
        return bool(self._inner.check(req_id, condition, message, evidence=evidence))

    def not_tested(self, req_id: str, reason: str, evidence: Iterable[Any] = ()) -> None:
        why = self.inapplicable(req_id)
        if why is not None:
            self.not_applicable(req_id, why, evidence)
        else:
            self._inner.not_tested(req_id, reason, evidence=evidence)

    def not_applicable(self, req_id: str, reason: str, evidence: Iterable[Any] = ()) -> None:
        if req_id not in self._said:
            self._said.add(req_id)
            self._inner.not_applicable(req_id, reason, evidence=evidence)


def response_code(api: str, operation: str, exchange: Any, label: str = "") -> Any:
    """The Seller Response Code check of one exchange (R8, R27, R36, R55, R64, R78, R84)."""
    result = errors.check_seller_response_code(api, operation, exchange.status, exchange.json,
                                               exchange.error)
    return reworded(result, f"{label}: {result[1]}") if label else result
