"""Use case 5: notifications to a real buyer listener (MEF 79.1 8.3.5; R4-R6, R91-R94).

Three phases run one after the other, each with its own deferred POQ:
A. registered for every type: each state change of the POQ and its items is notified (R5,
   R92), v8 events carry the new state (R93, R94) and it is a state really passed through;
   an immediate POQ created meanwhile gets no notification (R92);
B. registered for POQ state changes only: no item events arrive (R91);
C. unregistered: nothing arrives at all (R6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import notifications as nt
from harness.checks import reworded, side
from harness.payloads import PayloadBuilder
from suites._support import (
    CreatedPoqs,
    GuardedVerdict,
    ObserveHook,
    PoqRun,
    create,
    judge,
    report_crash,
    skip_ids,
)
from suites._support import wait_final as poll_final

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.client import SellerClient
    from harness.evidence import Exchange, Notification
    from harness.listener import Listener
    from harness.profile import Profile
    from harness.timeline import Timelines
    from schemas.dialect import Dialect

pytestmark = pytest.mark.uc("5")
NOTIFY_IDS = ["R4", "R5", "R6", "R91", "R92", "R93", "R94"]


@dataclass
class Phase:
    """One registration phase and what the listener received for its POQs."""

    name: str
    registered: set[str] | None
    register_exchange: Exchange | None = None
    unregister_exchange: Exchange | None = None
    run: PoqRun | None = None
    immediate: PoqRun | None = None
    notes: list[Any] = field(default_factory=list)
    active: bool = True
    problem: str | None = None

    def for_run(self) -> list[Any]:
        """Everything sent about the phase's POQ, also what the listener refused."""
        return nt.for_poq(self.notes, self.run.id) if self.run and self.run.id else []

    def delivered(self, dialect: Dialect) -> list[Any]:
        """What counts as a delivered notification about the phase's POQ (R5, R92)."""
        return [n for n in self.for_run() if delivered(n, dialect)]

    def histories(self, dialect: Dialect) -> tuple[list[str], dict[str, list[str]]]:
        """What the POQ and its items went through: polls merged with the seller's logs."""
        return self.run.histories(dialect) if self.run is not None else ([], {})


def delivered(note: Notification, dialect: Dialect) -> bool:
    """A notification the listener took (204) at the path of its own event type under this
    dialect's listener base. One refused (404/405/400), posted to another path, or in the
    other dialect's shape was not delivered, so it does not count for R5 or R92; it still
    counts as sent where sending is what is forbidden (R6, R91, R92 for immediate POQs)."""
    if getattr(note, "error", None) is not None or getattr(note, "method", "POST") != "POST":
        return False
    wire = _wire_type(note)
    if dialect.mef_event_type(wire) is None:
        return False
    expected = f"{dialect.listener_base_path}/listener/{wire}"
    return str(getattr(note, "path", "")).rstrip("/").endswith(expected)


def _wire_type(note: Notification) -> Any:
    body = note.json if getattr(note, "json", None) is not None else note.body
    return body.get("eventType") if isinstance(body, dict) else None


def _changed(history: list[Any]) -> bool:
    return len({s for s in history if s is not None}) > 1


def _quiet(phase: Phase, dialect: Dialect) -> bool:
    """No state change observed in the phase: no notification was due, none is evidence."""
    poq_history, item_histories = phase.histories(dialect)
    return not (_changed(poq_history) or any(_changed(h) for h in item_histories.values()))


def _expected(phase: Phase, dialect: Dialect) -> list[Any]:
    """Predicates for the notifications the phase's POQ must produce."""
    poq_history, item_histories = phase.histories(dialect)
    wants = phase.registered if phase.registered is not None else set(nt.MEF_TYPES)
    poq_id = phase.run.id if phase.run else None
    preds = []
    changes = poq_history[1:]
    if "POQ_STATE_CHANGE" in wants:
        for state in changes:
            preds.append(_pred(dialect, poq_id, "POQ_STATE_CHANGE", None, state))
    if "POQ_ITEM_STATE_CHANGE" in wants:
        for item_id, history in item_histories.items():
            for state in history[1:]:
                preds.append(_pred(dialect, poq_id, "POQ_ITEM_STATE_CHANGE", item_id, state))
    return preds


def _pred(dialect: Dialect, poq_id: str | None, kind: str, item_id: str | None, state: str
          ) -> Callable[[Notification], bool]:
    def match(note: Notification) -> bool:
        if not delivered(note, dialect):
            return False
        if nt.poq_id_of(note) != poq_id or nt.event_type(note, dialect) != kind:
            return False
        event = nt.event_payload(note)
        if item_id is not None and event.get("poqItemId") != item_id:
            return False
        if not dialect.events_carry_state:
            return True
        translate = dialect.mef_item_state if item_id else dialect.mef_poq_state
        return translate(event.get("state")) == state

    return match


def _on_timeline(timeline: Timelines, dialect: Dialect, notes: list[Any]) -> None:
    """Notifications on the POQ timelines (v8 events say the state they announce)."""
    for note in notes:
        poq_id, event = nt.poq_id_of(note), nt.event_payload(note)
        if not poq_id:
            continue
        if nt.event_type(note, dialect) == "POQ_ITEM_STATE_CHANGE":
            timeline.record(str(poq_id), "notification", None,
                            {str(event.get("poqItemId")): dialect.mef_item_state(
                                event.get("state"))}, note.id)
        else:
            timeline.record(str(poq_id), "notification",
                            dialect.mef_poq_state(event.get("state")), {}, note.id)


@pytest.fixture(scope="module")
def phases(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
           payloads: PayloadBuilder, listener: Listener, created_poqs: CreatedPoqs,
           observe: ObserveHook, timeline: Timelines) -> dict[str, Phase]:
    if not seller_profile.has("deferred"):
        pytest.skip("the seller profile declares no deferred responses")
    # A deferred seller owes notifications (R4) whatever its profile says about them: the
    # phases run, and what the listener hears is judged, not the self-declared capability.
    cfg = seller_profile.deferred
    wait_s = seller_profile.notifications.max_wait_s
    quiet = min(3.0, max(1.0, 5 * cfg.poll_interval_s))
    poq_type = dialect.wire_event_type("POQ_STATE_CHANGE")
    plan = [Phase("A", None), Phase("B", {"POQ_STATE_CHANGE"}), Phase("C", set(), active=False)]
    result: dict[str, Phase] = {}
    for phase in plan:
        hub_id = None
        if phase.active:
            query = None if phase.registered is None else f"eventType={poq_type}"
            phase.register_exchange = seller.register(listener.callback_url, query)
            body = phase.register_exchange.json
            if phase.register_exchange.status == 201 and isinstance(body, dict) and body.get("id"):
                hub_id = str(body["id"])
            else:
                phase.problem = f"registration failed: HTTP {phase.register_exchange.status}"
        since = listener.mark()
        paths = ["install_offering"]
        if payloads.has("install_offering_red"):
            paths.append("install_offering_red")
        phase.run = create(seller, dialect, f"uc5-{phase.name}",
                           payloads.create(paths, immediate=False), observe)
        created_poqs.add(phase.run)
        if phase.name == "A" and seller_profile.has("immediate"):
            phase.immediate = create(seller, dialect, "uc5-immediate",
                                     payloads.install_offering(immediate=True), observe)
            created_poqs.add(phase.immediate)
        poll_final(seller, [phase.run], cfg.poll_interval_s, cfg.max_wait_s, observe)
        if phase.active and hub_id:
            listener.wait_for_all(_expected(phase, dialect), wait_s, since)
        # A quiet period: anything more (late or unwanted events) arrives now or never.
        listener.wait_for(lambda n: False, quiet, since)
        phase.notes = [n for n in listener.notifications[since:]]
        _on_timeline(timeline, dialect, phase.notes)
        if hub_id:
            phase.unregister_exchange = seller.unregister(hub_id)
        result[phase.name] = phase
    return result


def _not_deferred(run: PoqRun | None) -> str:
    if run is None or not run.created:
        status = run.create.status if run is not None else None
        return f"the deferred POQ could not be created (HTTP {status})"
    return "the seller answered the POQ at once (O5), so it has no state changes to notify"


def _owned_poqs(phases: dict[str, Phase], created_poqs: CreatedPoqs) -> list[str]:
    return list(created_poqs.ids)


@pytest.mark.requirements("R4", "R5", "R92", "R93", "R94")
def test_every_state_change_is_notified(dialect: Dialect, verdict: GuardedVerdict,
                                        phases: dict[str, Phase]) -> None:
    """Registered for all types: one notification per POQ and item state change."""
    phase = phases["A"]
    ev = [phase.register_exchange, *(phase.run.evidence(3) if phase.run else [])]
    if phase.problem or phase.run is None or not phase.run.created or phase.run.immediate:
        why = phase.problem or _not_deferred(phase.run)
        skip_ids(verdict, ["R5", "R92", "R93", "R94"], why)
        if phase.problem:
            verdict.check("R4", False, f"a seller with Deferred Responses: {why}", evidence=ev)
        report_crash(verdict, ["R3"], phase.run.create if phase.run else None,
                     "valid deferred create of use case 5")
        return
    notes = phase.for_run()
    poq_history, item_histories = phase.histories(dialect)
    if _quiet(phase, dialect) and not notes:
        skip_ids(verdict, ["R4", "R5", "R92"], "the POQ and its items never changed state "
                 "while observed: no notification was due")
        return
    taken = phase.delivered(dialect)
    result: tuple[bool, str] = nt.check_events_cover_history(taken, poq_history, item_histories,
                                                             None, dialect)
    refused = len(notes) - len(taken)
    if refused:
        result = reworded(result, f"{result[1]} ({refused} more sent but not delivered: "
                          "refused by the listener, posted to another path or in another "
                          "dialect)")
    judge(verdict, ["R5", "R4", "R92"], result, [*ev, *notes[:6]])
    if not notes:
        return
    if dialect.events_carry_state:
        for note in notes:
            kind = nt.event_type(note, dialect)
            req = "R93" if kind == "POQ_STATE_CHANGE" else "R94"
            judge(verdict, [req], nt.check_event_carries_state(note, dialect), [note])
        judge(verdict, ["R93", "R94"], nt.check_event_states_real(
            notes, poq_history, item_histories, dialect), notes[:6])
    else:
        for req in ("R93", "R94"):
            verdict.not_applicable(req, "v7 events carry only references, no state")


@pytest.mark.requirements("R92")
def test_events_name_owned_poqs_and_are_consistent(
    seller: SellerClient, dialect: Dialect, verdict: GuardedVerdict, phases: dict[str, Phase],
    created_poqs: CreatedPoqs,
) -> None:
    """Each event names a POQ this buyer created; (v7) retrieving it shows that POQ with
    the item the event names."""
    notes = [n for p in phases.values() for n in p.notes]
    if not notes:
        verdict.not_tested("R92", "no notification was received")
        return
    # Ownership supports R92 but is not its subject (every target hears every change).
    judge(verdict, ["R92"], side(nt.check_only_owned(notes, _owned_poqs(phases, created_poqs))),
          notes[:6])
    if dialect.events_carry_state:
        return
    for note in notes[:10]:
        event = nt.event_payload(note)
        got = seller.get_poq(str(event.get("id")))
        ids = [i.get("id") for i in (got.json or {}).get("productOfferingQualificationItem", [])
               ] if isinstance(got.json, dict) else []
        ok = got.ok and (event.get("poqItemId") is None or event.get("poqItemId") in ids)
        verdict.check("R92", side((ok, f"event {event!r:.120} retrieved as HTTP {got.status} "
                      f"with items {ids}")), evidence=[note, got])


@pytest.mark.requirements("R92")
def test_no_notification_for_immediate_poq(dialect: Dialect, verdict: GuardedVerdict,
                                           phases: dict[str, Phase]) -> None:
    """A POQ answered immediately reaches its end in the response: nothing is notified."""
    run = phases["A"].immediate
    if run is None or not run.created or not run.immediate:
        verdict.not_tested("R92", "no POQ was answered immediately while registered")
        return
    notes = nt.for_poq(phases["A"].notes, str(run.id))
    # Silence counts only while the same listener heard the deferred POQ of the phase.
    judge(verdict, ["R92"], nt.check_none(notes, f"for immediately answered POQ {run.id}",
                                          occasions=len(phases["A"].for_run())),
          [run.create, *notes[:5]])


@pytest.mark.requirements("R91", "R5")
def test_only_registered_types(dialect: Dialect, verdict: GuardedVerdict,
                               phases: dict[str, Phase]) -> None:
    """Registered for POQ state changes only: no item state change notification."""
    phase = phases["B"]
    if phase.problem or phase.run is None or not phase.run.created or phase.run.immediate:
        skip_ids(verdict, ["R91"], phase.problem or _not_deferred(phase.run))
        return
    notes = phase.for_run()
    ev = [phase.register_exchange, *notes[:6]]
    if _quiet(phase, dialect) and not notes:
        skip_ids(verdict, ["R91", "R5"], "the POQ and its items never changed state while "
                 "observed: no notification of any type was due")
        return
    judge(verdict, ["R91"], nt.check_only_registered_types(notes, phase.registered, dialect), ev)
    _no_create_events(verdict, "R91", phase, "registered for POQ state changes only")
    poq_history, item_histories = phase.histories(dialect)
    judge(verdict, ["R5"], nt.check_events_cover_history(
        phase.delivered(dialect), poq_history, item_histories, phase.registered, dialect), ev)


@pytest.mark.requirements("R6", "R4")
def test_nothing_after_unregistration(dialect: Dialect, verdict: GuardedVerdict,
                                      phases: dict[str, Phase]) -> None:
    """STOP worked (204) and with no registration left nothing is sent (R6)."""
    for name in ("A", "B"):  # a failed STOP breaks R4; a 204 alone proves no notification
        stop = phases[name].unregister_exchange
        if stop is not None and stop.status != 204:
            verdict.check("R4", False, f"phase {name}: STOP answered HTTP {stop.status}",
                          evidence=[stop])
    phase = phases["C"]
    if phase.run is None or not phase.run.created or phase.run.immediate:
        verdict.not_tested("R6", _not_deferred(phase.run))
        return
    notes = [n for n in phase.notes if nt.poq_id_of(n) == phase.run.id]
    if _quiet(phase, dialect) and not notes:
        verdict.not_tested("R6", "the POQ created after unregistration never changed state: "
                           "a registered buyer would not have been notified either")
        return
    poq_history, item_histories = phase.histories(dialect)
    changes = sum(max(len(h) - 1, 0) for h in (poq_history, *item_histories.values()))
    judge(verdict, ["R6"], nt.check_none(notes, f"for POQ {phase.run.id} with no registration",
                                         occasions=changes),
          [*phase.run.evidence(3), *notes[:5]])
    _no_create_events(verdict, "R6", phase, "with no registration left")


def _no_create_events(verdict: GuardedVerdict, req_id: str, phase: Phase, when: str) -> None:
    """A v7 poqCreateEvent is information only while the buyer is registered for it (an
    empty query); sent to a buyer registered for other types, or to none, it breaks
    R91 / R6 like any other notification."""
    creates = [n for n in phase.notes if "poqCreateEvent" in (
        _wire_type(n), str(n.path).rstrip("/").rsplit("/", 1)[-1])]
    if creates:
        verdict.check(req_id, False, f"{len(creates)} poqCreateEvent notification(s) {when}",
                      evidence=creates[:5])


@dataclass
class TwoTargets:
    """One deferred POQ while two listeners (two callbacks) are registered for everything."""

    phase: Phase
    second: Phase
    problem: str | None = None


@pytest.fixture(scope="module")
def two_targets(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
                payloads: PayloadBuilder, listener: Listener, created_poqs: CreatedPoqs,
                observe: ObserveHook, phases: dict[str, Phase]) -> TwoTargets:
    """Register the run's listener and a second one, follow one deferred POQ, unregister."""
    from harness.listener import Listener

    cfg, ncfg = seller_profile.deferred, seller_profile.notifications
    first, second = Phase("two-1", None), Phase("two-2", None)
    result = TwoTargets(first, second)
    if ncfg.callback_url:
        result.problem = ("the profile sets notifications.callback_url (a public address); a "
                          "second target the seller can reach cannot be offered")
        return result
    other = Listener(listener.recorder, ncfg.listen_host, 0, None,
                     seller_profile.seller.record_body_chars).start()
    try:
        hubs = []
        for phase, target in ((first, listener), (second, other)):
            phase.register_exchange = seller.register(target.callback_url, None)
            body = phase.register_exchange.json
            if phase.register_exchange.status == 201 and isinstance(body, dict) and body.get("id"):
                hubs.append(str(body["id"]))
            else:
                result.problem = (f"registration of {target.callback_url} failed: HTTP "
                                  f"{phase.register_exchange.status}")
        marks = (listener.mark(), other.mark())
        run = create(seller, dialect, "uc5-two-targets",
                     payloads.install_offering(immediate=False), observe)
        created_poqs.add(run)
        first.run = second.run = run
        poll_final(seller, [run], cfg.poll_interval_s, cfg.max_wait_s, observe)
        if result.problem is None:
            expected = _expected(first, dialect)
            for target, since in zip((listener, other), marks, strict=True):
                target.wait_for_all(expected, ncfg.max_wait_s, since)
                # v7 events carry no state, so one event matches every predicate: also wait
                # for as many events as there were state changes.
                _wait_count(target, run.id, len(expected), ncfg.max_wait_s, since)
            # as in the phases: late events arrive in a quiet period (v7 counts above also
            # include create and item events, so they may end before the last POQ event)
            quiet = min(3.0, max(1.0, 5 * cfg.poll_interval_s))
            listener.wait_for(lambda n: False, quiet, marks[0])
        first.notes = listener.notifications[marks[0]:]
        second.notes = other.notifications[marks[1]:]
        for hub_id in hubs:
            seller.unregister(hub_id)
    finally:
        other.stop()
    return result


def _wait_count(target: Listener, poq_id: str | None, count: int, timeout: float,
                since: int) -> None:
    """Block until ``target`` has ``count`` notifications about ``poq_id`` since ``since``."""
    seen: list[Any] = []

    def enough(note: Notification) -> bool:
        if nt.poq_id_of(note) == poq_id:
            seen.append(note)
        return len(seen) >= count

    if count:
        target.wait_for(enough, timeout, since)


@pytest.mark.requirements("R92")
def test_every_target_hears_every_event(dialect: Dialect, verdict: GuardedVerdict,
                                        two_targets: TwoTargets) -> None:
    """R92: with two registered targets, each receives every POQ and item state change."""
    first, second = two_targets.phase, two_targets.second
    run = first.run
    if two_targets.problem or run is None or not run.created or run.immediate:
        verdict.not_tested("R92", two_targets.problem or _not_deferred(run))
        return
    if _quiet(first, dialect) and not first.for_run() and not second.for_run():
        verdict.not_tested("R92", "the POQ and its items never changed state while observed: "
                           "no notification was due to either target")
        return
    poq_history, item_histories = first.histories(dialect)
    for n, phase in enumerate((first, second), start=1):
        notes = phase.delivered(dialect)
        result = nt.check_events_cover_history(notes, poq_history, item_histories, None,
                                               dialect)
        verdict.check("R92", result, f"target {n} of 2",
                      evidence=[phase.register_exchange, *run.evidence(3), *notes[:6]])
