"""Buyer-side conformance: pure checks of buyer requests against the catalogue's buyer
requirements (R7, R9-R12, R17-R26, R48-R54, R82; R22's buyer half; O1, O4, O15 as
permitted usage). Each module holds one concern and returns a list of :class:`Finding`;
``run_create`` and friends put them together. The Flask glue lives in ``hooks``, the
bounded per-buyer store in ``recorder`` and the results document in
``mock_seller.buyer.report``. See docs/buyer-conformance.md.
"""

from __future__ import annotations

from typing import Any

from mock_seller.buyer.checks import contacts, create, places, relationships
from mock_seller.buyer.checks.findings import (
    ITEMS,
    MODES,
    Finding,
    as_dict,
    as_list,
    failed,
    is_text,
    passed,
)


def run_create(api: str, body: Any, scenario: Any) -> tuple[list[Finding], frozenset[str]]:
    """Every finding on a create request body (any JSON value), and the use cases it
    exercises (request kinds 2a, 2b, 2c)."""
    out, kinds = create.check(api, body, scenario)
    if isinstance(body, dict):
        out += places.check(api, body, scenario)
        out += contacts.check(api, body)
        out += relationships.check(api, body, scenario)
    return out, frozenset(kinds)


__all__ = ["ITEMS", "MODES", "Finding", "as_dict", "as_list", "failed", "is_text", "passed",
           "run_create"]
