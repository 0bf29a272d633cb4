"""Pure requirement checks: each function judges seller data and returns ``(ok, message)``.

The functions know MEF 79.1 and the two wire dialects, but nothing about HTTP, pytest or
verdicts, so they can be unit-tested with crafted payloads and reused by any suite.
"""

from __future__ import annotations

from harness.checks._result import Result, failed, joined, passed

__all__ = ["Result", "failed", "joined", "passed"]
