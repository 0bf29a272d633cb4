"""Storage: where POQs, subscriptions and undelivered notifications live. ``protocol``
says what a back end implements; ``memory`` and ``sqlite`` implement it; ``codec`` turns
records into JSON for durable back ends."""

from __future__ import annotations

from typing import Any

from mock_seller.storage.memory import MemoryOutbox, MemoryStore
from mock_seller.storage.protocol import Store, StoreError
from mock_seller.storage.sqlite import Database, SqliteOutbox, SqliteStore


def open_store(url: str | None) -> Store:
    """``memory`` (default) or ``sqlite:///relative.db`` / ``sqlite:////absolute.db``."""
    if url is None or url in ("", "memory", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        return SqliteStore.from_url(url)
    raise StoreError(f"store {url!r}: expected 'memory' or sqlite:///path.db")


def outbox_for(store: Any) -> MemoryOutbox | SqliteOutbox:
    """The outbox that matches a store: durable next to a SQLite store, in memory otherwise."""
    db = getattr(store, "db", None)
    return SqliteOutbox(db) if isinstance(db, Database) else MemoryOutbox()


__all__ = ["open_store", "outbox_for"]
