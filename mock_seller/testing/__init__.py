"""The mock seller in a buyer's own test suite: the ``poq_seller`` pytest fixture
(``mock_seller.testing.pytest_plugin``, registered by installing the package), the
:class:`PoqSeller` behind it, the in-process ``responses`` mode and example bodies.
See docs/buyer-guide.md. Nothing heavy is imported until it is used."""

from __future__ import annotations

from typing import Any

_LAZY = {"PoqSeller": "mock_seller.testing.seller", "Notification": "mock_seller.testing.intercept",
         "BuyerFinding": "mock_seller.testing.journal",
         "RecordedRequest": "mock_seller.testing.journal"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
