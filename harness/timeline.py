"""POQ timelines: the states a POQ went through as the Buyer saw them (create response,
polls, notifications), per test, in arrival order; each notification once, at the time
the listener received it, with its event type (v7 events carry no state)."""

from __future__ import annotations

import threading
from typing import Any

from harness.evidence import now_rfc3339
from harness.views import mef_view
from schemas.dialect import POQ_ITEM_STATE_CHANGE, POQ_STATE_CHANGE, Dialect

SOURCES = ("create", "poll", "notification", "retrieve", "list")


class Timelines:
    """All timelines of a run; ``current_test`` is set by the pytest plugin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        self._notified: dict[tuple[str, str], dict[str, Any]] = {}  # (poq id, nt-N) -> entry
        self.current_test: str | None = None

    def record(
        self,
        poq_id: str,
        source: str,
        poq_state: str | None,
        item_states: dict[str, str | None] | None = None,
        ref: str | None = None,
        time: str | None = None,
        event: str | None = None,
    ) -> dict[str, Any]:
        """Add one observation (MEF 79.1 state names) of POQ ``poq_id``. A notification
        is on the timeline once, at the time it was received: recording the same ``ref``
        again (a suite replaying what it heard) returns the first entry."""
        if source not in SOURCES:
            raise ValueError(f"timeline source must be one of {', '.join(SOURCES)}")
        entry = {
            "time": time or now_rfc3339(),
            "source": source,
            "poq_state": poq_state,
            "item_states": dict(item_states or {}),
            "ref": ref,
        }
        if event is not None:
            entry["event"] = event  # what a notification announced (v7 carries no state)
        with self._lock:
            if source == "notification" and ref is not None:
                seen = self._notified.get((str(poq_id), ref))
                if seen is not None:
                    return seen
                self._notified[(str(poq_id), ref)] = entry
            self._by_key.setdefault((str(poq_id), self.current_test), []).append(entry)
        return entry

    def record_poq(self, poq_json: Any, dialect: Dialect | str, source: str,
                   ref: str | None = None) -> dict[str, Any] | None:
        """Record a wire POQ (create/retrieve body); None when it carries no id."""
        view = mef_view(poq_json, dialect)
        if view.id is None:
            return None
        return self.record(view.id, source, view.state, view.item_states, ref)

    def record_notification(self, note: Any, dialect: Dialect) -> dict[str, Any] | None:
        """Record what a notification says about its POQ (v7 events carry no state)."""
        event = note.event if getattr(note, "error", None) is None else {}
        poq_id = event.get("id")
        if poq_id is None:
            return None
        kind = dialect.mef_event_type(note.event_type)
        poq_state, items = None, {}
        if kind == POQ_STATE_CHANGE:
            poq_state = dialect.mef_poq_state(event.get("state"))
        elif kind == POQ_ITEM_STATE_CHANGE and event.get("poqItemId") is not None:
            items = {str(event["poqItemId"]): dialect.mef_item_state(event.get("state"))}
        return self.record(str(poq_id), "notification", poq_state, items, note.id,
                           time=getattr(note, "received", None) or None,
                           event=note.event_type)

    def entries(self, poq_id: str, test: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if test is not None:
                return list(self._by_key.get((str(poq_id), test), []))
            return [e for (pid, _), es in self._by_key.items() if pid == str(poq_id) for e in es]

    def to_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"poq_id": pid, "test": test, "entries": list(entries)}
                for (pid, test), entries in self._by_key.items()
            ]


__all__ = ["SOURCES", "Timelines"]
