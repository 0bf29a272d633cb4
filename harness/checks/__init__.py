"""Pure requirement checks: each function judges seller data and returns a
:class:`~harness.checks._result.Result`, the pair ``(ok, message)`` with a status (pass, fail,
not_tested when the premise was not observed, not_applicable) and a weight.

The functions know MEF 79.1 and the two wire dialects, but nothing about HTTP, pytest or
verdicts, so they can be unit-tested with crafted payloads and reused by any suite.
"""

from __future__ import annotations

from harness.checks._result import (
    Result,
    failed,
    inapplicable,
    joined,
    passed,
    reworded,
    side,
    status_of,
    untested,
    weight_of,
)

__all__ = ["Result", "failed", "inapplicable", "joined", "passed", "reworded", "side",
           "status_of", "untested", "weight_of"]
