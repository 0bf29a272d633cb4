"""The bundled mock POQ seller: speaks API v8 and v7 from one MEF 79.1 engine."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "engine_of"]


def __getattr__(name: str) -> Any:
    """``create_app`` / ``engine_of`` load Flask on first use, so importing a light module
    of this package (the pytest plugin of ``mock_seller.testing``) costs nothing."""
    if name in __all__:
        from mock_seller import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
