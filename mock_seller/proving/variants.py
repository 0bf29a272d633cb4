"""Legal variety: unusual but allowed seller behaviours the mock can be switched into
(scenario key ``variants: [...]``), so the harness is seen to pass sellers that choose
differently from our mock. Each variant is either a scenario override (timings, page size,
response style) or a mutation of outgoing answers (applied before any defect), or both.

Only behaviours MEF 79.1 and the API definitions allow belong here; docs/defects.md says
why each one is legal.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mock_seller.exceptions import ScenarioError
from mock_seller.proving.registry import DefectError, check_defect_names

ITEMS = "productOfferingQualificationItem"

# name -> (description, scenario overrides)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "always_immediate": (
        "Every create is answered immediately, also when a deferred answer was allowed "
        "(MEF 79.1 O5); requests that cannot be answered at once are refused with 422.",
        {"response_mode": "immediate"}),
    "capped_pages": (
        "List pages hold at most 2 POQs whatever limit asks; X-Pagination-Throttled says "
        "more remain (the v8 guide lets a seller cap pages).",
        {"list": {"max_page_size": 2}}),
    "slow_completion": (
        "Deferred POQs take seconds, not fractions, to complete (still well inside the "
        "profile's max_wait_s).",
        {"deferred": {"in_progress_after": 1.0, "item_interval": 0.8}}),
    "extra_seller_contacts": (
        "A second, complete seller contact (a sales desk) next to the qualification desk; "
        "relatedContactInformation is a list and R22 asks only that each be complete.",
        {}),
    "items_reordered": (
        "Items are returned in reverse order; items are matched by id, not by position "
        "(R42, R88).",
        {}),
    "extension_fields": (
        "Seller-specific extra properties on the POQ, its items and list rows, and "
        "@type/@schemaLocation on the POQ (the API definitions do not forbid additional "
        "properties).",
        {}),
    "no_expected_completion_date": (
        "Deferred answers omit expectedPOQCompletionDate (optional in both APIs; no "
        "requirement ID makes it mandatory).",
        {}),
    "no_item_state_logs": (
        "(v7) Items come without their stateChange logs, which v7 leaves optional (v8 "
        "requires them, so the variant does nothing there): the buyer only has the item "
        "states it polled. The POQ log stays: on v7 it is the only creation date (R33).",
        {}),
}


def _extra_seller_contacts(answer: Any) -> None:
    body = answer.poq()
    if body is None:
        return
    contacts = list(body.get("relatedContactInformation") or [])
    contacts.append({"role": "sellerContactInformation", "name": "Seller Sales Desk",
                     "number": "+1-555-0101", "emailAddress": "sales@seller.example",
                     "organization": "Mock Seller Inc."})
    body["relatedContactInformation"] = contacts


def _items_reordered(answer: Any) -> None:
    body = answer.poq()
    if body is not None and isinstance(body.get(ITEMS), list):
        body[ITEMS] = list(reversed(body[ITEMS]))


def _extension_fields(answer: Any) -> None:
    body = answer.poq()
    if body is not None:
        body["sellerTrackingReference"] = "TRK-" + str(body.get("id", ""))[:8]
        body["@type"] = "ProductOfferingQualification"
        body["@schemaLocation"] = "https://seller.example/schemas/poq-extension.json"
        for item in answer.items():
            item["sellerNotes"] = {"region": "north", "priority": 2}
    if answer.op == "list" and answer.ok and isinstance(answer.body, list):
        for row in answer.body:
            if isinstance(row, dict):
                row["sellerTrackingReference"] = "TRK-" + str(row.get("id", ""))[:8]


def _no_expected_completion_date(answer: Any) -> None:
    body = answer.poq()
    if body is not None:
        body.pop("expectedPOQCompletionDate", None)


def _no_item_state_logs(answer: Any) -> None:
    if answer.dialect.item_state_log_required:
        return
    for item in answer.items():
        item.pop("stateChange", None)


VARIANT_HOOKS: dict[str, Callable[[Any], None]] = {
    "no_item_state_logs": _no_item_state_logs,
    "extra_seller_contacts": _extra_seller_contacts,
    "items_reordered": _items_reordered,
    "extension_fields": _extension_fields,
    "no_expected_completion_date": _no_expected_completion_date,
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def check_names(data: dict[str, Any], label: str) -> dict[str, Any]:
    """Validate the ``defects`` and ``variants`` names of a scenario document and return it
    with the variants' scenario overrides applied (ScenarioError naming the key otherwise)."""
    try:
        check_defect_names(data.get("defects", []))
    except DefectError as exc:
        raise ScenarioError(f"scenario {label}: key /defects: {exc}") from None
    out = data
    for i, name in enumerate(data.get("variants", [])):
        if name not in VARIANTS:
            raise ScenarioError(f"scenario {label}: key /variants/{i}: unknown variant "
                                f"{name!r}; known: {', '.join(VARIANTS)}")
        out = _merge(out, VARIANTS[name][1])
    return out


__all__ = ["VARIANTS", "VARIANT_HOOKS", "check_names"]
