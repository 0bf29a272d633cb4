"""The Store and the Outbox on a SQL database, written once for SQLite and PostgreSQL.

Nothing is cached in the process: every read goes to the database, every change is one short
transaction, so a process never serves a stale copy of what another process wrote. A POQ row
keeps the searchable columns (state, creation time, projectId, externalId, requested date,
owner) next to the whole record as JSON (``codec``), plus its timeline (when each pending
transition is due) and ``next_due_ts``, the earliest of them, so a restarted process, or a
peer whose neighbour died, can find and finish overdue work.

A transition re-reads its POQ inside its write transaction with a row lock (PostgreSQL
``SELECT ... FOR UPDATE``; SQLite has one writer at a time) and does nothing when it was
already applied: whichever process comes second finds no work, so each transition happens
exactly once however many processes armed it.

The outbox keeps subscriptions and notifications in the same database, written in the
transaction that changes the POQ, so a notification exists exactly when its state change does.
A row is deleted once the listener answered 2xx: delivery is at least once, and a redelivery
carries the same ``eventId`` (the body is stored as created). A failed delivery is retried on
the scenario's policy (``protocol.after_failure``); out of retries, the row stays as a dead
letter (``dead_at``, ``reason``) for ``/_mock/outbox``. A subscription is served by one
process at a time (a lease on its row), in order; a lease left by a process that died on this
host is taken over at once, any other one when it expires.

A database (``SqlDatabase``) gives ``query`` / ``run`` with ``?`` placeholders, re-entrant
transactions per thread with after-commit callbacks, and ``row_lock``.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, overload

from mock_seller.core.model import PoqRecord
from mock_seller.storage.codec import dumps, loads
from mock_seller.storage.protocol import (
    DEAD_LETTERS_SHOWN,
    DELIVERED,
    ListQuery,
    Pending,
    Timeline,
    after_failure,
    dead_letter,
)
from schemas.dialect import ACKNOWLEDGED, FINAL_ITEM_STATES, FINAL_POQ_STATES

Rows = list[tuple[Any, ...]]


class SqlDatabase:
    """Transactions per thread (re-entrant; callbacks after the outer commit) over a driver's
    connections. Subclasses give ``_begin`` / ``_end`` / ``_query`` / ``_run``."""

    dialect = ""
    row_lock = ""  # appended to a SELECT inside a transaction to lock the rows it reads

    def __init__(self, where: str) -> None:
        self.where = where  # for messages: a path, or a DSN without its password
        self.owner = f"{socket.gethostname()}|{os.getpid()}|{uuid.uuid4().hex[:8]}"
        self.closed = False
        self._local = threading.local()

    # -- driver hooks -------------------------------------------------------------------
    def _begin(self) -> Any:
        raise NotImplementedError

    def _end(self, conn: Any, commit: bool) -> None:
        raise NotImplementedError

    def _query(self, conn: Any | None, sql: str, params: Sequence[Any]) -> Rows:
        raise NotImplementedError

    def _run(self, conn: Any | None, sql: str, params: Sequence[Any]) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- what stores use ----------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Rows of one statement (in this thread's transaction, if one is open)."""
        return self._query(getattr(self._local, "conn", None), sql, params)

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement; the number of rows it changed."""
        return self._run(getattr(self._local, "conn", None), sql, params)

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement over many parameter rows, in one transaction (bulk loads)."""
        with self.transaction() as conn:
            self._run_many(conn, sql, rows)

    def _run_many(self, conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def in_transaction(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    def locked(self, sql: str) -> str:
        """``sql`` with the row lock when inside a transaction."""
        return sql + self.row_lock if self.in_transaction() else sql

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        local = self._local
        if getattr(local, "depth", 0):
            local.depth += 1
            try:
                yield local.conn
            finally:
                local.depth -= 1
            return
        conn = self._begin()
        local.conn, local.depth, local.after = conn, 1, []
        try:
            yield conn
        except BaseException:
            local.conn, local.depth, local.after = None, 0, []
            self._end(conn, commit=False)
            raise
        after, local.conn, local.depth, local.after = local.after, None, 0, []
        self._end(conn, commit=True)
        for fn in after:
            fn()

    def after_commit(self, fn: Callable[[], None]) -> None:
        if self.in_transaction():
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

    def __init__(self, db: SqlDatabase, where: str, params: list[Any]) -> None:
        self._db, self._where, self._params = db, where, params
        self._total = int(db.query(f"SELECT COUNT(*) FROM poq WHERE {where}", params)[0][0])

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[PoqRecord]:
        """All matches in one query."""
        for (data,) in self._db.query(f"SELECT data FROM poq WHERE {self._where} ORDER BY seq",
                                      self._params):
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
        rows = self._db.query(
            f"SELECT data FROM poq WHERE {self._where} ORDER BY seq LIMIT ? OFFSET ?",
            [*self._params, stop - start, start])
        return [loads(r[0]) for r in rows][::step]


class SqlStore:
    """The Store protocol on a SQL database (see the module docstring)."""

    durable = True

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def transaction(self) -> Any:
        return self.db.transaction()

    def outbox(self) -> SqlOutbox:
        """The outbox in the same database (``storage.outbox_for``)."""
        return SqlOutbox(self.db)

    def add(self, record: PoqRecord) -> None:
        """Insert (a record with the id of a stored one replaces it, as in memory)."""
        record.created_ts = record.created.timestamp()
        with self.db.transaction():
            rows = self.db.query(
                "INSERT INTO poq (api, id, state, created_ts, project_id, external_id,"
                " requested_ts, buyer, seller, data) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (api, id) DO UPDATE SET state=excluded.state,"
                " created_ts=excluded.created_ts, project_id=excluded.project_id,"
                " external_id=excluded.external_id, requested_ts=excluded.requested_ts,"
                " buyer=excluded.buyer, seller=excluded.seller, data=excluded.data,"
                " timeline=NULL, next_due_ts=NULL RETURNING seq",
                (record.api, record.id, record.state, record.created_ts, record.project_id,
                 record.external_id, _ts(record.requested), record.buyer, record.seller,
                 dumps(record)))
            record.seq = int(rows[0][0])

    def add_many(self, records: Sequence[PoqRecord]) -> None:
        """Insert many new records at once (a bulk load: benchmarks, imports)."""
        rows = []
        for record in records:
            record.created_ts = record.created.timestamp()
            rows.append((record.api, record.id, record.state, record.created_ts,
                         record.project_id, record.external_id, _ts(record.requested),
                         record.buyer, record.seller, dumps(record)))
        self.db.run_many("INSERT INTO poq (api, id, state, created_ts, project_id, external_id,"
                         " requested_ts, buyer, seller, data) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

    def set_timeline(self, record: PoqRecord, timeline: Timeline) -> None:
        with self.db.transaction():
            self.db.run("UPDATE poq SET timeline=?, next_due_ts=? WHERE api=? AND id=?",
                        (dumps(timeline), next_due(record, timeline), record.api, record.id))

    def save(self, record: PoqRecord) -> None:
        """Persist the record's states and histories (after a transition)."""
        with self.db.transaction():
            rows = self.db.query(self.db.locked("SELECT timeline FROM poq WHERE api=? AND id=?"),
                                 (record.api, record.id))
            if not rows:
                return
            timeline = None if rows[0][0] is None else loads(rows[0][0])
            self.db.run("UPDATE poq SET state=?, next_due_ts=?, data=? WHERE api=? AND id=?",
                        (record.state, next_due(record, timeline), dumps(record),
                         record.api, record.id))

    def get(self, api: str, poq_id: str) -> PoqRecord | None:
        """The stored record; inside a transaction its row stays locked until the end, so
        two processes never apply the same transition (the second one waits, then sees it)."""
        rows = self.db.query(self.db.locked("SELECT data FROM poq WHERE api=? AND id=?"),
                             (api, poq_id))
        return loads(rows[0][0]) if rows else None

    def state_changed(self, record: PoqRecord, old_state: str) -> None:
        """Covered by ``save``, which the engine calls after every transition."""

    def match(self, api: str, query: ListQuery) -> Sequence[PoqRecord]:
        where: list[str] = ["api=?"]
        params: list[Any] = [api]
        if query.owner is not None:
            for name, who in zip(("buyer", "seller"), query.owner, strict=True):
                if who is None:  # IS NULL / = ? (both use the owner index)
                    where.append(f"{name} IS NULL")
                else:
                    where.append(f"{name}=?")
                    params.append(who)
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
                params.append(value)
        return _Matched(self.db, " AND ".join(where), params)

    def count(self, api: str) -> int:
        return int(self.db.query("SELECT COUNT(*) FROM poq WHERE api=?", (api,))[0][0])

    def pending(self, due_before: float | None = None) -> list[tuple[PoqRecord, Timeline]]:
        """Records with transitions still to apply (all, or those due before a time)."""
        sql = "SELECT data, timeline FROM poq WHERE next_due_ts IS NOT NULL"
        params: list[Any] = []
        if due_before is not None:
            sql += " AND next_due_ts < ?"
            params.append(due_before)
        rows = self.db.query(sql + " ORDER BY next_due_ts", params)
        return [(loads(data), loads(timeline)) for data, timeline in rows]

    def clear(self) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM poq")

    def close(self) -> None:
        self.db.close()


class SqlOutbox:
    """Subscriptions and notifications in the store's database (see the module docstring)."""

    durable = True

    def __init__(self, db: SqlDatabase, lease: float = 10.0) -> None:
        self._db = db
        self._lease = lease

    def add_subscription(self, sub: Any) -> None:
        with self._db.transaction():
            self._db.run("INSERT INTO subscription (id, api, data) VALUES (?,?,?)",
                         (sub.id, sub.api, dumps(sub)))

    def subscription(self, sub_id: str) -> Any | None:
        rows = self._db.query("SELECT data FROM subscription WHERE id=?", (sub_id,))
        return loads(rows[0][0]) if rows else None

    def remove_subscription(self, sub_id: str, api: str) -> bool:
        with self._db.transaction():
            gone = self._db.run("DELETE FROM subscription WHERE id=? AND api=?", (sub_id, api))
            if gone:
                self._db.run("DELETE FROM outbox WHERE sub_id=?", (sub_id,))
        return bool(gone)

    def subscriptions(self, api: str | None = None) -> list[Any]:
        sql = "SELECT data FROM subscription"
        params: tuple[str, ...] = ()
        if api is not None:
            sql, params = sql + " WHERE api=?", (api,)
        return [loads(r[0]) for r in self._db.query(sql + " ORDER BY seq", params)]

    def put(self, sub_id: str, url: str, body: dict[str, Any], delay: float = 0.0) -> None:
        now = time.time()
        with self._db.transaction():
            self._db.run("INSERT INTO outbox (sub_id, event_id, url, body, created, next_at)"
                         " VALUES (?,?,?,?,?,?)",
                         (sub_id, str(body.get("eventId", "")), url,
                          json.dumps(body, separators=(",", ":")), now, now + max(0.0, delay)))

    def on_commit(self, fn: Callable[[], None]) -> None:
        self._db.after_commit(fn)

    def _may_lease(self, owner: str | None, until: float | None, now: float) -> bool:
        return (owner is None or owner == self._db.owner or until is None or until < now
                or not self._db.owner_alive(owner))

    def claim(self, sub_id: str) -> Pending | None:
        """The subscription's oldest live notification, if due and no other process serves
        it; takes the subscription's lease for one attempt."""
        now = time.time()
        db = self._db
        with db.transaction():
            sub = db.query(db.locked("SELECT lease_owner, lease_until FROM subscription"
                                     " WHERE id=?"), (sub_id,))
            if not sub or not self._may_lease(sub[0][0], sub[0][1], now):
                return None
            head = db.query("SELECT seq, url, body, created, attempts, next_at FROM outbox"
                            " WHERE sub_id=? AND dead_at IS NULL ORDER BY seq LIMIT 1",
                            (sub_id,))
            if not head or head[0][5] > now:
                return None
            db.run("UPDATE subscription SET lease_owner=?, lease_until=? WHERE id=?",
                   (db.owner, now + self._lease, sub_id))
        seq, url, body, created, attempts, _ = head[0]
        return Pending(sub_id, url, json.loads(body), attempts, created, seq)

    def settle(self, pending: Pending, ok: bool, retries: int, backoff: float,
               drop: bool = False) -> tuple[str, float]:
        now = time.time()
        outcome, delay, reason = (DELIVERED, 0.0, None) if ok else after_failure(
            pending.attempts + 1, retries, backoff, drop)
        if not ok:
            pending.attempts += 1
        with self._db.transaction():
            if ok:
                self._db.run("DELETE FROM outbox WHERE seq=?", (pending.seq,))
            elif reason is None:
                self._db.run("UPDATE outbox SET attempts=?, next_at=? WHERE seq=?",
                             (pending.attempts, now + delay, pending.seq))
            else:
                self._db.run("UPDATE outbox SET attempts=?, dead_at=?, reason=? WHERE seq=?",
                             (pending.attempts, now, reason, pending.seq))
            self._db.run("UPDATE subscription SET lease_owner=NULL, lease_until=NULL"
                         " WHERE id=? AND lease_owner=?", (pending.sub_id, self._db.owner))
        return outcome, delay

    def recheck(self, sub_id: str) -> bool:
        return bool(self._due(sub_id))

    def due_subscriptions(self) -> list[str]:
        return self._due(None)

    def _due(self, only: str | None) -> list[str]:
        """Subscriptions whose oldest live notification is due and free to lease."""
        now = time.time()
        where, params = ("AND sub_id=?", (only,)) if only is not None else ("", ())
        rows = self._db.query(
            "SELECT o.sub_id, o.next_at, s.lease_owner, s.lease_until"
            " FROM outbox o JOIN subscription s ON s.id = o.sub_id WHERE o.seq IN"
            f" (SELECT MIN(seq) FROM outbox WHERE dead_at IS NULL {where} GROUP BY sub_id)",
            params)
        return [r[0] for r in rows if r[1] <= now and self._may_lease(r[2], r[3], now)]

    def backlog(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM outbox WHERE dead_at IS NULL")[0][0])

    def dead_letters(self, limit: int = DEAD_LETTERS_SHOWN) -> list[dict[str, Any]]:
        rows = self._db.query(
            "SELECT sub_id, event_id, url, attempts, created, dead_at, reason FROM outbox"
            " WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, seq DESC LIMIT ?", (limit,))
        return [dead_letter(*row) for row in rows]

    def dead_count(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM outbox WHERE dead_at IS NOT NULL")[0][0])

    def redeliver(self) -> int:
        """Put every dead letter back in its queue (attempts from zero)."""
        with self._db.transaction():
            return self._db.run("UPDATE outbox SET dead_at=NULL, reason=NULL, attempts=0,"
                                " next_at=? WHERE dead_at IS NOT NULL", (time.time(),))

    def reset(self) -> None:
        with self._db.transaction():
            self._db.run("DELETE FROM outbox")
            self._db.run("DELETE FROM subscription")

    def close(self) -> None:
        """The database keeps everything for the next start; the store closes it."""


__all__ = ["SqlDatabase", "SqlOutbox", "SqlStore", "next_due"]
