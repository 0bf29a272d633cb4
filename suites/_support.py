"""Shared flows of the conformance suites: create POQs, poll deferred ones to their end.

Deferred POQs are created first and then polled together in one loop, so a run waits about
one deferred timeline, not one per check. Every observation keeps the exchange it came from,
which becomes the evidence of the checks that use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness import progress
from harness.checks import Result, errors, reworded, status_of
from harness.checks.listing import parse_instant
from harness.checks.poq import chronological
from harness.evidence import Exchange
from harness.views import PoqView, mef_view
from schemas.dialect import Dialect

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.profile import Profile
    from harness.verdicts import Verdict
    from schemas.catalogue import Catalogue


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
    poll_failures: list[Exchange] = field(default_factory=list)  # non-2xx polls

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

    def histories(self, dialect: Dialect) -> tuple[list[str], dict[str, list[str]]]:
        """What the POQ and each item went through: the polled states merged with the
        seller's own stateChange logs of the last answer (never replaced by them)."""
        if self.last is None:
            return [], {}
        body = self.last.exchange.json if isinstance(self.last.exchange.json, dict) else {}
        times = [_posix(o.exchange.started) for o in self.observations]
        log = body.get("stateChange")
        poq_history = merged_history(self.poq_states(),
                                     state_history(log, dialect.mef_poq_state), times,
                                     timed_history(log, dialect.mef_poq_state))
        item_logs = {str(i.get("id")): i.get("stateChange")
                     for i in body.get("productOfferingQualificationItem") or []
                     if isinstance(i, dict)}
        items: dict[str, list[str]] = {}
        for item_id in dict.fromkeys([*self.item_states(), *item_logs]):
            seen = [o.view.item_states.get(item_id) for o in self.observations]
            log = item_logs.get(item_id)
            items[item_id] = merged_history(seen, state_history(log, dialect.mef_item_state),
                                            times, timed_history(log, dialect.mef_item_state))
        return poq_history, items

    def evidence(self, limit: int = 6) -> list[Exchange]:
        """The create exchange, a few polls, the last observation."""
        ex = self.exchanges()
        return ex if len(ex) <= limit else ex[: limit - 1] + ex[-1:]


class CreatedPoqs:
    """Every POQ id handed out to this buyer during the run, with the request behind it."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.requests: dict[str, dict[str, Any]] = {}

    def add(self, run: PoqRun) -> None:
        if run.id is not None:
            self.ids.append(run.id)
            self.requests[run.id] = run.request


def _posix(value: str) -> float:
    moment = parse_instant(value)
    return moment.timestamp() if moment is not None else 0.0


ObserveHook = Callable[[PoqRun, Observation], None]  # puts an observation on record
MAX_POLL_ERRORS = 3


def create(
    seller: SellerClient, dialect: Dialect, name: str, request: dict[str, Any],
    on_observe: ObserveHook | None = None,
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
    seller: SellerClient,
    runs: Iterable[PoqRun],
    poll_interval_s: float,
    max_wait_s: float,
    on_observe: ObserveHook | None = None,
) -> None:
    """Poll every created, not yet final POQ until all are final or ``max_wait_s`` passes."""
    pending = [r for r in runs if r.created and r.final is None]
    started = time.monotonic()
    deadline = started + max_wait_s
    errors: dict[str, int] = {}
    while pending:
        for run in list(pending):
            exchange = seller.get_poq(str(run.id))  # created: it has an id
            if not (exchange.ok and isinstance(exchange.json, dict)):
                run.poll_failures.append(exchange)
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
    """MEF states of a v8/v7 ``stateChange`` log in ``changeDate`` order (entries without a
    known state skipped). The order of the array is the seller's choice; when the dates
    cannot all be read the array order is kept."""
    if not isinstance(log, list):
        return []
    out = []
    for entry in chronological(log):  # the log's order is the seller's choice
        state = translate(entry.get("state"))
        if state:
            out.append(state)
    return out


def timed_history(log: Any, translate: Callable[[Any], str | None]) -> list[tuple[float, str]]:
    """(POSIX seconds, MEF state) of each dated ``stateChange`` entry with a known state."""
    out: list[tuple[float, str]] = []
    for entry in log if isinstance(log, list) else []:
        if not isinstance(entry, dict):
            continue
        when, state = parse_instant(entry.get("changeDate")), translate(entry.get("state"))
        if when is not None and state:
            out.append((when.timestamp(), state))
    return sorted(out, key=lambda pair: pair[0])


def _squeeze(states: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for state in states:
        if state and (not out or out[-1] != state):
            out.append(state)
    return out


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    rest = iter(long)
    return all(any(state == other for other in rest) for state in short)


def merged_history(observed: Iterable[str | None], logged: list[str],
                   observed_at: Iterable[float] = (),
                   logged_at: Iterable[tuple[float, str]] = ()) -> list[str]:
    """What the buyer knows a POQ or item went through: the polled states merged with the
    seller's own log, never replaced by it. When every polled state fits into the log in
    order, the log is the complete story; otherwise both are merged by time (POSIX
    seconds), so a state the buyer saw is never dropped because the log leaves it out."""
    observed = list(observed)
    polled = _squeeze(observed)
    if not logged:
        return polled
    if _is_subsequence(polled, logged):
        return list(logged)
    seen = [(t, s) for t, s in zip(observed_at, observed, strict=False) if s]
    dated = list(logged_at)
    if dated and seen:
        return _squeeze(s for _, s in sorted([*dated, *seen], key=lambda p: p[0]))
    return polled  # an undated log that contradicts the polls: keep what was seen


__all__ = ["CreatedPoqs", "GuardedVerdict", "ObserveHook", "Observation", "PoqRun", "crashed",
           "create", "judge",
           "merged_history", "report_crash", "skip_ids", "state_history", "timed_history",
           "wait_final"]


def judge(verdict: GuardedVerdict, ids: Iterable[str], result: tuple[bool, str],
          evidence: Iterable[Any] = ()) -> bool:
    """Record one check result against each requirement ID it supports."""
    for req_id in ids:
        verdict.check(req_id, result, evidence=list(evidence))
    return bool(result[0])


def skip_ids(verdict: GuardedVerdict, ids: Iterable[str], reason: str,
             applicable: bool = True) -> None:
    """Say out loud why IDs were not judged: not_tested (could not reach) or not_applicable."""
    for req_id in ids:
        if applicable:
            verdict.not_tested(req_id, reason)
        else:
            verdict.not_applicable(req_id, reason)


def crashed(exchange: Exchange | None) -> bool:
    """A 5xx or no HTTP answer at all (timeout, reset): never a legal answer to a valid
    request, unlike a 4xx refusal."""
    return exchange is not None and (exchange.status is None or exchange.status >= 500)


def report_crash(verdict: GuardedVerdict, ids: Iterable[str], exchange: Exchange | None,
                 what: str) -> bool:
    """Fail ``ids`` with the evidence when a valid request crashed the seller; True then."""
    if exchange is None or not crashed(exchange):
        return False
    answer = f"HTTP {exchange.status}" if exchange.status is not None else (
        f"no answer ({exchange.error or 'timeout'})")
    for req_id in ids:
        verdict.check(req_id, False, f"{what}: {answer}, a failure the seller gave to a valid "
                      "request (not a refusal: 4xx with a MEF Error body is one)",
                      evidence=[exchange])
    return True


_V8_ONLY = "not representable in v7 (the v7 API has no such attribute)"


class GuardedVerdict:
    """The plugin's verdict, made to follow the profile: a passing check of an ID whose
    catalogue ``applies_when`` condition is false for this seller (capability not declared,
    attribute not representable in the dialect, no test data) is recorded
    ``not_applicable`` with the reason. A *failing* check is never hidden by the profile:
    the profile says what the seller claims, and behaviour that breaks a requirement is
    reported whatever the claim (it is recorded ``fail``, the message saying that the
    profile does not declare the condition). Only an attribute the dialect cannot carry
    stays not_applicable either way. Everything else is passed through."""

    def __init__(self, inner: Verdict, profile: Profile, catalogue: Catalogue) -> None:
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
        if reason is None:
            return bool(self._inner.check(req_id, condition, message, evidence=evidence))
        status = status_of(condition) if _is_result(condition) else (
            "pass" if condition else "fail")
        if status in ("not_tested", "not_applicable"):  # nothing observed: said as it is
            return bool(self._inner.check(req_id, condition, message, evidence=evidence))
        if status == "pass" or reason == _V8_ONLY:  # the dialect lacks it: cannot be broken
            if req_id not in self._said:
                self._said.add(req_id)
                self._inner.not_applicable(req_id, reason)
            return True
        suffix = f" (observed although {reason})"
        if _is_result(condition):
            condition = reworded(condition, condition[1] + suffix)
        else:
            message = (message or "check failed") + suffix
        return bool(self._inner.check(req_id, condition, message, evidence=evidence))

    def observed(self, req_id: str, condition: Any, message: str | None = None,
                 evidence: Iterable[Any] = ()) -> bool:
        """Record pass or fail even where the profile says the ID does not apply: the
        test saw the requirement's premise happen (e.g. an answer to an Immediate
        Response Only request from a seller that declares no immediate answers)."""
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


def response_code(api: str, operation: str, exchange: Exchange, label: str = "") -> Result:
    """The Seller Response Code check of one exchange (R8, R27, R36, R55, R64, R78, R84)."""
    result = errors.check_seller_response_code(api, operation, exchange.status, exchange.json,
                                               exchange.error)
    return reworded(result, f"{label}: {result[1]}") if label else result


def _is_result(condition: Any) -> bool:
    return isinstance(condition, tuple) and len(condition) == 2 and isinstance(condition[1], str)
