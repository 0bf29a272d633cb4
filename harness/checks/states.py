"""POQ and POQ item life cycles (MEF 79.1 Figure 2, Figure 3, Table 29, R103), in MEF terms.

The figures of the draft are drawings; their edges are read from the state tables (Tables 28
and 30) and the text of section 9:

POQ   (deferred)  ACKNOWLEDGED -> IN_PROGRESS -> READY | REJECTED | UNABLE_TO_MEET_TIME,
                  ACKNOWLEDGED -> REJECTED (fails validation before work starts),
                  ACKNOWLEDGED -> UNABLE_TO_MEET_TIME (the requested date passes first);
      (immediate) straight to READY, never through ACKNOWLEDGED.
Item  ACKNOWLEDGED -> IN_PROGRESS -> READY | REJECTED | UNABLE_TO_MEET_TIME | ABANDONED,
      ACKNOWLEDGED -> REJECTED | UNABLE_TO_MEET_TIME | ABANDONED.

A buyer observes states by polling or through notifications, so it can miss intermediate
states: a polled sequence is legal when each next state is *reachable* from the previous
one. The seller's own ``stateChange`` log is complete, so there each change must be an edge
of the flow (``complete=True``: a log ACKNOWLEDGED -> READY skipped IN_PROGRESS). Final
states never change.

Table 29 is the draft's matrix (it differs from the v8 guide's Table 8 in the ACKNOWLEDGED
column: the draft allows items already IN_PROGRESS or READY while the POQ is ACKNOWLEDGED).
The draft is the normative source, so its cells are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.checks._result import Result, failed, joined, passed, untested
from schemas.dialect import (
    ABANDONED,
    ACKNOWLEDGED,
    FINAL_ITEM_STATES,
    FINAL_POQ_STATES,
    IN_PROGRESS,
    READY,
    REJECTED,
    UNABLE_TO_MEET_TIME,
)

POQ_EDGES: dict[str, frozenset[str]] = {
    ACKNOWLEDGED: frozenset({IN_PROGRESS, REJECTED, UNABLE_TO_MEET_TIME}),
    IN_PROGRESS: frozenset({READY, REJECTED, UNABLE_TO_MEET_TIME}),
    READY: frozenset(),
    REJECTED: frozenset(),
    UNABLE_TO_MEET_TIME: frozenset(),
}
ITEM_EDGES: dict[str, frozenset[str]] = {
    ACKNOWLEDGED: frozenset({IN_PROGRESS, REJECTED, UNABLE_TO_MEET_TIME, ABANDONED}),
    IN_PROGRESS: frozenset({READY, REJECTED, UNABLE_TO_MEET_TIME, ABANDONED}),
    READY: frozenset(),
    REJECTED: frozenset(),
    UNABLE_TO_MEET_TIME: frozenset(),
    ABANDONED: frozenset(),
}
DEFERRED_INITIAL = ACKNOWLEDGED
IMMEDIATE_INITIAL = READY

# Table 29 cell kinds.
NONE = "0"
ONE_OR_MORE = "1 or more"
ZERO_OR_MORE = "0 or more"
SOME_NOT_ALL = "0 or more but not all"
ALL = "all"

TABLE_29: dict[str, dict[str, str]] = {
    ACKNOWLEDGED: {
        ABANDONED: NONE, ACKNOWLEDGED: ONE_OR_MORE, IN_PROGRESS: SOME_NOT_ALL,
        READY: SOME_NOT_ALL, REJECTED: NONE, UNABLE_TO_MEET_TIME: NONE,
    },
    IN_PROGRESS: {
        ABANDONED: NONE, ACKNOWLEDGED: SOME_NOT_ALL, IN_PROGRESS: ONE_OR_MORE,
        READY: SOME_NOT_ALL, REJECTED: NONE, UNABLE_TO_MEET_TIME: NONE,
    },
    READY: {
        ABANDONED: NONE, ACKNOWLEDGED: NONE, IN_PROGRESS: NONE,
        READY: ALL, REJECTED: NONE, UNABLE_TO_MEET_TIME: NONE,
    },
    REJECTED: {
        ABANDONED: SOME_NOT_ALL, ACKNOWLEDGED: NONE, IN_PROGRESS: NONE,
        READY: SOME_NOT_ALL, REJECTED: ONE_OR_MORE, UNABLE_TO_MEET_TIME: NONE,
    },
    UNABLE_TO_MEET_TIME: {
        ABANDONED: ZERO_OR_MORE, ACKNOWLEDGED: NONE, IN_PROGRESS: NONE,
        READY: SOME_NOT_ALL, REJECTED: NONE, UNABLE_TO_MEET_TIME: ONE_OR_MORE,
    },
}


def _reachable(edges: Mapping[str, frozenset[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_sequence(
    observed: Sequence[str | None], edges: Mapping[str, frozenset[str]], what: str,
    complete: bool = False,
) -> Result:
    problems: list[str] = []
    previous: str | None = None
    for index, state in enumerate(observed):
        if state is None or state not in edges:
            problems.append(f"observation {index}: {state!r} is not a {what} state")
            continue
        allowed = edges.get(previous, frozenset()) if complete and previous else (
            _reachable(edges, previous) if previous else frozenset())
        if previous is not None and state != previous and state not in allowed:
            how = "in the seller's complete log" if complete else ""
            problems.append(f"observation {index}: {previous} -> {state} is not allowed {how}"
                            .rstrip())
        previous = state
    return joined(problems, f"observed {what} states {_compact(observed)} follow the flow")


def _compact(observed: Sequence[str | None]) -> str:
    out: list[str | None] = []
    for state in observed:
        if not out or out[-1] != state:
            out.append(state)
    return " -> ".join(str(s) for s in out) or "(none)"


def check_poq_sequence(observed: Sequence[str | None], deferred: bool = True,
                       complete: bool = False) -> Result:
    """Figure 2 (R96 deferred / R95 immediate): every observed POQ state change is legal
    (``complete``: ``observed`` is the seller's own log, oldest first)."""
    if not observed:
        return untested("no POQ state observed")
    if observed and deferred and observed[0] != DEFERRED_INITIAL:
        return failed(f"a deferred POQ must start ACKNOWLEDGED, first seen {observed[0]!r}")
    if not deferred:
        wrong = [s for s in observed if s != IMMEDIATE_INITIAL]
        if wrong:
            return failed(f"an immediate POQ is only ever READY, saw {_compact(observed)}")
    return _check_sequence(observed, POQ_EDGES, "POQ", complete)


def check_item_sequence(observed: Sequence[str | None], deferred: bool = True,
                        complete: bool = False) -> Result:
    """Figure 3 (R102 deferred / R101 immediate): every observed item state change is legal
    (``complete``: ``observed`` is the seller's own log, oldest first)."""
    if not observed:
        return untested("no POQ item state observed")
    if observed and deferred and observed[0] != DEFERRED_INITIAL:
        return failed(f"a deferred POQ item must start ACKNOWLEDGED, first seen {observed[0]!r}")
    if not deferred:
        wrong = [s for s in observed if s != IMMEDIATE_INITIAL]
        if wrong:
            return failed(f"an immediate POQ item is only ever READY, saw {_compact(observed)}")
    return _check_sequence(observed, ITEM_EDGES, "POQ item", complete)


def _cell_ok(rule: str, count: int, total: int) -> bool:
    if rule == NONE:
        return count == 0
    if rule == ONE_OR_MORE:
        return count >= 1
    if rule == SOME_NOT_ALL:
        return count < total
    if rule == ALL:
        return count == total
    return True  # ZERO_OR_MORE


def check_table29(
    poq_state: str | None, item_states: Sequence[str | None], item_utmt: bool = True
) -> Result:
    """Table 29 (R100): the POQ state and the set of item states form an allowed combination.

    ``item_utmt=False`` for a dialect without an item UNABLE_TO_MEET_TIME state (v7): the
    "1 or more items UNABLE_TO_MEET_TIME" cell of a POQ UNABLE_TO_MEET_TIME cannot be shown
    on the wire and is not required. There the item that could not be completed in time may
    legally end ``terminatedWithError`` (read as REJECTED) under the POQ's
    ``done.unableToProvide`` (v7 guide, MAPPING.md): such items count as the late ones, not
    as REJECTED. Every other cell still applies."""
    if poq_state is None and not item_states:
        return untested("no POQ state and no item states observed")
    if not item_utmt and poq_state == UNABLE_TO_MEET_TIME:
        item_states = [UNABLE_TO_MEET_TIME if s == REJECTED else s for s in item_states]
    if poq_state not in TABLE_29:
        return failed(f"{poq_state!r} is not a POQ state")
    unknown = [s for s in item_states if s not in TABLE_29[READY]]
    if unknown:
        return failed(f"unknown item state(s) {unknown} with POQ {poq_state}")
    if not item_states:
        return failed(f"POQ {poq_state} has no items")
    total = len(item_states)
    problems = []
    for item_state, rule in TABLE_29[poq_state].items():
        if not item_utmt and item_state == UNABLE_TO_MEET_TIME and rule == ONE_OR_MORE:
            continue
        count = sum(1 for s in item_states if s == item_state)
        if not _cell_ok(rule, count, total):
            problems.append(f"{count} of {total} items {item_state} (allowed: {rule})")
    return joined(
        [f"POQ {poq_state}: {p}" for p in problems],
        f"POQ {poq_state} with items {sorted(item_states)} is allowed by Table 29",  # type: ignore[type-var]
    )


def check_in_progress_items(poq_state: str | None, item_states: Sequence[str | None]) -> Result:
    """R99: a POQ IN_PROGRESS has items only READY or IN_PROGRESS (ACKNOWLEDGED tolerated

    by Table 29, which allows 'zero or more but not all' ACKNOWLEDGED items)."""
    if poq_state != IN_PROGRESS:
        return untested(f"POQ is {poq_state}, not IN_PROGRESS")
    bad = [s for s in item_states if s not in (READY, IN_PROGRESS, ACKNOWLEDGED)]
    if bad:
        return failed(f"POQ IN_PROGRESS with items in {sorted(set(map(str, bad)))}")
    if item_states and IN_PROGRESS not in item_states:  # Table 29: IN_PROGRESS 1 or more
        return failed(f"POQ IN_PROGRESS but no item is IN_PROGRESS "
                      f"({sorted(set(map(str, item_states)))})")
    return passed("items of the IN_PROGRESS POQ are READY, IN_PROGRESS or ACKNOWLEDGED")


def check_ready_items(poq_state: str | None, item_states: Sequence[str | None]) -> Result:
    """R40/R68/R98: a POQ READY has every item READY."""
    if poq_state != READY:
        return untested(f"POQ is {poq_state}, not READY")
    bad = [s for s in item_states if s != READY]
    if bad or not item_states:
        return failed(f"POQ READY but item states are {list(item_states)}")
    return passed(f"POQ READY and all {len(item_states)} items READY")


def check_abandonment(snapshots: Sequence[tuple[str | None, Mapping[str, str | None]]]) -> Result:
    """R103: once an item is UNABLE_TO_MEET_TIME, items that were IN_PROGRESS end ABANDONED.

    In a dialect without an item UNABLE_TO_MEET_TIME (v7) the POQ reaching that state is the
    trigger.
    ``snapshots`` are the observed (POQ state, {item id: item state}) pairs in time order. An
    item counts as IN_PROGRESS at the failure if its last observed state before (or at) the
    snapshot where the failure is first seen was IN_PROGRESS and it was not READY there.
    """
    failure_at = next(
        (i for i, (poq, items) in enumerate(snapshots)
         if UNABLE_TO_MEET_TIME in items.values() or poq == UNABLE_TO_MEET_TIME),
        None,
    )
    if failure_at is None:
        return untested("no item reached UNABLE_TO_MEET_TIME")
    failing = {k for k, v in snapshots[failure_at][1].items() if v == UNABLE_TO_MEET_TIME}
    last_before: dict[str, str | None] = {}
    for _, items in snapshots[: failure_at + 1]:
        last_before.update(items)
    final = dict(snapshots[-1][1])
    problems = []
    for item_id, state in last_before.items():
        if item_id in failing or state not in (IN_PROGRESS, ACKNOWLEDGED):
            continue
        end = final.get(item_id)
        # v7 (no item UNABLE_TO_MEET_TIME): the late item itself ends terminatedWithError,
        # read as REJECTED; that is its own legal end (MAPPING.md), not a missed abandonment.
        late_v7 = not failing and end == REJECTED
        if end not in (ABANDONED, READY, UNABLE_TO_MEET_TIME) and not late_v7:
            problems.append(f"item {item_id} was {state} when another item could not meet the "
                            f"time, and ended {end} (expected ABANDONED)")
        elif end == READY and snapshots[failure_at][1].get(item_id) == IN_PROGRESS:
            problems.append(f"item {item_id} was still IN_PROGRESS when item(s) "
                            f"{sorted(failing)} could not meet the time, then became READY")
    return joined(problems, "items still in progress were abandoned after the time-out")


def final_poq(state: str | None) -> bool:
    return state in FINAL_POQ_STATES


def final_item(state: str | None) -> bool:
    return state in FINAL_ITEM_STATES


__all__ = [
    "ITEM_EDGES",
    "POQ_EDGES",
    "TABLE_29",
    "check_abandonment",
    "check_in_progress_items",
    "check_item_sequence",
    "check_poq_sequence",
    "check_ready_items",
    "check_table29",
    "final_item",
    "final_poq",
]
