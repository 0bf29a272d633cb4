"""``poq-conformance mock``: run the bundled mock seller (the command lives in mock_seller)."""

from __future__ import annotations

from mock_seller.cli import mock

__all__ = ["mock"]
