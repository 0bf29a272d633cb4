"""Storage: where POQs, subscriptions and undelivered notifications live. ``protocol``
says what a back end implements; ``memory`` and ``sqlite`` implement it; ``codec`` turns
records into JSON for durable back ends."""

from __future__ import annotations

from typing import Any

from mock_seller.storage.memory import MemoryOutbox, MemoryStore
from mock_seller.storage.protocol import Outbox, Store, StoreError
from mock_seller.storage.sqlite import SqliteStore


def open_store(url: str | None) -> Store:
    """``memory`` (default) or ``sqlite:///relative.db`` / ``sqlite:////absolute.db``."""
    if url is None or url in ("", "memory", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        return SqliteStore.from_url(url)
    raise StoreError(f"store {url!r}: expected 'memory' or sqlite:///path.db")


def outbox_for(store: Any) -> Outbox:
    """The outbox a store declares; a store of our tests or a user's that declares none gets
    one in memory, unless it is durable (its notifications would silently not be)."""
    declared = getattr(store, "outbox", None)
    if declared is not None:
        return declared()  # type: ignore[no-any-return]
    if getattr(store, "durable", False):
        raise StoreError(f"{type(store).__name__} is durable but declares no outbox()")
    return MemoryOutbox()


__all__ = ["open_store", "outbox_for"]
