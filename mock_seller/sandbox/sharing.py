"""Where an app keeps its shared control (``shared.py``): one key and one accessor, so that
``/_mock`` and the buyer report reach it without importing the database machinery (which
itself drives ``/_mock``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_seller.sandbox.shared import SharedControl

SHARED_KEY = "poq_mock_shared"  # in Flask ``app.extensions``


def shared_of(app: Any) -> SharedControl | None:
    """The shared control of an app on a SQL store; None on a memory store."""
    return app.extensions.get(SHARED_KEY)  # type: ignore[no-any-return]


__all__ = ["SHARED_KEY", "shared_of"]
