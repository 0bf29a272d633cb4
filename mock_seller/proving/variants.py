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
from schemas.dialect import UNABLE_TO_MEET_TIME

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
    "newest_first_logs": (
        "stateChange logs (POQ and items) are listed newest first; the API gives the array "
        "no order, each entry carries its changeDate.",
        {}),
    "seconds_precision_dates": (
        "Every date-time the seller returns is cut to whole seconds (also the buyer's "
        "requestedPOQCompletionDate): a seller may store seconds; the instant echoed is the "
        "one sent, at the precision kept.",
        {}),
    "idempotent_delete": (
        "DELETE /hub/{id} of a registration already removed answers 204 again instead of "
        "404 (an idempotent DELETE is a legal HTTP reading; R8 asks only for a code).",
        {}),
    "lenient_schema": (
        "A create whose instantSyncQualification or provideAlternative is not a boolean is "
        "accepted, the value read as false, instead of refused: schema laxness, an API-schema "
        "deviation, not a MEF 79.1 failure.",
        {}),
    "fast_ready": (
        "Deferred POQs are worked at once: READY well before the requested completion date "
        "(a fast seller is legal).",
        {"deferred": {"in_progress_after": 0.01, "item_interval": 0.01}}),
    "v7_late_item_terminated": (
        "(v7) Under a POQ done.unableToProvide the item that could not meet the time ends "
        "terminatedWithError, as the v7 guide's item activity allows, not done.abandoned "
        "(does nothing in v8).",
        {}),
    "no_state_change": (
        "No stateChange at all on the POQ or its items. Optional in v7 (there the POQ "
        "create date is then not representable); in v8 stateChange is required, so there "
        "this is an API-schema deviation only, never a MEF 79.1 failure.",
        {}),
    "pages_by_one": (
        "List pages hold one POQ whatever limit asks (X-Pagination-Throttled says more "
        "remain).",
        {"list": {"max_page_size": 1}}),
}

# The use cases whose tests can meet a variant that changes only some answers; a variant not
# named here changes answers every use case reads (creates, POQs, items, logs, timelines).
# A legal-variant run of the harness is limited to them (``--uc``); the runner's smoke
# request and the tests tagged with every use case (final states) run anyway.
VARIANT_USE_CASES: dict[str, tuple[str, ...]] = {
    # list pages: GET /productOfferingQualification is read by use case 3 only (its own
    # tests and the generated list requests, tagged 3 too)
    "capped_pages": ("3",),
    "pages_by_one": ("3",),
    # DELETE /hub/{id}: unregistering in use case 1 (and its generated requests), and at the
    # end of the notification phases of use case 5
    "idempotent_delete": ("1", "5"),
    # creates with non-boolean flags: sent only by the invalid-create and generated-request
    # tests, both tagged 2a
    "lenient_schema": ("2a",),
}


def use_cases_of(name: str) -> tuple[str, ...]:
    """The use cases a harness run needs to meet variant ``name`` (empty: all of them)."""
    return VARIANT_USE_CASES.get(name, ())


def _walk_dates(node: Any) -> None:
    """Cut every RFC 3339 date-time with a fraction of a second to whole seconds."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()
    for key, value in list(items):
        if isinstance(value, str) and len(value) > 20 and value[10:11] == "T" and (
                value[19:20] == "."):
            end = 20
            while end < len(value) and value[end].isdigit():
                end += 1
            node[key] = value[:19] + value[end:]
        elif isinstance(value, (dict, list)):
            _walk_dates(value)


def _seconds_precision_dates(answer: Any) -> None:
    if answer.body is not None:
        _walk_dates(answer.body)


def _newest_first_logs(answer: Any) -> None:
    body = answer.poq()
    if body is None:
        return
    for holder in (body, *answer.items()):
        if isinstance(holder.get("stateChange"), list):
            holder["stateChange"] = list(reversed(holder["stateChange"]))


def _idempotent_delete(answer: Any) -> None:
    if answer.op == "unregister" and answer.status == 404:
        answer.status, answer.body = 204, None


def _lenient_schema(answer: Any) -> None:
    """Accept a create refused only for non-boolean flags (read as false)."""
    if answer.op != "create" or answer.status != 400:
        return
    from flask import request

    from mock_seller.api.validation import business_errors, structural_violations
    from mock_seller.sandbox.tenancy import current_owner

    body = answer.request_json()
    flags = ("instantSyncQualification", "provideAlternative")
    if not isinstance(body, dict) or all(isinstance(body.get(f), (bool, type(None)))
                                         for f in flags):
        return
    fixed = {**body, **{f: False for f in flags if not isinstance(body.get(f), (bool,
                                                                                type(None)))}}
    if structural_violations(answer.api, "ProductOfferingQualification_Create", fixed):
        return
    engine = answer.engine
    if business_errors(answer.api, fixed, engine.scenario, engine.is_immediate(fixed)):
        return
    created = engine.create(answer.api, fixed, request.base_url.rstrip("/"),
                            owner=current_owner())
    answer.status, answer.body = 201, created
    answer.headers["Location"] = created.get("href")


def _v7_late_item_terminated(answer: Any) -> None:
    if answer.dialect.supports_item_state(UNABLE_TO_MEET_TIME):
        return  # only a dialect without an item state for it (v7)
    body = answer.poq()
    if body is None or body.get("state") != "done.unableToProvide":
        return
    for item in answer.items():
        if item.get("state") == "done.abandoned" and _was_late(item):
            item["state"] = "terminatedWithError"
            for entry in item.get("stateChange") or []:
                if isinstance(entry, dict) and entry.get("state") == "done.abandoned":
                    entry["state"] = "terminatedWithError"
            return


def _was_late(item: dict[str, Any]) -> bool:
    """The item the time ran out on: the one that was in progress (the mock abandons it
    together with the others in v7, which has no item state for it)."""
    return any(isinstance(e, dict) and e.get("state") == "inProgress"
               for e in item.get("stateChange") or [])


def _no_state_change(answer: Any) -> None:
    body = answer.poq()
    if body is None:
        return
    for holder in (body, *answer.items()):
        holder.pop("stateChange", None)


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
    "newest_first_logs": _newest_first_logs,
    "seconds_precision_dates": _seconds_precision_dates,
    "idempotent_delete": _idempotent_delete,
    "lenient_schema": _lenient_schema,
    "v7_late_item_terminated": _v7_late_item_terminated,
    "no_state_change": _no_state_change,
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


__all__ = ["VARIANTS", "VARIANT_HOOKS", "VARIANT_USE_CASES", "check_names", "use_cases_of"]
