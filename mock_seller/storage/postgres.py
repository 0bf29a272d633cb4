"""PostgreSQL store (``--store postgresql://user:pass@host:port/db``): one database behind any
number of mock processes on any number of hosts, which then behave as one seller.

The store and outbox logic is ``storage/sql.py`` (shared with SQLite); this module gives the
connections: a psycopg 3 connection pool (autocommit for single reads; ``BEGIN`` ...
``COMMIT`` on one pooled connection for a transaction, READ COMMITTED), and the row lock
(``FOR UPDATE``) that makes a transition wait for, then see, a peer's. The schema is created
and migrated on open under an advisory lock, so processes starting together migrate once.

The DSN's password is never logged nor shown: ``redact(dsn)`` is what messages carry.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mock_seller.storage.migrations import migrate
from mock_seller.storage.protocol import StoreError
from mock_seller.storage.sql import Rows, SqlDatabase, SqlOutbox, SqlStore

SCHEMES = ("postgresql://", "postgres://")
POOL_MAX = 20  # connections per process (request threads + notifier + timers)
CONNECT_TIMEOUT_S = 10
MIGRATION_LOCK = 7_926_314_014  # pg_advisory_xact_lock key: one migrating process at a time
_PLACEHOLDER = re.compile(r"\?")


def redact(dsn: str) -> str:
    """The DSN with its password (in the URL or as ``password=``) replaced by ``***``."""
    try:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.partition(":")[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else netloc
        query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "postgresql://***"


def is_postgres_url(url: str) -> bool:
    return url.startswith(SCHEMES)


class PgDatabase(SqlDatabase):
    """A PostgreSQL database through a psycopg 3 connection pool."""

    dialect = "postgresql"
    row_lock = " FOR UPDATE"

    def __init__(self, dsn: str, max_size: int = POOL_MAX) -> None:
        super().__init__(redact(dsn))
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise StoreError("store postgresql://...: psycopg is not installed; "
                             "pip install 'poq-conformance[postgres]'") from None
        self._errors = psycopg.Error
        self._sql: dict[str, str] = {}
        self._sql_lock = threading.Lock()
        dsn = "postgresql://" + dsn.split("://", 1)[1]
        try:
            psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S).close()  # the real reason
            self._pool = ConnectionPool(
                dsn, min_size=1, max_size=max_size, open=False, name="poq-mock",
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S})
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # bad DSN, refused, wrong password: one line, no secret
            with suppress(Exception):
                self._pool.close()
            raise StoreError(f"store {self.where}: cannot connect: "
                             f"{_first_line(exc, dsn)}") from None
        try:
            with self.transaction():
                self.query("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
                migrate(self.dialect, self.query, self.where)
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"store {self.where}: {_first_line(exc, dsn)}") from None
        except StoreError:
            self.close()
            raise

    def _text(self, sql: str) -> str:
        """``?`` placeholders as psycopg's ``%s`` (cached; our SQL has no literal ``%``)."""
        found = self._sql.get(sql)
        if found is None:
            found = _PLACEHOLDER.sub("%s", sql)
            with self._sql_lock:
                self._sql[sql] = found
        return found

    def _begin(self) -> Any:
        conn = self._pool.getconn()
        try:
            conn.execute("BEGIN")
        except BaseException:
            self._pool.putconn(conn)
            raise
        return conn

    def _end(self, conn: Any, commit: bool) -> None:
        try:
            conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self._pool.putconn(conn)

    def _query(self, conn: Any | None, sql: str, params: Sequence[Any]) -> Rows:
        if conn is None:
            with self._pool.connection() as own:
                cur = own.execute(self._text(sql), params)
                return cur.fetchall() if cur.description else []
        cur = conn.execute(self._text(sql), params)
        return cur.fetchall() if cur.description else []

    def _run(self, conn: Any | None, sql: str, params: Sequence[Any]) -> int:
        if conn is None:
            with self._pool.connection() as own:
                return int(own.execute(self._text(sql), params).rowcount)
        return int(conn.execute(self._text(sql), params).rowcount)

    def _run_many(self, conn: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with conn.cursor() as cur:
            cur.executemany(self._text(sql), rows)  # pipelined by psycopg

    def close(self) -> None:
        self.closed = True
        with suppress(Exception):
            self._pool.close(timeout=5)


def _first_line(exc: BaseException, dsn: str) -> str:
    """The driver's message, first line, with the DSN's password removed if it echoes it."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    password = urlsplit(dsn).password
    return text.replace(password, "***") if password else text


class PostgresStore(SqlStore):
    """The Store protocol on a PostgreSQL database."""

    db: PgDatabase

    def __init__(self, dsn: str) -> None:
        super().__init__(PgDatabase(dsn))


class PostgresOutbox(SqlOutbox):
    """Subscriptions and notifications in the store's PostgreSQL database."""


__all__ = ["PgDatabase", "PostgresOutbox", "PostgresStore", "is_postgres_url", "redact"]
