"""What a storage back end implements: ``Store`` (POQ records, their pending timelines,
transactions) and ``Outbox`` (subscriptions and undelivered notifications)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mock_seller.core.model import PoqRecord
from mock_seller.exceptions import ConfigError


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


class StoreError(ConfigError):
    """A store URL or file this mock cannot use (one readable line)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """When a deferred POQ's transitions are due (epoch seconds), kept so that a restarted
    seller can re-arm them: ``start`` moves the items to IN_PROGRESS, ``items`` finish them."""

    start: float
    items: tuple[tuple[float, int], ...]  # (due, item index)


class Store(Protocol):
    """POQ records of both dialects. ``durable``: records outlive the process (timelines are
    re-armed on start); a durable store gives the outbox that keeps notifications with them."""

    durable: bool

    def outbox(self) -> Outbox: ...

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


DELIVERED, RETRY, DROPPED = "delivered", "retry", "dropped"
MAX_AGE = 3600.0  # seconds a durable notification is retried before it is dropped


@dataclass(slots=True)
class Pending:
    """One notification for one subscription."""

    sub_id: str
    url: str
    body: dict[str, Any]
    attempts: int = 0
    created: float = field(default_factory=time.time)
    seq: int | None = None  # row id in the durable outbox
    delay: float = 0.0  # injected delay before the first attempt (mock_seller/sandbox/faults.py)


def retry_delay(attempts: int, retries: int, backoff: float) -> float:
    """Backoff after the ``attempts``-th failure: doubling, capped at the scenario's last step."""
    return backoff * 2 ** (max(1, min(attempts, max(retries, 1))) - 1)


class Outbox(Protocol):
    durable: bool

    def add_subscription(self, sub: Any) -> None: ...
    def subscription(self, sub_id: str) -> Any | None: ...
    def remove_subscription(self, sub_id: str, api: str) -> bool: ...
    def subscriptions(self, api: str | None = None) -> list[Any]: ...
    def put(self, sub_id: str, url: str, body: dict[str, Any], delay: float = 0.0) -> None: ...
    def on_commit(self, fn: Callable[[], None]) -> None: ...
    def claim(self, sub_id: str) -> Pending | None: ...
    def settle(self, pending: Pending, ok: bool, retries: int, backoff: float,
               drop: bool = False) -> tuple[str, float]: ...
    def recheck(self, sub_id: str) -> bool: ...
    def due_subscriptions(self) -> list[str]: ...
    def reset(self) -> None: ...
    def close(self) -> None: ...


__all__ = ["DELIVERED", "DROPPED", "MAX_AGE", "RETRY", "ListQuery", "Outbox", "Pending", "Store",
           "StoreError", "Timeline", "retry_delay"]
