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


def after_failure(attempts: int, retries: int, backoff: float,
                  refused: bool = False) -> tuple[str, float, str | None]:
    """The one retry policy of every outbox, after the ``attempts``-th failed attempt:
    ``(RETRY, delay, None)`` while ``retries`` retries are left, else ``(DROPPED, 0, reason)``
    (the notification becomes a dead letter; ``refused``: the callback policy forbids it)."""
    if refused:
        return DROPPED, 0.0, "callback refused by the callback policy"
    if attempts > retries:
        return DROPPED, 0.0, f"no answer 2xx after {attempts} attempts"
    return RETRY, retry_delay(attempts, retries, backoff), None


DEAD_LETTERS_SHOWN = 100


def dead_letter(sub_id: str, event_id: str, url: str, attempts: int, created: float,
                dead_at: float, reason: str | None) -> dict[str, Any]:
    """One dead letter as ``/_mock/outbox`` shows it."""
    return {"subscription": sub_id, "eventId": event_id, "url": url.partition("?")[0],
            "attempts": attempts, "created": _rfc3339(created), "dead": _rfc3339(dead_at),
            "reason": reason}


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + \
        f".{int((epoch % 1) * 1000):03d}Z"


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
    def backlog(self) -> int: ...
    def dead_letters(self, limit: int = ...) -> list[dict[str, Any]]: ...
    def dead_count(self) -> int: ...
    def redeliver(self) -> int: ...
    def reset(self) -> None: ...
    def close(self) -> None: ...


__all__ = ["DEAD_LETTERS_SHOWN", "DELIVERED", "DROPPED", "RETRY", "ListQuery", "Outbox", "Pending",
           "Store", "StoreError", "Timeline", "after_failure", "dead_letter", "retry_delay"]
