"""Where the notifier keeps subscriptions and the notifications still to deliver.

``MemoryOutbox`` (default store): a FIFO per subscription; a notification is dropped after the
scenario's ``notifications.retries`` failed attempts (the mock's original behaviour).

``SqliteOutbox`` (``--store sqlite:...``): the same in the store's SQLite file, written in the
transaction that changes the POQ, so a notification exists exactly when its state change does.
Rows are deleted only once the listener answered 2xx: delivery is at least once, and a
redelivery carries the same ``eventId`` (the body is stored as created). A failed delivery is
retried with the scenario's backoff, doubling up to ``backoff * 2**(retries-1)`` and then
at that pace, until the notification is ``MAX_AGE`` seconds old (or its subscription is
deleted). A subscription is served by one process at a time (a short lease on its row), in
order; a lease left by a process that died on this host is taken over at once, any other one
when it expires.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mock_seller.store_sqlite import Database, dumps, loads

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
    delay: float = 0.0  # injected delay before the first attempt (mock_seller/faults.py)


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


class MemoryOutbox:
    """Subscriptions and per-subscription FIFOs in this process only."""

    durable = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, Any] = {}
        self._queues: dict[str, deque[Pending]] = {}

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
        with self._lock:
            q = self._queues.get(pending.sub_id)
            head = q is not None and bool(q) and q[0] is pending
            if ok or drop:
                if head:
                    q.popleft()  # type: ignore[union-attr]
                return (DELIVERED if ok else DROPPED), 0.0
            pending.attempts += 1
            if pending.attempts > retries:
                if head:
                    q.popleft()  # type: ignore[union-attr]
                return DROPPED, 0.0
            return RETRY, backoff * (2 ** (pending.attempts - 1))

    def recheck(self, sub_id: str) -> bool:
        with self._lock:
            return bool(self._queues.get(sub_id))

    def due_subscriptions(self) -> list[str]:
        return []

    def backlog(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def reset(self) -> None:
        with self._lock:
            self._subs.clear()
            self._queues.clear()

    def close(self) -> None:
        self.reset()


class SqliteOutbox:
    """Subscriptions and notifications in the store's SQLite file (see the module docstring)."""

    durable = True

    def __init__(self, db: Database, lease: float = 10.0) -> None:
        self._db = db
        self._lease = lease

    def add_subscription(self, sub: Any) -> None:
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO subscription (id, api, data) VALUES (?,?,?)",
                         (sub.id, sub.api, dumps(sub)))

    def subscription(self, sub_id: str) -> Any | None:
        row = self._db.conn().execute("SELECT data FROM subscription WHERE id=?",
                                      (sub_id,)).fetchone()
        return None if row is None else loads(row[0])

    def remove_subscription(self, sub_id: str, api: str) -> bool:
        with self._db.transaction() as conn:
            gone = conn.execute("DELETE FROM subscription WHERE id=? AND api=?",
                                (sub_id, api)).rowcount
            if gone:
                conn.execute("DELETE FROM outbox WHERE sub_id=?", (sub_id,))
        return bool(gone)

    def subscriptions(self, api: str | None = None) -> list[Any]:
        sql = "SELECT data FROM subscription"
        params: tuple[str, ...] = ()
        if api is not None:
            sql, params = sql + " WHERE api=?", (api,)
        rows = self._db.conn().execute(sql + " ORDER BY seq", params).fetchall()
        return [loads(r[0]) for r in rows]

    def put(self, sub_id: str, url: str, body: dict[str, Any], delay: float = 0.0) -> None:
        now = time.time()
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO outbox (sub_id, event_id, url, body, created, next_at)"
                         " VALUES (?,?,?,?,?,?)",
                         (sub_id, str(body.get("eventId", "")), url,
                          json.dumps(body, separators=(",", ":")), now, now + max(0.0, delay)))

    def on_commit(self, fn: Callable[[], None]) -> None:
        self._db.after_commit(fn)

    def _may_lease(self, owner: str | None, until: float | None, now: float) -> bool:
        return (owner is None or owner == self._db.owner or until is None or until < now
                or not self._db.owner_alive(owner))

    def claim(self, sub_id: str) -> Pending | None:
        """The subscription's oldest notification, if due and no other process serves it;
        takes the subscription's lease for one attempt."""
        now = time.time()
        with self._db.transaction() as conn:
            sub = conn.execute("SELECT lease_owner, lease_until FROM subscription WHERE id=?",
                               (sub_id,)).fetchone()
            if sub is None or not self._may_lease(sub[0], sub[1], now):
                return None
            head = conn.execute("SELECT seq, url, body, created, attempts, next_at FROM outbox"
                                " WHERE sub_id=? ORDER BY seq LIMIT 1", (sub_id,)).fetchone()
            if head is None or head[5] > now:
                return None
            conn.execute("UPDATE subscription SET lease_owner=?, lease_until=? WHERE id=?",
                         (self._db.owner, now + self._lease, sub_id))
        return Pending(sub_id, head[1], json.loads(head[2]), head[4], head[3], head[0])

    def settle(self, pending: Pending, ok: bool, retries: int, backoff: float,
               drop: bool = False) -> tuple[str, float]:
        now = time.time()
        outcome, delay = DELIVERED, 0.0
        with self._db.transaction() as conn:
            if not ok:
                attempts = pending.attempts + 1
                if drop or now - pending.created > MAX_AGE:
                    outcome = DROPPED
                else:
                    outcome, delay = RETRY, retry_delay(attempts, retries, backoff)
                    conn.execute("UPDATE outbox SET attempts=?, next_at=? WHERE seq=?",
                                 (attempts, now + delay, pending.seq))
            if outcome != RETRY:
                conn.execute("DELETE FROM outbox WHERE seq=?", (pending.seq,))
            conn.execute("UPDATE subscription SET lease_owner=NULL, lease_until=NULL"
                         " WHERE id=? AND lease_owner=?", (pending.sub_id, self._db.owner))
        return outcome, delay

    def recheck(self, sub_id: str) -> bool:
        return bool(self._due(sub_id))

    def due_subscriptions(self) -> list[str]:
        return self._due(None)

    def _due(self, only: str | None) -> list[str]:
        """Subscriptions whose oldest notification is due and free to lease."""
        now = time.time()
        where, params = ("WHERE o.sub_id=?", (only,)) if only is not None else ("", ())
        rows = self._db.conn().execute(
            "SELECT o.sub_id, MIN(o.seq), o.next_at, s.lease_owner, s.lease_until"
            f" FROM outbox o JOIN subscription s ON s.id = o.sub_id {where} GROUP BY o.sub_id",
            params).fetchall()
        return [r[0] for r in rows if r[2] <= now and self._may_lease(r[3], r[4], now)]

    def backlog(self) -> int:
        return int(self._db.conn().execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def reset(self) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM outbox")
            conn.execute("DELETE FROM subscription")

    def close(self) -> None:
        """The file keeps everything for the next start; the store closes the connections."""


def outbox_for(store: Any) -> MemoryOutbox | SqliteOutbox:
    """The outbox that matches a store: durable next to a SQLite store, in memory otherwise."""
    db = getattr(store, "db", None)
    return SqliteOutbox(db) if isinstance(db, Database) else MemoryOutbox()


__all__ = ["DELIVERED", "DROPPED", "MAX_AGE", "RETRY", "MemoryOutbox", "Outbox", "Pending",
           "SqliteOutbox", "outbox_for", "retry_delay"]
