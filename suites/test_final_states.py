"""Final states are terminal (Figure 2 and Figure 3: nothing leaves READY, REJECTED,
UNABLE_TO_MEET_TIME or ABANDONED).

Polling stops at the first final state, so a seller that falls back from READY to
IN_PROGRESS a few seconds later would never be seen doing it. This module runs last: after
a short grace period it re-reads every POQ the run created whose final state was seen, and
judges any change since then; notifications later (by their eventTime) than one announcing
a final state count too. Deferred POQs are judged under R96 / R102, POQs answered at once under
R95 / R101 (their only state is READY).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from harness.checks.listing import parse_instant
from harness.views import mef_view
from schemas.dialect import (
    FINAL_ITEM_STATES,
    FINAL_POQ_STATES,
    POQ_ITEM_STATE_CHANGE,
    POQ_STATE_CHANGE,
    Dialect,
)
from suites._support import CreatedPoqs, GuardedVerdict, report_crash

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.evidence import Recorder
    from harness.timeline import Timelines

pytestmark = pytest.mark.uc("1", "2a", "2b", "2c", "3", "4", "5", "flow")
GRACE_S = 2.0
IDS = ("R95", "R96", "R101", "R102")


def first_final(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first answer (create, poll, retrieve) that showed the POQ in a final state."""
    for entry in entries:
        if entry["source"] != "notification" and entry["poq_state"] in FINAL_POQ_STATES:
            return entry
    return None


def announced(notes: list[Any], dialect: Dialect) -> dict[str, list[tuple[float, str, Any, Any]]]:
    """Per POQ id, its state-carrying notifications as (eventTime, ref, POQ state, items),
    in eventTime order. Arrival order is not the seller's (deliveries may overlap), and
    notifications without a readable eventTime cannot be placed, so they are left out."""
    out: dict[str, list[tuple[float, str, Any, Any]]] = {}
    for note in notes:
        if note.error is not None or not dialect.events_carry_state:
            continue
        moment = parse_instant(note.json.get("eventTime") if isinstance(note.json, dict)
                               else None)
        event = note.event
        if moment is None or event.get("id") is None:
            continue
        kind = dialect.mef_event_type(note.event_type)
        poq_state, items = None, {}
        if kind == POQ_STATE_CHANGE:
            poq_state = dialect.mef_poq_state(event.get("state"))
        elif kind == POQ_ITEM_STATE_CHANGE and event.get("poqItemId") is not None:
            items = {str(event["poqItemId"]): dialect.mef_item_state(event.get("state"))}
        out.setdefault(str(event["id"]), []).append((moment.timestamp(), note.id, poq_state,
                                                     items))
    for entries in out.values():
        entries.sort(key=lambda e: e[0])
    return out


def changes_after_final_notification(entries: list[tuple[float, str, Any, Any]]
                                     ) -> list[str]:
    """Announcements, later by eventTime, that contradict one of a final state."""
    problems: list[str] = []
    poq_final: str | None = None
    item_final: dict[str, str] = {}
    for _, ref, state, item_states in entries:
        if poq_final is not None and state is not None and state != poq_final:
            problems.append(f"{ref}: POQ {state} notified after {poq_final}")
        elif state in FINAL_POQ_STATES:
            poq_final = state
        for item_id, item_state in item_states.items():
            done = item_final.get(item_id)
            if done is not None and item_state is not None and item_state != done:
                problems.append(f"{ref}: item {item_id} {item_state} notified after {done}")
            elif item_state in FINAL_ITEM_STATES:
                item_final[item_id] = item_state
    return problems


def _ids(entry: dict[str, Any]) -> tuple[str, str]:
    """(POQ ID, item ID) of the requirement that forbids leaving this final state."""
    return ("R95", "R101") if entry["source"] == "create" else ("R96", "R102")


@pytest.mark.requirements(*IDS)
def test_final_states_stay_final(seller: SellerClient, dialect: Dialect, verdict: GuardedVerdict,
                                 timeline: Timelines, recorder: Recorder,
                                 created_poqs: CreatedPoqs) -> None:
    """Re-read every POQ seen final, after a grace period: still in the same final state,
    every item still in the final state it had; no notification later (by eventTime) than
    one of a final state announces anything else."""
    seen = {pid: sorted(timeline.entries(pid), key=lambda e: e["time"])
            for pid in dict.fromkeys(created_poqs.ids)}
    finals = {pid: entry for pid, entries in seen.items()
              if (entry := first_final(entries)) is not None}
    if not finals:
        for req_id in IDS:
            verdict.not_tested(req_id, "no POQ of this run was seen in a final state")
        return
    time.sleep(GRACE_S)
    notified = announced(recorder.snapshot()[1], dialect)
    judged: set[str] = set()
    for pid, entry in finals.items():
        poq_id, item_id = _ids(entry)
        exchange = seller.get_poq(pid)
        ev = [exchange]
        if report_crash(verdict, ["R84"], exchange, f"re-read of POQ {pid}"):
            continue
        if not (exchange.ok and isinstance(exchange.json, dict)):
            verdict.check("R85", False, f"POQ {pid}, final ({entry['poq_state']}) earlier, "
                          f"could not be retrieved at the end of the run (HTTP "
                          f"{exchange.status})", evidence=ev)
            continue
        view = mef_view(exchange.json, dialect)
        timeline.record(pid, "retrieve", view.state, view.item_states, exchange.id)
        judged.update((poq_id, item_id))
        verdict.check(poq_id, view.state == entry["poq_state"],
                      f"POQ {pid} first seen {entry['poq_state']} ({entry['ref']}), "
                      f"{GRACE_S:.0f}+ s later {view.state}", evidence=ev)
        moved = {k: (v, view.item_states.get(k)) for k, v in entry["item_states"].items()
                 if v in FINAL_ITEM_STATES and view.item_states.get(k) != v}
        verdict.check(item_id, not moved, f"POQ {pid}: items left their final states "
                      f"{moved}" if moved else f"POQ {pid}: every item kept its final state",
                      evidence=ev)
        problems = changes_after_final_notification(notified.get(pid, []))
        if problems:
            verdict.check(poq_id, False, f"POQ {pid}: {'; '.join(problems[:5])}",
                          evidence=[e[1] for e in notified[pid]][-5:])
    for req_id in IDS:
        if req_id not in judged:
            verdict.not_tested(req_id, "no POQ of this kind was seen in a final state")
