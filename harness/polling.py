"""Deferred responses: poll Retrieve POQ by Identifier (use case 4) until the POQ reaches a
final state or the agreed wait runs out, recording each observation on the timeline."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from harness import progress
from harness.client import SellerClient
from harness.evidence import Exchange
from harness.timeline import Timelines
from harness.views import PoqView, mef_view
from schemas.dialect import Dialect

MAX_CONSECUTIVE_ERRORS = 3


@dataclass(slots=True)
class PollResult:
    exchanges: list[Exchange] = field(default_factory=list)
    views: list[PoqView] = field(default_factory=list)
    timed_out: bool = False
    gave_up: str | None = None  # why polling stopped early (repeated errors)
    elapsed_s: float = 0.0

    @property
    def final(self) -> PoqView | None:
        """The last view, when it is in a final state."""
        return self.views[-1] if self.views and self.views[-1].is_final else None

    @property
    def last(self) -> PoqView | None:
        return self.views[-1] if self.views else None


def poll_until_final(
    client: SellerClient,
    poq_id: str,
    dialect: Dialect,
    *,
    max_wait_s: float,
    interval_s: float,
    timelines: Timelines | None = None,
    cancel: threading.Event | None = None,
) -> PollResult:
    """GET the POQ every ``interval_s`` until its state is final (READY, REJECTED,
    UNABLE_TO_MEET_TIME), ``max_wait_s`` passes or the Seller keeps failing."""
    result = PollResult()
    stop = cancel or threading.Event()
    t0 = time.monotonic()
    errors = 0
    try:
        while True:
            ex = client.get_poq(poq_id)
            result.exchanges.append(ex)
            elapsed = time.monotonic() - t0
            if ex.ok and isinstance(ex.json, dict):
                errors = 0
                view = mef_view(ex.json, dialect)
                result.views.append(view)
                if timelines is not None:
                    timelines.record(poq_id, "poll", view.state, view.item_states, ex.id)
                progress.status(
                    f"waiting for POQ {poq_id}: {view.wire_state} ({elapsed:.1f} s)"
                )
                if view.is_final:
                    break
            else:
                errors += 1
                what = ex.error or f"HTTP {ex.status}"
                progress.status(f"waiting for POQ {poq_id}: {what} ({elapsed:.1f} s)")
                if errors >= MAX_CONSECUTIVE_ERRORS:
                    result.gave_up = f"{errors} failed polls in a row, last: {what}"
                    break
            remaining = max_wait_s - (time.monotonic() - t0)
            if remaining <= 0:
                result.timed_out = True
                break
            if stop.wait(min(interval_s, remaining)):
                break
    finally:
        result.elapsed_s = time.monotonic() - t0
        progress.clear()
    return result


__all__ = ["PollResult", "poll_until_final"]
