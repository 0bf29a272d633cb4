"""Where an app keeps its engine: one key and one accessor, so that the modules serving a
request (any room) reach the engine without importing the engine module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_seller.core.engine import Engine

ENGINE_KEY = "poq_mock"  # in Flask ``app.extensions``


def engine_of(app: Any) -> Engine:
    """The engine of a mock seller app (a Flask app built by ``create_app``)."""
    return app.extensions[ENGINE_KEY]  # type: ignore[no-any-return]


__all__ = ["ENGINE_KEY", "engine_of"]
