"""Schema migrations of the durable stores: a ``schema_version`` table and a forward-only list
of steps per SQL dialect, applied on start in one transaction by whichever process gets there
first (the others wait for it, then find nothing to do).

A step is never edited once released: a change to the schema is a new step at the end. A
database written by a newer mock (more steps than this one knows) is refused, never
downgraded. Version 1 is the schema the SQLite store had before this table existed (its
``CREATE ... IF NOT EXISTS`` statements adopt such a file as it is).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from mock_seller.storage.protocol import StoreError

_SQLITE_V1 = """
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
CREATE INDEX IF NOT EXISTS outbox_sub ON outbox (sub_id, seq)
"""

_POSTGRES_V1 = """
CREATE TABLE poq (
    seq BIGSERIAL PRIMARY KEY,
    api TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL,
    created_ts DOUBLE PRECISION NOT NULL,
    project_id TEXT, external_id TEXT, requested_ts DOUBLE PRECISION, buyer TEXT, seller TEXT,
    next_due_ts DOUBLE PRECISION, timeline TEXT, data TEXT NOT NULL,
    UNIQUE (api, id));
CREATE INDEX poq_api ON poq (api, seq);
CREATE INDEX poq_created ON poq (api, created_ts);
CREATE INDEX poq_state ON poq (api, state, seq);
CREATE INDEX poq_project ON poq (api, project_id, seq);
CREATE INDEX poq_external ON poq (api, external_id, seq);
CREATE INDEX poq_owner ON poq (api, buyer, seller, seq);
CREATE INDEX poq_due ON poq (next_due_ts) WHERE next_due_ts IS NOT NULL;
CREATE TABLE subscription (
    seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, api TEXT NOT NULL,
    data TEXT NOT NULL, lease_owner TEXT, lease_until DOUBLE PRECISION);
CREATE INDEX subscription_api ON subscription (api, seq);
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY, sub_id TEXT NOT NULL, event_id TEXT NOT NULL,
    url TEXT NOT NULL, body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at DOUBLE PRECISION NOT NULL);
CREATE INDEX outbox_sub ON outbox (sub_id, seq)
"""

# v2: dead letters (a notification out of retries stays, marked, instead of vanishing),
# the shared /_mock control state, and what each process saw (request log, buyer records).
_V2 = """
ALTER TABLE outbox ADD COLUMN dead_at {real};
ALTER TABLE outbox ADD COLUMN reason TEXT;
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
CREATE TABLE control (
    key TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT, counter INTEGER NOT NULL DEFAULT 0);
CREATE TABLE peer (
    owner TEXT PRIMARY KEY, updated {real} NOT NULL, published {real}, requests TEXT,
    buyers TEXT)
"""

MIGRATIONS: dict[str, tuple[str, ...]] = {
    "sqlite": (_SQLITE_V1, _V2.format(real="REAL")),
    "postgresql": (_POSTGRES_V1, _V2.format(real="DOUBLE PRECISION")),
}


def statements(script: str) -> list[str]:
    """The statements of a step (our steps hold no ``;`` inside a statement)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def migrate(dialect: str, run: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]],
            where: str, steps: Sequence[str] | None = None) -> int:
    """Bring the schema up to date inside the caller's (exclusive) transaction; returns the
    version reached. ``run(sql, params)`` executes one statement and returns its rows."""
    steps = MIGRATIONS[dialect] if steps is None else steps
    run("CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, applied REAL NOT NULL)", ())
    rows = run("SELECT MAX(version) FROM schema_version", ())
    current = int(rows[0][0] or 0) if rows else 0
    if current > len(steps):
        raise StoreError(f"store {where}: schema version {current} was written by a newer "
                         f"mock (this one knows up to {len(steps)}); upgrade the mock")
    for version in range(current + 1, len(steps) + 1):
        for statement in statements(steps[version - 1]):
            run(statement, ())
        run("INSERT INTO schema_version (version, applied) VALUES (?, ?)",
            (version, time.time()))
    return len(steps)


__all__ = ["MIGRATIONS", "migrate", "statements"]
