"""POQ storage. ``Store`` is the interface (a later SQLite store implements the same methods);
``MemoryStore`` keeps records per dialect in creation order with small indexes so listing stays
fast at 100k records: project/external id indexes, and bisection on creation time."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


class Store(Protocol):
    def add(self, record: PoqRecord) -> None: ...
    def get(self, api: str, poq_id: str) -> PoqRecord | None: ...
    def state_changed(self, record: PoqRecord, old_state: str) -> None: ...
    def match(self, api: str, query: ListQuery) -> list[PoqRecord]: ...
    def count(self, api: str) -> int: ...
    def clear(self) -> None: ...


class _Partition:
    __slots__ = ("by_id", "order", "created", "by_project", "by_external")

    def __init__(self) -> None:
        self.by_id: dict[str, PoqRecord] = {}
        self.order: list[PoqRecord] = []
        self.created: list[float] = []
        self.by_project: dict[str, list[PoqRecord]] = defaultdict(list)
        self.by_external: dict[str, list[PoqRecord]] = defaultdict(list)


class MemoryStore:
    """In-memory store; callers serialise access (the engine holds its lock)."""

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

    def count(self, api: str) -> int:
        return len(self._parts[api].order)

    def match(self, api: str, query: ListQuery) -> list[PoqRecord]:
        part = self._parts[api]
        if query.project_id is not None:
            candidates = part.by_project.get(query.project_id, [])
        elif query.external_id is not None:
            candidates = part.by_external.get(query.external_id, [])
        else:
            lo = 0 if query.created_from is None else bisect.bisect_left(
                part.created, query.created_from.timestamp())
            hi = len(part.created) if query.created_to is None else bisect.bisect_right(
                part.created, query.created_to.timestamp())
            candidates = part.order[lo:hi] if (lo, hi) != (0, len(part.order)) else part.order
        checks = _predicates(query)
        if not checks:
            return list(candidates)
        return [r for r in candidates if all(check(r) for check in checks)]

    def clear(self) -> None:
        self._parts.clear()


def _predicates(q: ListQuery) -> list:  # type: ignore[type-arg]
    checks = []
    if q.state is not None:
        checks.append(lambda r, s=q.state: r.state == s)
    if q.project_id is not None:
        checks.append(lambda r, v=q.project_id: r.project_id == v)
    if q.external_id is not None:
        checks.append(lambda r, v=q.external_id: r.external_id == v)
    if q.created_from is not None:
        start = q.created_from.timestamp()
        checks.append(lambda r, t=start: r.created_ts >= t)
    if q.created_to is not None:
        end = q.created_to.timestamp()
        checks.append(lambda r, t=end: r.created_ts <= t)
    if q.requested_from is not None:
        checks.append(lambda r, t=q.requested_from: r.requested is not None and r.requested >= t)
    if q.requested_to is not None:
        checks.append(lambda r, t=q.requested_to: r.requested is not None and r.requested <= t)
    return checks
