"""SQLite store (``--store sqlite:///path.db``): POQs survive restarts, and several processes on
one host may share one file.

The store and outbox logic is ``storage/sql.py`` (shared with PostgreSQL); this module gives
the SQLite connections: one per thread, WAL journal, ``busy_timeout``, and every change one
``BEGIN IMMEDIATE`` transaction (one writer at a time, so a transition re-reading its POQ in
its transaction never races another process). The schema is created and migrated on open
(``storage/migrations.py``).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from mock_seller.storage.migrations import migrate
from mock_seller.storage.protocol import StoreError
from mock_seller.storage.sql import Rows, SqlDatabase, SqlOutbox, SqlStore, next_due

BUSY_TIMEOUT_S = 30.0


def path_from_url(url: str) -> str:
    """``sqlite:///rel/path.db`` (relative) or ``sqlite:////abs/path.db`` (absolute)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StoreError(f"store {url!r}: expected sqlite:///relative.db or sqlite:////abs.db")
    return url[len(prefix):]


class _ThreadConnection:
    """A thread's connection, closed when the thread ends (its thread-local goes) rather
    than kept until the store closes: granian starts and ends request threads on demand."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        with suppress(sqlite3.Error):
            self.conn.close()


class Database(SqlDatabase):
    """One SQLite file: a connection per thread, ``BEGIN IMMEDIATE`` write transactions."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path
        self._all: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._writer = threading.Lock()  # one write transaction at a time in this process
        parent = Path(path).resolve().parent
        if not parent.is_dir():
            raise StoreError(f"store {path}: directory {parent} does not exist")
        try:
            conn = self.conn()
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"store {path}: cannot switch to WAL journal (got {mode})")
            with self.transaction():
                migrate(self.dialect, self.query, path)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"store {path}: {exc}") from None
        except StoreError:
            self.close()
            raise

    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        held: _ThreadConnection | None = getattr(self._local, "sqlite", None)
        if held is None:
            if self.closed:
                raise sqlite3.ProgrammingError("store closed")
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL: survives a process kill
            held = self._local.sqlite = _ThreadConnection(conn)
            with self._lock:
                self._all.add(held)
        return held.conn

    def _begin(self) -> sqlite3.Connection:
        conn = self.conn()
        self._writer.acquire()  # threads queue here; SQLite's busy wait only between processes
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._writer.release()
            raise
        return conn

    def _end(self, conn: sqlite3.Connection, commit: bool) -> None:
        try:
            if commit:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise
            else:
                conn.execute("ROLLBACK")
        finally:
            self._writer.release()

    def _query(self, conn: Any | None, sql: str, params: Sequence[Any]) -> Rows:
        return (conn or self.conn()).execute(sql, params).fetchall()

    def _run(self, conn: Any | None, sql: str, params: Sequence[Any]) -> int:
        return (conn or self.conn()).execute(sql, params).rowcount

    def _run_many(self, conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        conn.executemany(sql, rows)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            held, self._all = list(self._all), weakref.WeakSet()
        for one in held:
            with suppress(sqlite3.Error):
                one.conn.close()


class SqliteStore(SqlStore):
    """The Store protocol on one SQLite file."""

    db: Database

    def __init__(self, path: str) -> None:
        super().__init__(Database(path))

    def outbox(self) -> SqliteOutbox:
        """Notifications in the same file, written in the transaction of their POQ change."""
        return SqliteOutbox(self.db)

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        return cls(path_from_url(url))


class SqliteOutbox(SqlOutbox):
    """Subscriptions and notifications in the store's SQLite file."""


__all__ = ["Database", "SqliteOutbox", "SqliteStore", "next_due", "path_from_url"]
