"""The bundled mock POQ seller: speaks API v8 and v7 from one MEF 79.1 engine."""

from __future__ import annotations

from mock_seller.app import create_app, engine_of

__all__ = ["create_app", "engine_of"]
