"""SQLite store (``--store sqlite:///path.db``): POQs survive restarts, and several processes may
share one file.

Nothing is cached in the process: every read goes to the file, every change is one short
``BEGIN IMMEDIATE`` transaction (WAL journal, ``busy_timeout``), so a process never serves a
stale copy of what another process wrote. A POQ row keeps the searchable columns (state,
creation time, projectId, externalId, requested date) next to the whole record as JSON, plus
its timeline (when each pending transition is due) and ``next_due_ts``, the earliest of them,
so a restarted process, or a peer whose neighbour died, can find and finish overdue work.

``SqliteOutbox`` keeps subscriptions and notifications in the same file, written in the
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
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, overload

from mock_seller.core.model import PoqRecord
from mock_seller.storage.codec import dumps, loads
from mock_seller.storage.protocol import (
    DELIVERED,
    DROPPED,
    MAX_AGE,
    RETRY,
    ListQuery,
    Pending,
    StoreError,
    Timeline,
    retry_delay,
)
from schemas.dialect import ACKNOWLEDGED, FINAL_ITEM_STATES, FINAL_POQ_STATES

SCHEMA_VERSION = "2"
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS poq (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    api TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, created_ts REAL NOT NULL,
    project_id TEXT, external_id TEXT, requested_ts REAL, buyer TEXT, seller TEXT,
    next_due_ts REAL, timeline TEXT, data TEXT NOT NULL,
    UNIQUE (api, id));
CREATE INDEX IF NOT EXISTS poq_api ON poq (api, seq);
CREATE INDEX IF NOT EXISTS poq_created ON poq (api, created_ts);
CREATE INDEX IF NOT EXISTS poq_state ON poq (api, state, seq);
CREATE INDEX IF NOT EXISTS poq_project ON poq (api, project_id, seq);
CREATE INDEX IF NOT EXISTS poq_external ON poq (api, external_id, seq);
CREATE INDEX IF NOT EXISTS poq_owner ON poq (api, buyer, seller, seq);
CREATE INDEX IF NOT EXISTS poq_due ON poq (next_due_ts) WHERE next_due_ts IS NOT NULL;
CREATE TABLE IF NOT EXISTS subscription (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, api TEXT NOT NULL,
    data TEXT NOT NULL, lease_owner TEXT, lease_until REAL);
CREATE INDEX IF NOT EXISTS subscription_api ON subscription (api, seq);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, sub_id TEXT NOT NULL, event_id TEXT NOT NULL,
    url TEXT NOT NULL, body TEXT NOT NULL, created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_sub ON outbox (sub_id, seq);
"""


# -- connections and transactions ---------------------------------------------------------
def path_from_url(url: str) -> str:
    """``sqlite:///rel/path.db`` (relative) or ``sqlite:////abs/path.db`` (absolute)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StoreError(f"store {url!r}: expected sqlite:///relative.db or sqlite:////abs.db")
    return url[len(prefix):]


class Database:
    """One SQLite file: a connection per thread, re-entrant ``BEGIN IMMEDIATE`` transactions
    with after-commit callbacks (to wake workers once their rows are visible)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.owner = f"{socket.gethostname()}|{os.getpid()}|{uuid.uuid4().hex[:8]}"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.Lock()  # one write transaction at a time in this process
        self._closed = False
        parent = Path(path).resolve().parent
        if not parent.is_dir():
            raise StoreError(f"store {path}: directory {parent} does not exist")
        try:
            conn = self.conn()
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"store {path}: cannot switch to WAL journal (got {mode})")
            conn.executescript(_SCHEMA)  # idempotent; each statement commits on its own
            with self.transaction():
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if row is None:
                    conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                elif row[0] != SCHEMA_VERSION:
                    raise StoreError(f"store {path}: schema version {row[0]}, this mock "
                                     f"needs {SCHEMA_VERSION}; use a new file")
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"store {path}: {exc}") from None

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("store closed")
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL: survives a process kill
            self._local.conn = conn
            self._local.depth = 0
            self._local.after = []
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Write transaction (re-entrant per thread); callbacks run after the outer commit."""
        conn = self.conn()
        local = self._local
        if local.depth:
            local.depth += 1
            try:
                yield conn
            finally:
                local.depth -= 1
            return
        with self._writer:  # threads queue here; SQLite's busy wait only between processes
            conn.execute("BEGIN IMMEDIATE")
            local.depth = 1
            try:
                yield conn
            except BaseException:
                local.depth = 0
                local.after = []
                conn.execute("ROLLBACK")
                raise
            local.depth = 0
            after, local.after = local.after, []
            try:
                conn.execute("COMMIT")
            except sqlite3.Error:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        for fn in after:
            fn()

    def after_commit(self, fn: Callable[[], None]) -> None:
        self.conn()
        if self._local.depth:
            self._local.after.append(fn)
        else:
            fn()

    def owner_alive(self, owner: str) -> bool:
        """False only when ``owner`` is a process on this host that no longer exists."""
        host, _, rest = owner.partition("|")
        pid_text = rest.partition("|")[0]
        if host != socket.gethostname() or not pid_text.isdigit():
            return True
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            with suppress(sqlite3.Error):
                conn.close()


# -- the store ----------------------------------------------------------------------------
def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def next_due(record: PoqRecord, timeline: Timeline | None) -> float | None:
    """Epoch time of the record's earliest pending transition (None: nothing left to do)."""
    if timeline is None or record.state in FINAL_POQ_STATES:
        return None
    dues = [timeline.start] if any(i.state == ACKNOWLEDGED for i in record.items) else []
    dues += [due for due, index in timeline.items
             if index < len(record.items) and record.items[index].state not in FINAL_ITEM_STATES]
    return min(dues) if dues else None


class _Matched(Sequence[PoqRecord]):
    """Matching POQs, counted at once and read page by page (never all 100k decoded)."""

    def __init__(self, db: Database, where: str, params: list[Any]) -> None:
        self._db, self._where, self._params = db, where, params
        self._total = db.conn().execute(f"SELECT COUNT(*) FROM poq WHERE {where}",
                                        params).fetchone()[0]

    def __len__(self) -> int:
        return int(self._total)

    def __iter__(self) -> Iterator[PoqRecord]:
        """All matches in one query (a filter over the whole result, e.g. by owner)."""
        cursor = self._db.conn().execute(
            f"SELECT data FROM poq WHERE {self._where} ORDER BY seq", self._params)
        for (data,) in cursor:
            yield loads(data)

    @overload
    def __getitem__(self, index: int) -> PoqRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[PoqRecord]: ...

    def __getitem__(self, index: int | slice) -> PoqRecord | list[PoqRecord]:
        if isinstance(index, int):
            position = index + self._total if index < 0 else index
            got = self[position:position + 1] if position >= 0 else []
            if not got:
                raise IndexError(index)
            return got[0]
        start, stop, step = index.indices(self._total)
        if stop <= start:
            return []
        rows = self._db.conn().execute(
            f"SELECT data FROM poq WHERE {self._where} ORDER BY seq LIMIT ? OFFSET ?",
            [*self._params, stop - start, start]).fetchall()
        return [loads(r[0]) for r in rows][::step]


class SqliteStore:
    """The Store protocol on one SQLite file (see the module docstring)."""

    durable = True

    def __init__(self, path: str) -> None:
        self.db = Database(path)

    def outbox(self) -> SqliteOutbox:
        """Notifications in the same file, written in the transaction of their POQ change."""
        return SqliteOutbox(self.db)

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        return cls(path_from_url(url))

    def transaction(self) -> Any:
        return self.db.transaction()

    def add(self, record: PoqRecord) -> None:
        """Insert (a record with the id of a stored one replaces it, as in memory)."""
        record.created_ts = record.created.timestamp()
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR REPLACE INTO poq (api, id, state, created_ts, project_id,"
                " external_id, requested_ts, buyer, seller, data)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (record.api, record.id, record.state, record.created_ts, record.project_id,
                 record.external_id, _ts(record.requested), record.buyer, record.seller,
                 dumps(record)))
            record.seq = int(cur.lastrowid or 0)

    def set_timeline(self, record: PoqRecord, timeline: Timeline) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE poq SET timeline=?, next_due_ts=? WHERE api=? AND id=?",
                         (dumps(timeline), next_due(record, timeline), record.api, record.id))

    def save(self, record: PoqRecord) -> None:
        """Persist the record's states and histories (after a transition)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT timeline FROM poq WHERE api=? AND id=?",
                               (record.api, record.id)).fetchone()
            if row is None:
                return
            timeline = None if row[0] is None else loads(row[0])
            conn.execute("UPDATE poq SET state=?, next_due_ts=?, data=? WHERE api=? AND id=?",
                         (record.state, next_due(record, timeline), dumps(record),
                          record.api, record.id))

    def get(self, api: str, poq_id: str) -> PoqRecord | None:
        row = self.db.conn().execute("SELECT data FROM poq WHERE api=? AND id=?",
                                     (api, poq_id)).fetchone()
        return None if row is None else loads(row[0])  # type: ignore[no-any-return]

    def state_changed(self, record: PoqRecord, old_state: str) -> None:
        """Covered by ``save``, which the engine calls after every transition."""

    def match(self, api: str, query: ListQuery) -> Sequence[PoqRecord]:
        where, params = ["api=?"], [api]
        if query.owner is not None:
            where.append("buyer IS ? AND seller IS ?")
            params.extend(query.owner)  # type: ignore[arg-type]
        for column, op, value in (
            ("state", "=", query.state), ("project_id", "=", query.project_id),
            ("external_id", "=", query.external_id),
            ("created_ts", ">=", _ts(query.created_from)),
            ("created_ts", "<=", _ts(query.created_to)),
            ("requested_ts", ">=", _ts(query.requested_from)),
            ("requested_ts", "<=", _ts(query.requested_to)),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)  # type: ignore[arg-type]
        return _Matched(self.db, " AND ".join(where), params)

    def count(self, api: str) -> int:
        row = self.db.conn().execute("SELECT COUNT(*) FROM poq WHERE api=?", (api,)).fetchone()
        return int(row[0])

    def pending(self, due_before: float | None = None) -> list[tuple[PoqRecord, Timeline]]:
        """Records with transitions still to apply (all, or those due before a time)."""
        sql = "SELECT data, timeline FROM poq WHERE next_due_ts IS NOT NULL"
        params: list[Any] = []
        if due_before is not None:
            sql += " AND next_due_ts < ?"
            params.append(due_before)
        rows = self.db.conn().execute(sql + " ORDER BY next_due_ts", params).fetchall()
        return [(loads(data), loads(timeline)) for data, timeline in rows]

    def clear(self) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM poq")

    def close(self) -> None:
        self.db.close()


__all__ = ["Database", "SqliteOutbox", "SqliteStore", "next_due", "path_from_url"]


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
