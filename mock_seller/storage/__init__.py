"""Storage: where POQs, subscriptions and undelivered notifications live. ``protocol``
says what a back end implements; ``memory``, ``sqlite`` and ``postgres`` implement it (the two
SQL ones share ``sql``); ``codec`` turns records into JSON for durable back ends;
``migrations`` creates and upgrades their schema."""

from __future__ import annotations

from typing import Any

from mock_seller.storage.memory import MemoryOutbox, MemoryStore
from mock_seller.storage.protocol import Outbox, Store, StoreError
from mock_seller.storage.sqlite import SqliteStore


def open_store(url: str | None) -> Store:
    """``memory`` (default), ``sqlite:///relative.db`` / ``sqlite:////absolute.db``, or
    ``postgresql://user:password@host:port/database``."""
    if url is None or url in ("", "memory", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        return SqliteStore.from_url(url)
    if url.startswith(("postgresql:", "postgres:")):
        from mock_seller.storage.postgres import PostgresStore, is_postgres_url, redact

        if not is_postgres_url(url):
            raise StoreError(f"store {redact(url)}: expected postgresql://user:pass@host/db")
        return PostgresStore(url)
    raise StoreError(f"store {display_url(url)!r}: expected 'memory', sqlite:///path.db or "
                     "postgresql://user:password@host:port/database")


def display_url(url: str | None) -> str:
    """The store URL as logs and reports may show it (no password)."""
    if not url:
        return "memory"
    if "@" not in url and "password" not in url.lower():
        return url
    from mock_seller.storage.postgres import redact

    return redact(url)


def outbox_for(store: Any) -> Outbox:
    """The outbox a store declares; a store of our tests or a user's that declares none gets
    one in memory, unless it is durable (its notifications would silently not be)."""
    declared = getattr(store, "outbox", None)
    if declared is not None:
        return declared()  # type: ignore[no-any-return]
    if getattr(store, "durable", False):
        raise StoreError(f"{type(store).__name__} is durable but declares no outbox()")
    return MemoryOutbox()


__all__ = ["StoreError", "display_url", "open_store", "outbox_for"]
