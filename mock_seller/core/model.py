"""Records the engine keeps, in MEF 79.1 terms, and the POQ-from-items state rule (Table 29).

Records are small on purpose: the buyer's request is kept once as compact JSON bytes (parsed
again on read), so 100k stored POQs stay affordable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mock_seller.core.rules import ItemPlan
from schemas.dialect import (
    ABANDONED,
    ACKNOWLEDGED,
    FINAL_ITEM_STATES,
    IN_PROGRESS,
    READY,
    REJECTED,
    UNABLE_TO_MEET_TIME,
)

History = list[tuple[str, datetime, "str | None"]]  # (MEF state, when, reason)


@dataclass(slots=True)
class ItemRecord:
    id: str
    state: str
    history: History
    plan: ItemPlan
    planned_final: str  # READY | REJECTED | UNABLE_TO_MEET_TIME
    finished: datetime | None = None
    termination: str | None = None  # why the item ended REJECTED / UNABLE_TO_MEET_TIME

    def move(self, state: str, when: datetime, reason: str | None = None) -> None:
        self.state = state
        self.history.append((state, when, reason))
        if state in FINAL_ITEM_STATES:
            self.finished = when


@dataclass(slots=True)
class PoqRecord:
    id: str
    api: str
    seq: int
    created: datetime
    deferred: bool
    state: str
    history: History
    items: list[ItemRecord]
    request_json: bytes
    href_base: str
    project_id: str | None = None
    external_id: str | None = None
    requested: datetime | None = None
    requested_raw: str | None = None
    expected: datetime | None = None
    completed: datetime | None = None
    created_ts: float = field(default=0.0)
    buyer: str | None = None  # owner (mock_seller/sandbox/tenancy.py); None when auth is off
    seller: str | None = None

    @property
    def href(self) -> str:
        return f"{self.href_base}/productOfferingQualification/{self.id}"


def derive_poq_state(item_states: list[str]) -> str:
    """The POQ state the item states imply (MEF 79.1 Table 29, v8 guide R10-R14)."""
    if REJECTED in item_states:
        return REJECTED
    if UNABLE_TO_MEET_TIME in item_states:
        return UNABLE_TO_MEET_TIME
    if all(s == READY for s in item_states):
        return READY
    if IN_PROGRESS in item_states or READY in item_states:
        return IN_PROGRESS
    return ACKNOWLEDGED


__all__ = ["ABANDONED", "ItemRecord", "PoqRecord", "derive_poq_state"]
