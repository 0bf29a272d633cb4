"""POQ storage. ``Store`` is the interface (``store_sqlite.SqliteStore`` implements it too);
``MemoryStore`` keeps records per dialect in creation order with small indexes so listing stays
fast at 100k records: project/external id indexes, and bisection on creation time."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mock_seller.model import PoqRecord


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Filters of Retrieve POQ List in MEF terms; date bounds are inclusive."""

    state: str | None = None
    project_id: str | None = None
    external_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    requested_from: datetime | None = None
    requested_to: datetime | None = None
    owner: tuple[str | None, str | None] | None = None  # only this (buyer, seller)'s POQs


class StoreError(ValueError):
    """A store URL or file this mock cannot use (one readable line)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """When a deferred POQ's transitions are due (epoch seconds), kept so that a restarted
    seller can re-arm them: ``start`` moves the items to IN_PROGRESS, ``items`` finish them."""

    start: float
    items: tuple[tuple[float, int], ...]  # (due, item index)


class Store(Protocol):
    durable: bool  # True: records outlive the process (re-arm timelines on start)

    def add(self, record: PoqRecord) -> None: ...
    def set_timeline(self, record: PoqRecord, timeline: Timeline) -> None: ...
    def get(self, api: str, poq_id: str) -> PoqRecord | None: ...
    def state_changed(self, record: PoqRecord, old_state: str) -> None: ...
    def save(self, record: PoqRecord) -> None: ...
    def match(self, api: str, query: ListQuery) -> Sequence[PoqRecord]: ...
    def count(self, api: str) -> int: ...
    def pending(self, due_before: float | None = None) -> list[tuple[PoqRecord, Timeline]]: ...
    def transaction(self) -> AbstractContextManager[Any]: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


def open_store(url: str | None) -> Store:
    """``memory`` (default) or ``sqlite:///relative.db`` / ``sqlite:////absolute.db``."""
    if url is None or url in ("", "memory", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        from mock_seller.store_sqlite import SqliteStore

        return SqliteStore.from_url(url)
    raise StoreError(f"store {url!r}: expected 'memory' or sqlite:///path.db")


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
