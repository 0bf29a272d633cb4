"""In-memory storage (the default): ``MemoryStore`` keeps records per dialect in creation
order with small indexes so listing stays fast at 100k records (project/external id indexes,
bisection on creation time); ``MemoryOutbox`` a FIFO per subscription on the one retry policy
(``protocol.after_failure``), the last dead letters kept for ``/_mock/outbox``."""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from mock_seller.core.model import PoqRecord
from mock_seller.storage.protocol import (
    DEAD_LETTERS_SHOWN,
    DELIVERED,
    ListQuery,
    Pending,
    Timeline,
    after_failure,
    dead_letter,
)


class _Partition:
    __slots__ = ("by_id", "order", "created", "by_project", "by_external", "by_requested")

    def __init__(self) -> None:
        self.by_id: dict[str, PoqRecord] = {}
        self.order: list[PoqRecord] = []
        self.created: list[float] = []
        self.by_project: dict[str, list[PoqRecord]] = defaultdict(list)
        self.by_external: dict[str, list[PoqRecord]] = defaultdict(list)
        #: (requested timestamp, position in ``order``, record), sorted: date-window lists
        self.by_requested: list[tuple[float, int, PoqRecord]] = []


class MemoryStore:
    """In-memory store; callers serialise access (the engine holds its lock)."""

    durable = False

    def __init__(self) -> None:
        self._parts: dict[str, _Partition] = defaultdict(_Partition)

    def outbox(self) -> MemoryOutbox:
        return MemoryOutbox()

    def add(self, record: PoqRecord) -> None:
        part = self._parts[record.api]
        part.by_id[record.id] = record
        ts = record.created.timestamp()
        record.created_ts = ts
        if part.created and ts < part.created[-1]:  # clock stepped back: keep the list sorted
            ts = part.created[-1]
            record.created_ts = ts
        if record.requested is not None:
            bisect.insort(part.by_requested,
                          (record.requested.timestamp(), len(part.order), record))
        part.order.append(record)
        part.created.append(ts)
        if record.project_id is not None:
            part.by_project[record.project_id].append(record)
        if record.external_id is not None:
            part.by_external[record.external_id].append(record)

    def get(self, api: str, poq_id: str) -> PoqRecord | None:
        return self._parts[api].by_id.get(poq_id)

    def state_changed(self, record: PoqRecord, old_state: str) -> None:
        """States are read from the records themselves; nothing to re-index."""

    def save(self, record: PoqRecord) -> None:
        """The engine changed the live record itself; nothing to write."""

    def set_timeline(self, record: PoqRecord, timeline: Timeline) -> None:
        """Only a durable store needs the timeline (to re-arm it after a restart)."""

    def pending(self, due_before: float | None = None) -> list[tuple[PoqRecord, Timeline]]:
        return []  # nothing outlives the process

    def transaction(self) -> AbstractContextManager[Any]:
        return nullcontext()  # the engine lock already serialises every change

    def close(self) -> None:
        """Nothing to release."""

    def count(self, api: str) -> int:
        return len(self._parts[api].order)

    def match(self, api: str, query: ListQuery) -> list[PoqRecord]:
        part = self._parts[api]
        if query.project_id is not None:
            candidates = part.by_project.get(query.project_id, [])
        elif query.external_id is not None:
            candidates = part.by_external.get(query.external_id, [])
        elif query.created_from is None and query.created_to is None and (
                query.requested_from is not None or query.requested_to is not None):
            candidates = _requested_window(part, query)
        else:
            lo = 0 if query.created_from is None else bisect.bisect_left(
                part.created, query.created_from.timestamp())
            hi = len(part.created) if query.created_to is None else bisect.bisect_right(
                part.created, query.created_to.timestamp())
            candidates = part.order[lo:hi] if (lo, hi) != (0, len(part.order)) else part.order
        return _filter(candidates, query)

    def clear(self) -> None:
        self._parts.clear()


def _requested_window(part: _Partition, q: ListQuery) -> list[PoqRecord]:
    """Records whose requested date may be in the window, by bisection of the sorted index,
    back in creation order (``_filter`` then applies the exact bounds)."""
    index = part.by_requested
    lo = 0 if q.requested_from is None else bisect.bisect_left(
        index, (q.requested_from.timestamp(), -1))
    hi = len(index) if q.requested_to is None else bisect.bisect_right(
        index, (q.requested_to.timestamp(), float("inf")))
    hits = sorted(index[lo:hi], key=_position)
    return [hit[2] for hit in hits]


def _position(hit: tuple[float, int, PoqRecord]) -> int:
    return hit[1]


def _filter(records: list[PoqRecord], q: ListQuery) -> list[PoqRecord]:
    """Apply the filters, one list comprehension each (fast at 100k records). The result may
    be the store's own list: callers read it under the engine lock and never mutate it."""
    out = records
    if q.owner is not None:
        owner = q.owner
        out = [r for r in out if (r.buyer, r.seller) == owner]
    if q.state is not None:
        out = [r for r in out if r.state == q.state]
    if q.project_id is not None:
        out = [r for r in out if r.project_id == q.project_id]
    if q.external_id is not None:
        out = [r for r in out if r.external_id == q.external_id]
    if q.created_from is not None:
        start = q.created_from.timestamp()
        out = [r for r in out if r.created_ts >= start]
    if q.created_to is not None:
        end = q.created_to.timestamp()
        out = [r for r in out if r.created_ts <= end]
    if q.requested_from is not None:
        low = q.requested_from
        out = [r for r in out if r.requested is not None and r.requested >= low]
    if q.requested_to is not None:
        high = q.requested_to
        out = [r for r in out if r.requested is not None and r.requested <= high]
    return out


class MemoryOutbox:
    """Subscriptions and per-subscription FIFOs in this process only."""

    durable = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, Any] = {}
        self._queues: dict[str, deque[Pending]] = {}
        self._dead: deque[dict[str, Any]] = deque(maxlen=DEAD_LETTERS_SHOWN)
        self._dead_total = 0

    def add_subscription(self, sub: Any) -> None:
        with self._lock:
            self._subs[sub.id] = sub
            self._queues[sub.id] = deque()

    def subscription(self, sub_id: str) -> Any | None:
        with self._lock:
            return self._subs.get(sub_id)

    def remove_subscription(self, sub_id: str, api: str) -> bool:
        with self._lock:
            sub = self._subs.get(sub_id)
            if sub is None or sub.api != api:
                return False
            del self._subs[sub_id]
            self._queues.pop(sub_id, None)
            return True

    def subscriptions(self, api: str | None = None) -> list[Any]:
        with self._lock:
            return [s for s in self._subs.values() if api is None or s.api == api]

    def put(self, sub_id: str, url: str, body: dict[str, Any], delay: float = 0.0) -> None:
        with self._lock:
            q = self._queues.get(sub_id)
            if q is not None:
                q.append(Pending(sub_id, url, body, delay=delay))

    def on_commit(self, fn: Callable[[], None]) -> None:
        fn()

    def claim(self, sub_id: str) -> Pending | None:
        with self._lock:
            q = self._queues.get(sub_id)
            return q[0] if q else None

    def settle(self, pending: Pending, ok: bool, retries: int, backoff: float,
               drop: bool = False) -> tuple[str, float]:
        outcome, delay, reason = (DELIVERED, 0.0, None) if ok else after_failure(
            pending.attempts + 1, retries, backoff, drop)
        with self._lock:
            if not ok:
                pending.attempts += 1
            if reason is None and not ok:
                return outcome, delay
            q = self._queues.get(pending.sub_id)
            if q and q[0] is pending:
                q.popleft()
            if reason is not None:
                self._dead.appendleft(dead_letter(
                    pending.sub_id, str(pending.body.get("eventId", "")), pending.url,
                    pending.attempts, pending.created, time.time(), reason))
                self._dead_total += 1
            return outcome, delay

    def recheck(self, sub_id: str) -> bool:
        with self._lock:
            return bool(self._queues.get(sub_id))

    def due_subscriptions(self) -> list[str]:
        return []

    def backlog(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def dead_letters(self, limit: int = DEAD_LETTERS_SHOWN) -> list[dict[str, Any]]:
        """The last dead letters, newest first (a memory outbox keeps only their summary)."""
        with self._lock:
            return list(self._dead)[:limit]

    def dead_count(self) -> int:
        with self._lock:
            return self._dead_total

    def redeliver(self) -> int:
        """Nothing to put back: a memory outbox keeps no body once a notification is dead."""
        return 0

    def reset(self) -> None:
        with self._lock:
            self._subs.clear()
            self._queues.clear()
            self._dead.clear()
            self._dead_total = 0

    def close(self) -> None:
        self.reset()


__all__ = ["MemoryOutbox", "MemoryStore"]
