"""Check-level guards: every public check function of harness/checks/ is proven on three
inputs. A violating one must fail; an empty or absent premise must be not_tested (never a
pass on nothing observed); a legal but unusual one must pass (no false failure on a
seller's legal choice). Pure permissions (MAY IDs) cannot be violated: their "violating"
input is the option not used, which must stay not_tested.

A new check function without a row here fails ``test_every_check_function_has_a_triple``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import harness.checks
from harness.checks import status_of
from schemas.dialect import (
    ABANDONED,
    ACKNOWLEDGED,
    IN_PROGRESS,
    READY,
    REJECTED,
    UNABLE_TO_MEET_TIME,
    V7,
    V8,
)

Call = Callable[[], Any]
LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener/"


def _mod(name: str) -> Any:
    return importlib.import_module(f"harness.checks.{name}")


def poq_event(poq: str, state: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"id": poq} if state is None else {"id": poq, "state": state}
    return {"path": LISTENER + "poqStateChangeEvent",
            "body": {"eventType": "poqStateChangeEvent", "event": event}}


def item_event(poq: str, item: str, state: str) -> dict[str, Any]:
    return {"path": LISTENER + "poqItemStateChangeEvent",
            "body": {"eventType": "poqItemStateChangeEvent",
                     "event": {"id": poq, "poqItemId": item, "state": state, "href": "/x"}}}


CREATE_EVENT = {"path": "/v7/listener/poqCreateEvent",
                "body": {"eventType": "poqCreateEvent", "event": {"id": "P"}}}


def item(**attrs: Any) -> dict[str, Any]:
    return {"id": "1", "state": "done", **attrs}


def alt(alt_id: str, **attrs: Any) -> dict[str, Any]:
    return {"id": alt_id, **attrs}


def spec(spec_id: str, offering: str | None = None) -> dict[str, Any]:
    product: dict[str, Any] = {"productSpecification": {"id": spec_id}}
    if offering:
        product["productOffering"] = {"id": offering}
    return product


def offering(offering_id: str) -> dict[str, Any]:
    return {"productOffering": {"id": offering_id}}


GREEN_ITEM = item(serviceabilityConfidence="green")
TRIPLES: dict[str, tuple[Call, Call, Call]] = {}


def triple(module: str, name: str, violating: Call, empty: Call, unusual: Call) -> None:
    TRIPLES[f"{module}.{name}"] = (violating, empty, unusual)


# -- echo --------------------------------------------------------------------------------
e = _mod("echo")
triple("echo", "check_echo",
       lambda: e.check_echo({"externalId": "a"}, {"externalId": "b"}),
       lambda: e.check_echo({}, {"id": "P"}),
       # seconds kept of a value sent with milliseconds, another offset, lists reordered,
       # attributes added by the seller
       lambda: e.check_echo(
           {"requestedPOQCompletionDate": "2026-05-01T10:00:00.123Z", "tags": [1, 2]},
           {"requestedPOQCompletionDate": "2026-05-01T12:00:00+02:00", "tags": [2, 1],
            "id": "P"}))

# -- errors ------------------------------------------------------------------------------
er = _mod("errors")
triple("errors", "check_error_body",
       lambda: er.check_error_body(502, None),
       lambda: er.check_error_body(201, {"id": "P"}),
       lambda: er.check_error_body(422, [
           {"code": "missingProperty", "reason": "r", "propertyPath": "/x", "extra": 1},
           {"code": "invalidValue", "reason": "r2"}]))
triple("errors", "check_is_failure",
       lambda: er.check_is_failure(201),
       lambda: er.check_is_failure(None),
       lambda: er.check_is_failure(409))
triple("errors", "check_no_success_attributes",
       lambda: er.check_no_success_attributes({"code": "c", "reason": "r", "id": "P"},
                                              status=400),
       lambda: er.check_no_success_attributes(None),
       lambda: er.check_no_success_attributes(None, status=404))  # a failure with no body
triple("errors", "check_rejected_as_invalid",
       lambda: er.check_rejected_as_invalid(500),
       lambda: er.check_rejected_as_invalid(None),
       lambda: er.check_rejected_as_invalid(422))
triple("errors", "check_seller_response_code",
       lambda: er.check_seller_response_code("v8", "create", 502, None),  # gateway HTML
       lambda: er.check_seller_response_code("v8", "create", None, None),
       # a second STOP answered 204 again (idempotent)
       lambda: er.check_seller_response_code("v7", "unregister", 204, None))
triple("errors", "check_too_many_records",
       lambda: er.check_too_many_records(200, [{"id": 1}, {"id": 2}, {"id": 3}], 2),
       lambda: er.check_too_many_records(None, None, 2),
       lambda: er.check_too_many_records(200, [], 2))

# -- items -------------------------------------------------------------------------------
it = _mod("items")
triple("items", "check_alternate_confidence",
       lambda: it.check_alternate_confidence(alt("a", serviceabilityConfidence="red"), V8),
       lambda: it.check_alternate_confidence({}, V8),
       lambda: it.check_alternate_confidence(alt("a", serviceabilityConfidence="yellow"), V8))
triple("items", "check_alternate_delivery_type",
       lambda: it.check_alternate_delivery_type(alt("a", deliveryType="ON-NET"), V8),
       lambda: it.check_alternate_delivery_type({}, V8),
       lambda: it.check_alternate_delivery_type(alt("a", deliveryType="offNetWithBuild"), V8))
triple("items", "check_alternate_ids_unique",
       lambda: it.check_alternate_ids_unique(item(alternateProductOfferingProposal=[
           alt("x"), alt("x")])),
       lambda: it.check_alternate_ids_unique(item()),
       lambda: it.check_alternate_ids_unique(item(alternateProductOfferingProposal=[
           alt("z-2"), alt("A")])))
triple("items", "check_alternate_interval",
       lambda: it.check_alternate_interval(
           alt("a", installationInterval={"amount": -1, "units": "calendarDays"}), V7),
       lambda: it.check_alternate_interval({}, V7),
       lambda: it.check_alternate_interval(
           alt("a", installationInterval={"amount": 0, "units": "businessMinutes"}), V7))
triple("items", "check_alternates_allowed",
       lambda: it.check_alternates_allowed(
           item(serviceabilityConfidence="red", alternateProductOfferingProposal=[alt("a")]),
           False, V8),
       lambda: it.check_alternates_allowed({}, True, V8),
       lambda: it.check_alternates_allowed(
           item(serviceabilityConfidence="yellow", alternateProductOfferingProposal=[alt("a")]),
           True, V8))
triple("items", "check_best_offering",
       lambda: it.check_best_offering(item(
           serviceabilityConfidence="yellow", product=spec("S", "O1"),
           alternateProductOfferingProposal=[alt("a", serviceabilityConfidence="green",
                                                 alternateProduct=spec("S", "O2"))]), V8),
       lambda: it.check_best_offering({}, V8),
       lambda: it.check_best_offering(item(
           serviceabilityConfidence="yellow", product=spec("S", "O1"),
           alternateProductOfferingProposal=[
               alt("a", serviceabilityConfidence="yellow", alternateProduct=spec("S", "O2")),
               alt("b", serviceabilityConfidence="green", alternateProduct=spec("T", "O3"))]),
           V8))
triple("items", "check_confidence",
       lambda: it.check_confidence(item(serviceabilityConfidence="blue"), V8),
       lambda: it.check_confidence({}, V8),
       lambda: it.check_confidence(item(serviceabilityConfidence="red"), V8))
triple("items", "check_confidence_reason",
       lambda: it.check_confidence_reason(item(serviceabilityConfidenceReason="  ")),
       lambda: it.check_confidence_reason({}),
       lambda: it.check_confidence_reason(item(serviceabilityConfidenceReason="Überbau nötig")))
triple("items", "check_delivery_type",
       lambda: it.check_delivery_type(item(serviceabilityConfidence="green",
                                           deliveryType="ON-NET"), V8),
       lambda: it.check_delivery_type(item(serviceabilityConfidence="red"), V8),  # none due
       lambda: it.check_delivery_type(item(serviceabilityConfidence="yellow",
                                           deliveryType="offNetWithoutBuild"), V8))
triple("items", "check_guaranteed_until",
       lambda: it.check_guaranteed_until(item()),
       lambda: it.check_guaranteed_until({}),
       lambda: it.check_guaranteed_until(item(guaranteedUntilDate="2026-01-01T00:00:00+05:30")))
triple("items", "check_installation_interval",
       lambda: it.check_installation_interval(GREEN_ITEM, V8),
       lambda: it.check_installation_interval(item(serviceabilityConfidence="red"), V8),
       lambda: it.check_installation_interval(item(
           serviceabilityConfidence="yellow",
           installationInterval={"amount": 0, "units": "businessDays"}), V8))
triple("items", "check_item_correspondence",
       lambda: it.check_item_correspondence([{"id": "1"}], [{"id": "2"}]),
       lambda: it.check_item_correspondence([], [{"id": "1"}]),
       lambda: it.check_item_correspondence([{"id": "1"}, {"id": "2"}],
                                            [{"id": "2"}, {"id": "1"}]))
triple("items", "check_item_state_is",
       lambda: it.check_item_state_is(item(state="inProgress"), V8, READY),
       lambda: it.check_item_state_is({}, V8, READY),
       lambda: it.check_item_state_is(item(state="done.ready"), V7, READY))
triple("items", "check_offering_matches",
       lambda: it.check_offering_matches({"product": offering("A")},
                                         item(product=offering("B"))),
       lambda: it.check_offering_matches({"product": spec("S")}, item(product=offering("B"))),
       lambda: it.check_offering_matches({"product": offering("A")}, item(
           product={**offering("A"), "productSpecification": {"id": "S"}})))
triple("items", "check_offering_under_specification",
       lambda: it.check_offering_under_specification(GREEN_ITEM, V8),
       lambda: it.check_offering_under_specification({}, V8),
       # red and no offering fits: the v8 guide lets the answer omit it
       lambda: it.check_offering_under_specification(item(serviceabilityConfidence="red"), V8))
triple("items", "check_product_offering",
       lambda: it.check_product_offering(GREEN_ITEM, V8),
       lambda: it.check_product_offering(item(serviceabilityConfidence="red"), V8),
       lambda: it.check_product_offering(item(serviceabilityConfidence="yellow",
                                              product=offering("O9")), V8))
triple("items", "check_rejected_item_minimal",
       lambda: it.check_rejected_item_minimal(None, item(state="rejected",
                                                         serviceabilityConfidence="red")),
       lambda: it.check_rejected_item_minimal(None, {}),
       lambda: it.check_rejected_item_minimal(
           {"id": "1", "action": "add", "product": offering("A")},
           item(state="rejected", action="add", product=offering("A"),
                terminationError=[{"value": "insufficient information"}])))
triple("items", "check_specification_matches",
       lambda: it.check_specification_matches({"product": spec("S")}, item(product=spec("T"))),
       lambda: it.check_specification_matches({"product": offering("A")},
                                              item(product=spec("S"))),
       lambda: it.check_specification_matches({"product": spec("S")},
                                              item(product=spec("S", "O-chosen"))))

# -- listing -----------------------------------------------------------------------------
li = _mod("listing")
triple("listing", "check_empty",
       lambda: li.check_empty(200, [{"id": "x"}]),
       lambda: li.check_empty(None, None),
       lambda: li.check_empty(200, []))
triple("listing", "check_membership",
       lambda: li.check_membership([{"id": "a"}], ["b"], []),
       lambda: li.check_membership([{"id": "a"}], [], []),
       # a capped page need not hold every match
       lambda: li.check_membership([{"id": "b"}], ["a", "b"], [], complete=False))
triple("listing", "check_page",
       lambda: li.check_page([{"id": "a"}], {"X-Result-Count": "5"}, 1, 0),
       lambda: li.check_page([], {}, 1, 5),
       lambda: li.check_page([{"id": "a"}], {"x-total-count": "3"}, 1, 2))
triple("listing", "check_pages",
       lambda: li.check_pages([([{"id": "a"}], {}), ([{"id": "a"}], {})],
                              [{"id": "a"}, {"id": "b"}]),
       lambda: li.check_pages([], [{"id": "a"}]),
       lambda: li.check_pages([([{"id": "b"}], {}), ([{"id": "a"}], {})],
                              [{"id": "a"}, {"id": "b"}]))
triple("listing", "check_rows_match",
       lambda: li.check_rows_match([{"id": "a", "state": "done"}], {"state": "inProgress"}),
       lambda: li.check_rows_match([], {"state": "done"}),
       # a v7 row carrying only the day, inside the inclusive range
       lambda: li.check_rows_match([{"id": "a", "requestedPOQCompletionDate": "2026-05-02"}],
                                   {"requestedPOQCompletionDate.gt": "2026-05-02T10:00:00Z"}))
triple("listing", "check_summary_fields",
       lambda: li.check_summary_fields({"id": "a", "state": "bogus"}, None, V8),
       lambda: li.check_summary_fields({}, None, V8),
       lambda: li.check_summary_fields(
           {"id": "a", "state": "done.ready", "requestedPOQCompletionDate": "2026-05-02"},
           {"requestedPOQCompletionDate": "2026-05-02T10:00:00.000Z"}, V7))

# -- notifications -----------------------------------------------------------------------
nt = _mod("notifications")
triple("notifications", "check_event_carries_state",
       lambda: nt.check_event_carries_state(poq_event("P"), V8),
       lambda: nt.check_event_carries_state(None, V8),
       lambda: nt.check_event_carries_state(item_event("P", "1", "done.abandoned"), V8))
triple("notifications", "check_event_states_real",
       lambda: nt.check_event_states_real([poq_event("P", "done")], [ACKNOWLEDGED], {}, V8),
       lambda: nt.check_event_states_real([], [ACKNOWLEDGED, READY], {}, V8),
       # delivered newest first
       lambda: nt.check_event_states_real(
           [poq_event("P", "done"), poq_event("P", "inProgress")],
           [ACKNOWLEDGED, IN_PROGRESS, READY], {}, V8))
triple("notifications", "check_events_cover_history",
       lambda: nt.check_events_cover_history([], [ACKNOWLEDGED, IN_PROGRESS], {}, None, V8),
       lambda: nt.check_events_cover_history([], [ACKNOWLEDGED], {"1": [ACKNOWLEDGED]}, None,
                                             V8),
       # out of order and one delivered twice
       lambda: nt.check_events_cover_history(
           [poq_event("P", "done"), poq_event("P", "inProgress"), poq_event("P", "done")],
           [ACKNOWLEDGED, IN_PROGRESS, READY], {}, {"POQ_STATE_CHANGE"}, V8))
triple("notifications", "check_none",
       lambda: nt.check_none([poq_event("P", "done")], "after STOP", occasions=1),
       lambda: nt.check_none([], "after STOP"),
       lambda: nt.check_none([CREATE_EVENT], "after STOP", occasions=3))  # v7 information
triple("notifications", "check_only_owned",
       lambda: nt.check_only_owned([poq_event("P", "done")], ["Q"]),
       lambda: nt.check_only_owned([], ["P"]),
       lambda: nt.check_only_owned([poq_event("P", "done"), poq_event("P", "done")], ["P"]))
triple("notifications", "check_only_registered_types",
       lambda: nt.check_only_registered_types([item_event("P", "1", "done")],
                                              {"POQ_STATE_CHANGE"}, V8),
       lambda: nt.check_only_registered_types([], {"POQ_STATE_CHANGE"}, V8),
       lambda: nt.check_only_registered_types([CREATE_EVENT, poq_event("P")],
                                              {"POQ_STATE_CHANGE"}, V7))

# -- poq ---------------------------------------------------------------------------------
pq = _mod("poq")
NEWEST_FIRST_V7 = {"id": "P", "state": "inProgress", "stateChange": [
    {"state": "inProgress", "changeDate": "2026-01-01T00:00:05Z"},
    {"state": "acknowledged", "changeDate": "2026-01-01T00:00:00Z"}]}
triple("poq", "check_creation_date",
       lambda: pq.check_creation_date({"id": "P", "creationDate": "yesterday"}, V8),
       lambda: pq.check_creation_date(None, V8),
       lambda: pq.check_creation_date(NEWEST_FIRST_V7, V7))
triple("poq", "check_expected_completion",
       lambda: pq.check_expected_completion({"expectedPOQCompletionDate": "soon"}),
       lambda: pq.check_expected_completion(None),
       lambda: pq.check_expected_completion(
           {"expectedPOQCompletionDate": "2026-01-01T00:00:00-03:00"}))
triple("poq", "check_items_present",
       lambda: pq.check_items_present({"productOfferingQualificationItem": []}),
       lambda: pq.check_items_present(None),
       lambda: pq.check_items_present({"productOfferingQualificationItem": [{"id": "é"}]}))
triple("poq", "check_poq_id",
       lambda: pq.check_poq_id({"id": " "}),
       lambda: pq.check_poq_id(None),
       lambda: pq.check_poq_id({"id": "ÄÖ-123/x"}))
triple("poq", "check_poq_state_is",
       lambda: pq.check_poq_state_is({"state": "done"}, V8, ACKNOWLEDGED),
       lambda: pq.check_poq_state_is(None, V8, ACKNOWLEDGED),
       lambda: pq.check_poq_state_is({"state": "done.ready"}, V7, READY))
triple("poq", "check_poq_state_present",
       lambda: pq.check_poq_state_present({"state": "finished"}, V8),
       lambda: pq.check_poq_state_present(None, V8),
       lambda: pq.check_poq_state_present({"state": "done.unableToProvide"}, V7))
CONTACT = {"role": "sellerContactInformation", "name": "n", "number": "1", "emailAddress": "e"}
triple("poq", "check_seller_contact",
       lambda: pq.check_seller_contact({"relatedContactInformation": [
           {"role": "sellerContactInformation", "name": "n"}]}),
       lambda: pq.check_seller_contact(None),
       lambda: pq.check_seller_contact({"relatedContactInformation": [
           CONTACT, {**CONTACT, "name": "second desk"}]}))
triple("poq", "check_unique_ids",
       lambda: pq.check_unique_ids(["a", "a"]),
       lambda: pq.check_unique_ids(["a"]),
       lambda: pq.check_unique_ids(["a", "A"]))

# -- states ------------------------------------------------------------------------------
st = _mod("states")
triple("states", "check_abandonment",
       lambda: st.check_abandonment([
           (IN_PROGRESS, {"1": IN_PROGRESS, "2": IN_PROGRESS}),
           (UNABLE_TO_MEET_TIME, {"1": UNABLE_TO_MEET_TIME, "2": IN_PROGRESS}),
           (UNABLE_TO_MEET_TIME, {"1": UNABLE_TO_MEET_TIME, "2": READY})]),
       lambda: st.check_abandonment([]),
       # v7: the late item ends terminatedWithError (read REJECTED), the other abandoned
       lambda: st.check_abandonment([
           (IN_PROGRESS, {"1": IN_PROGRESS, "2": IN_PROGRESS}),
           (UNABLE_TO_MEET_TIME, {"1": REJECTED, "2": ABANDONED})]))
triple("states", "check_in_progress_items",
       lambda: st.check_in_progress_items(IN_PROGRESS, [REJECTED, IN_PROGRESS]),
       lambda: st.check_in_progress_items(READY, [READY]),
       lambda: st.check_in_progress_items(IN_PROGRESS, [ACKNOWLEDGED, IN_PROGRESS]))
triple("states", "check_item_sequence",
       lambda: st.check_item_sequence([READY, IN_PROGRESS]),
       lambda: st.check_item_sequence([]),
       lambda: st.check_item_sequence([ACKNOWLEDGED, READY]))  # polls missed IN_PROGRESS
triple("logs", "check_log_steps",
       lambda: _mod("logs").check_log_steps([ACKNOWLEDGED, READY]),  # skips IN_PROGRESS
       lambda: _mod("logs").check_log_steps([ACKNOWLEDGED]),
       lambda: _mod("logs").check_log_steps([ACKNOWLEDGED, ACKNOWLEDGED, IN_PROGRESS, READY]))
triple("states", "check_poq_sequence",
       lambda: st.check_poq_sequence([ACKNOWLEDGED, READY, IN_PROGRESS]),
       lambda: st.check_poq_sequence([]),
       lambda: st.check_poq_sequence([ACKNOWLEDGED, ACKNOWLEDGED, READY]))
triple("states", "check_ready_items",
       lambda: st.check_ready_items(READY, [READY, IN_PROGRESS]),
       lambda: st.check_ready_items(IN_PROGRESS, [IN_PROGRESS]),
       lambda: st.check_ready_items(READY, [READY] * 3))
triple("states", "check_table29",
       lambda: st.check_table29(READY, [READY, REJECTED]),
       lambda: st.check_table29(None, []),
       lambda: st.check_table29(UNABLE_TO_MEET_TIME, [REJECTED, ABANDONED], item_utmt=False))

# Permissions (MAY IDs): the option not used is their "violating" input, never a failure.
PERMISSIONS: dict[str, tuple[Call, Call, Call]] = {}
PERMISSIONS["items.check_alternates_offered"] = (
    lambda: it.check_alternates_offered(item(serviceabilityConfidence="green")),
    lambda: it.check_alternates_offered({}),
    lambda: it.check_alternates_offered(item(serviceabilityConfidence="green",
                                             alternateProductOfferingProposal=[alt("a")])))
PERMISSIONS["items.check_alternate_differs"] = (  # 2b: an offering is no news, a spec is
    lambda: it.check_alternate_differs({"product": spec("S")}, item(
        alternateProductOfferingProposal=[alt("a", alternateProduct=spec("S", "B"))])),
    lambda: it.check_alternate_differs({"product": spec("S")}, {}),
    lambda: it.check_alternate_differs({"product": spec("S")}, item(
        alternateProductOfferingProposal=[alt("a", alternateProduct=spec("T", "B"))])))
PERMISSIONS["items.check_alternate_differs (2a)"] = (
    lambda: it.check_alternate_differs({"product": offering("A")}, item(
        alternateProductOfferingProposal=[alt("a", alternateProduct=offering("A"))])),
    lambda: it.check_alternate_differs({"product": offering("A")}, {}),
    lambda: it.check_alternate_differs({"product": offering("A")}, item(
        alternateProductOfferingProposal=[alt("a", alternateProduct=spec("T", "B"))])))
PERMISSIONS["items.check_alternate_same_specification"] = (
    lambda: it.check_alternate_same_specification({"product": spec("S")}, item(
        alternateProductOfferingProposal=[alt("a", alternateProduct=spec("T", "B"))])),
    lambda: it.check_alternate_same_specification({"product": spec("S")}, item()),
    lambda: it.check_alternate_same_specification({"product": spec("S")}, item(
        alternateProductOfferingProposal=[alt("a", alternateProduct=spec("S", "B"))])))
PERMISSIONS["poq.check_answered_at_once"] = (
    lambda: pq.check_answered_at_once({"instantSyncQualification": False},
                                      {"state": "acknowledged"}, V8),
    lambda: pq.check_answered_at_once({"instantSyncQualification": False}, None, V8),
    lambda: pq.check_answered_at_once({"instantSyncQualification": False},
                                      {"state": "done.ready"}, V7))


def public_checks() -> set[str]:
    """``module.check_*`` for every check function defined in harness/checks/."""
    found = set()
    for info in pkgutil.iter_modules(harness.checks.__path__):
        if info.name.startswith("_"):
            continue
        module = _mod(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("check_") and fn.__module__ == module.__name__:
                found.add(f"{info.name}.{name}")
    return found


def test_every_check_function_has_a_triple() -> None:
    rows = {name.split(" ")[0] for name in (*TRIPLES, *PERMISSIONS)}
    missing = public_checks() - rows
    assert not missing, f"check functions without violating/empty/unusual inputs: {missing}"
    stale = rows - public_checks()
    assert not stale, f"rows for check functions that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(TRIPLES))
def test_violating_input_fails(name: str) -> None:
    result = TRIPLES[name][0]()
    assert status_of(result) == "fail", result


@pytest.mark.parametrize("name", sorted({**TRIPLES, **PERMISSIONS}))
def test_absent_premise_is_not_tested(name: str) -> None:
    result = {**TRIPLES, **PERMISSIONS}[name][1]()
    assert status_of(result) == "not_tested" and not result[0], result


@pytest.mark.parametrize("name", sorted({**TRIPLES, **PERMISSIONS}))
def test_legal_but_unusual_input_passes(name: str) -> None:
    result = {**TRIPLES, **PERMISSIONS}[name][2]()
    assert status_of(result) == "pass" and result[0], result


@pytest.mark.parametrize("name", sorted(PERMISSIONS))
def test_a_permission_not_used_is_never_a_failure(name: str) -> None:
    result = PERMISSIONS[name][0]()
    assert status_of(result) == "not_tested", result
