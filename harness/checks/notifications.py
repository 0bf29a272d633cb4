"""Notifications received by the buyer's listener (UC5: R5, R6, R91-R94; UC1 effects).

A received notification is either a mapping with ``path`` (the listener path it was posted
to) and ``body`` (the JSON event), or the listener's record object with the same attributes
(its ``json`` attribute, the full parsed body, is preferred to the recorded ``body``).
Event types are judged in MEF terms; v7's ``poqCreateEvent`` is not a MEF 79.1
notification type: it is reported as information and never counted as a violation (MAPPING.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.checks._result import Result, failed, joined, passed, untested
from schemas.dialect import POQ_CREATE, POQ_ITEM_STATE_CHANGE, POQ_STATE_CHANGE, Dialect

MEF_TYPES = (POQ_STATE_CHANGE, POQ_ITEM_STATE_CHANGE)


def _path(note: Any) -> str:
    value = note.get("path") if isinstance(note, Mapping) else getattr(note, "path", None)
    return str(value or "")


def _body(note: Any) -> Any:
    if isinstance(note, Mapping):
        return note.get("body")
    full = getattr(note, "json", None)
    return full if full is not None else getattr(note, "body", None)


def event_type(note: Any, dialect: Dialect) -> str | None:
    """MEF type of a notification, from its body's ``eventType`` or else its path."""
    body = _body(note)
    if isinstance(body, dict):
        mef = dialect.mef_event_type(body.get("eventType"))
        if mef:
            return mef
    path = _path(note).rstrip("/")
    return dialect.mef_event_type(path.rsplit("/", 1)[-1])


def event_payload(note: Any) -> dict[str, Any]:
    body = _body(note)
    event = body.get("event") if isinstance(body, dict) else None
    return event if isinstance(event, dict) else {}


def poq_id_of(note: Any) -> Any:
    return event_payload(note).get("id")


def for_poq(notes: Iterable[Any], poq_id: str) -> list[Any]:
    return [n for n in notes if poq_id_of(n) == poq_id]


def parse_query(query: str | None, dialect: Dialect) -> set[str] | None:
    """The MEF types a registration ``query`` asks for (None = every type)."""
    if not query:
        return None
    wanted: set[str] = set()
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name.strip() == "eventType":
            for wire in value.split(","):
                mef = dialect.mef_event_type(wire.strip())
                if mef:
                    wanted.add(mef)
    return wanted or None


def check_only_registered_types(
    notes: Sequence[Any], registered: set[str] | None, dialect: Dialect
) -> Result:
    """R91: no notification of a type the buyer did not register for (nothing received:
    nothing to judge)."""
    if not notes:
        return untested("no notification was received")
    if registered is None:
        return passed(f"registration covers every type ({len(notes)} notifications)")
    wrong, creates = [], 0
    for note in notes:
        kind = event_type(note, dialect)
        if kind == POQ_CREATE:
            creates += 1
        elif kind not in registered:
            wrong.append(f"{kind or _path(note)} for POQ {poq_id_of(note)!r}")
    info = f" ({creates} poqCreateEvent, information only)" if creates else ""
    if wrong:
        return failed(f"notifications of unregistered types: {wrong[:5]}{info}")
    return passed(f"{len(notes)} notifications, all of registered types {sorted(registered)}"
                  + info)


def check_only_owned(notes: Sequence[Any], owned: Iterable[str]) -> Result:
    """Each notification names a POQ this buyer created (R92: only POQs answered to it)."""
    if not notes:
        return untested("no notification was received")
    known = set(owned)
    foreign = sorted({str(poq_id_of(n)) for n in notes if poq_id_of(n) not in known})
    if foreign:
        return failed(f"notifications for POQs the buyer does not own: {foreign[:5]}")
    return passed(f"all {len(notes)} notifications name POQs the buyer created")


def check_none(notes: Sequence[Any], why: str, occasions: int = 0) -> Result:
    """R6 / R92 / UC1 STOP: no notification at all (create events of v7 excepted).

    Silence proves something only when a notification could have come: ``occasions`` counts
    them (state changes that happened meanwhile, or notifications the same listener received
    at the same time). With none, an empty listener is not_tested, never a pass."""
    state_events = [n for n in notes if event_type(n, _ANY) != POQ_CREATE]
    if state_events:
        ids = sorted({str(poq_id_of(n)) for n in state_events})
        return failed(f"{len(state_events)} notifications received {why} (POQs {ids[:5]})")
    if occasions <= 0:
        return untested(f"no notification {why}, but nothing happened that could have "
                        "triggered one")
    return passed(f"no state-change notification {why} ({occasions} occasions for one)")


def check_event_carries_state(note: Any, dialect: Dialect) -> Result:
    """R93/R94 (v8): the event carries the new POQ state, or the item id and item state."""
    if not note:
        return untested("no notification observed")
    kind = event_type(note, dialect)
    event = event_payload(note)
    if kind == POQ_STATE_CHANGE:
        if dialect.mef_poq_state(event.get("state")) is None:
            return failed(f"POQ state event without a valid state: {event!r:.200}")
        return passed(f"POQ state event carries {event.get('state')}")
    if kind == POQ_ITEM_STATE_CHANGE:
        if not event.get("poqItemId"):
            return failed(f"item state event without poqItemId: {event!r:.200}")
        if dialect.mef_item_state(event.get("state")) is None:
            return failed(f"item state event without a valid state: {event!r:.200}")
        return passed(f"item {event.get('poqItemId')} event carries {event.get('state')}")
    return failed(f"not a state-change event: {kind}")


def check_events_cover_history(
    notes: Sequence[Any],
    poq_history: Sequence[str],
    item_histories: Mapping[str, Sequence[str]],
    registered: set[str] | None,
    dialect: Dialect,
) -> Result:
    """R5/R92: every state change the POQ and its items went through after creation produced a

    notification of each registered type. Histories are MEF state sequences whose first entry
    is the state at creation (no event is due for it). v8 events are matched by state; v7
    events carry no state, so their number per POQ / item must reach the number of changes."""
    wants = registered if registered is not None else set(MEF_TYPES)
    due = len(list(_changes(poq_history))) if POQ_STATE_CHANGE in wants else 0
    if POQ_ITEM_STATE_CHANGE in wants:
        due += sum(len(list(_changes(h))) for h in item_histories.values())
    if not due:
        return untested("no state change of a registered type was observed: no "
                        "notification was due")
    problems: list[str] = []
    if POQ_STATE_CHANGE in wants:
        got = [n for n in notes if event_type(n, dialect) == POQ_STATE_CHANGE]
        problems += _missing(got, list(_changes(poq_history)), None, dialect, "POQ")
    if POQ_ITEM_STATE_CHANGE in wants:
        got = [n for n in notes if event_type(n, dialect) == POQ_ITEM_STATE_CHANGE]
        for item_id, history in item_histories.items():
            mine = [n for n in got if event_payload(n).get("poqItemId") == item_id]
            problems += _missing(mine, list(_changes(history)), item_id, dialect,
                                 f"item {item_id}")
    return joined(problems, f"every observed state change ({due}) produced its notification")


def _changes(history: Sequence[str]) -> Iterable[str]:
    previous = history[0] if history else None
    for state in history[1:]:
        if state != previous:
            yield state
        previous = state


def _missing(
    got: Sequence[Any], changes: list[str], item_id: str | None,
    dialect: Dialect, what: str,
) -> list[str]:
    if dialect.events_carry_state:
        translate = dialect.mef_item_state if item_id else dialect.mef_poq_state
        states = [translate(event_payload(n).get("state")) for n in got]
        return [f"no notification for {what} -> {s}" for s in changes if s not in states]
    if len(got) < len(changes):
        return [f"{len(got)} notifications for {len(changes)} state changes of {what}"]
    return []


def check_event_states_real(
    notes: Sequence[Any],
    poq_history: Sequence[str],
    item_histories: Mapping[str, Sequence[str]],
    dialect: Dialect,
) -> Result:
    """v8: every notified state is one the POQ or the item really passed through."""
    if not notes:
        return untested("no notification was received")
    problems = []
    for note in notes:
        kind, event = event_type(note, dialect), event_payload(note)
        if kind == POQ_STATE_CHANGE:
            state = dialect.mef_poq_state(event.get("state"))
            if state not in poq_history:
                problems.append(f"POQ event says {state}, history is {list(poq_history)}")
        elif kind == POQ_ITEM_STATE_CHANGE:
            item_id = event.get("poqItemId")
            state = dialect.mef_item_state(event.get("state"))
            history = item_histories.get(str(item_id))
            if history is None:
                problems.append(f"item event for unknown item {item_id!r}")
            elif state not in history:
                problems.append(f"item {item_id} event says {state}, history {list(history)}")
    return joined(problems, f"{len(notes)} notified states all match the observed history")


class _AnyDialect:
    """Event type detection without knowing the dialect (both use the same wire names)."""

    @staticmethod
    def mef_event_type(wire: object) -> str | None:
        return {"poqStateChangeEvent": POQ_STATE_CHANGE,
                "poqItemStateChangeEvent": POQ_ITEM_STATE_CHANGE,
                "poqCreateEvent": POQ_CREATE}.get(str(wire))


_ANY: Any = _AnyDialect()

__all__ = [
    "MEF_TYPES",
    "check_event_carries_state",
    "check_event_states_real",
    "check_events_cover_history",
    "check_none",
    "check_only_owned",
    "check_only_registered_types",
    "event_payload",
    "event_type",
    "for_poq",
    "parse_query",
    "poq_id_of",
]
