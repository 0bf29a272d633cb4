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
    item_pointers,
    passed,
)
from schemas.dialect import get_dialect


def run_create(api: str, body: Any, scenario: Any) -> tuple[list[Finding], frozenset[str]]:
    """Every finding on a create request body (any JSON value), and the use cases it
    exercises (request kinds 2a, 2b, 2c). One walk over the items, each module judging
    the item it is handed: a create is judged on every request a buyer sends."""
    if not isinstance(body, dict):
        return [create.NOT_AN_OBJECT], frozenset()
    out = create.request(api, body)
    out += contacts.request(body)
    items = body.get(ITEMS)
    if not isinstance(items, list) or not items:
        out.append(create.NO_ITEMS)
        return out, frozenset()
    out.append(create.item_count(len(items)))
    flat = get_dialect(api).item_place_shape == "flat"  # v7: contacts on the item (once
    # per request: contacts.item asking the dialect per item cost 4 K instructions a create)
    seen: set[str] = set()
    kinds: set[str] = set()
    for i, item in enumerate(items):
        at = item_pointers(i)
        if not isinstance(item, dict):
            out.append(create.not_an_item(at))
            continue
        out += create.item(body, item, at, scenario, seen, kinds)
        product = item.get("product")
        if isinstance(product, dict) and item.get("action") == "add":
            out += places.item(api, item, product, at, scenario)
        out += contacts.item(item, product, at, flat)
    out += relationships.check(api, body, scenario)
    return out, frozenset(kinds)


__all__ = ["ITEMS", "MODES", "Finding", "as_dict", "as_list", "failed", "is_text", "passed",
           "run_create"]
