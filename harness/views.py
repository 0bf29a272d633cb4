"""Read a wire POQ (v8 or v7 JSON) in MEF 79.1 terms, so checks never compare wire states
across dialects (``terminatedWithError`` is UNABLE_TO_MEET_TIME in v8, REJECTED in v7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.dialect import (
    FINAL_ITEM_STATES,
    FINAL_POQ_STATES,
    Dialect,
    get_dialect,
)


@dataclass(frozen=True, slots=True)
class ItemView:
    """One POQ item: identifier, wire state and its MEF 79.1 reading (None if unknown)."""

    id: str | None
    wire_state: Any
    state: str | None
    confidence: str | None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_ITEM_STATES


@dataclass(frozen=True, slots=True)
class PoqView:
    """A POQ in MEF 79.1 terms; ``unknown_states`` lists wire values the dialect lacks."""

    api: str
    id: str | None
    wire_state: Any
    state: str | None
    items: tuple[ItemView, ...]
    unknown_states: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def item_states(self) -> dict[str, str | None]:
        """Item id -> MEF state (items without an id are keyed by position, "#1", ...)."""
        return {
            (item.id if item.id is not None else f"#{n}"): item.state
            for n, item in enumerate(self.items, start=1)
        }

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_POQ_STATES

    def item(self, item_id: str) -> ItemView | None:
        return next((i for i in self.items if i.id == item_id), None)


def mef_view(poq_json: Any, dialect: Dialect | str) -> PoqView:
    """Translate a wire POQ into MEF 79.1 states; tolerant of any shape (a malformed body
    gives a view with None fields, for checks to fail on, never an exception)."""
    d = get_dialect(dialect) if isinstance(dialect, str) else dialect
    poq = poq_json if isinstance(poq_json, dict) else {}
    unknown: list[str] = []
    wire = poq.get("state")
    state = d.mef_poq_state(wire)
    if wire is not None and state is None:
        unknown.append(f"state={wire!r}")
    items: list[ItemView] = []
    raw_items = poq.get("productOfferingQualificationItem")
    for n, raw in enumerate(raw_items if isinstance(raw_items, list) else [], start=1):
        entry = raw if isinstance(raw, dict) else {}
        item_wire = entry.get("state")
        item_state = d.mef_item_state(item_wire)
        if item_wire is not None and item_state is None:
            unknown.append(f"item {entry.get('id', f'#{n}')} state={item_wire!r}")
        item_id = entry.get("id")
        items.append(
            ItemView(
                id=str(item_id) if item_id is not None else None,
                wire_state=item_wire,
                state=item_state,
                confidence=d.mef_confidence(entry.get("serviceabilityConfidence")),
                raw=entry,
            )
        )
    poq_id = poq.get("id")
    return PoqView(
        api=d.api,
        id=str(poq_id) if poq_id is not None else None,
        wire_state=wire,
        state=state,
        items=tuple(items),
        unknown_states=tuple(unknown),
        raw=poq,
    )


__all__ = ["ItemView", "PoqView", "mef_view"]
