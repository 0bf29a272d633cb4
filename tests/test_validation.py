"""Behaviour of schemas.validation: all violations, JSON Pointers, @type branches, robustness."""

from __future__ import annotations

import copy
import time

import pytest

from schemas.validation import (
    MAX_DEPTH,
    UnknownType,
    Violation,
    is_valid,
    notification_document,
    openapi_document,
    type_names,
    validate,
)

CONTACT = {"role": "buyerContactInformation", "name": "Ann", "number": "1", "emailAddress": "a@b.c"}


def v8_create() -> dict:
    return {
        "instantSyncQualification": False,
        "provideAlternative": False,
        "requestedPOQCompletionDate": "2030-01-01T00:00:00Z",
        "relatedContactInformation": [dict(CONTACT)],
        "productOfferingQualificationItem": [
            {
                "id": "1",
                "action": "add",
                "product": {
                    "productOffering": {"id": "PO-1"},
                    "productConfiguration": {"@type": "urn:example:product", "bw": 100},
                    "place": [
                        {
                            "role": "INSTALL_LOCATION",
                            "place": {"@type": "GeographicAddressRef", "id": "addr-1"},
                        }
                    ],
                },
            }
        ],
    }


def v7_create() -> dict:
    body = v8_create()
    del body["instantSyncQualification"], body["provideAlternative"]
    body["productOfferingQualificationItem"][0]["product"]["place"] = [
        {"role": "INSTALL_LOCATION", "@type": "GeographicSiteRef", "id": "site-1"}
    ]
    return body


def pointers(violations: list[Violation]) -> list[str]:
    return [v.pointer for v in violations]


def test_valid_bodies_have_no_violation() -> None:
    assert validate("v8", "ProductOfferingQualification_Create", v8_create()) == []
    assert validate("v7", "ProductOfferingQualification_Create", v7_create()) == []
    assert is_valid("v8", "ProductOfferingQualification_Create", v8_create())


def test_every_violation_is_reported_with_its_pointer() -> None:
    body = v8_create()
    del body["provideAlternative"]
    body["requestedPOQCompletionDate"] = "tomorrow"
    item = body["productOfferingQualificationItem"][0]
    item["action"] = "delete"
    item["product"]["productConfiguration"] = {"bw": 1}
    found = validate("v8", "ProductOfferingQualification_Create", body)
    assert pointers(found) == [
        "/productOfferingQualificationItem/0/action",
        "/productOfferingQualificationItem/0/product/productConfiguration/@type",
        "/provideAlternative",
        "/requestedPOQCompletionDate",
    ]
    assert all(isinstance(v.message, str) and v.message for v in found)
    assert not is_valid("v8", "ProductOfferingQualification_Create", body)


def test_delete_action_is_v7_only() -> None:
    body = v7_create()
    body["productOfferingQualificationItem"][0]["action"] = "delete"
    assert validate("v7", "ProductOfferingQualification_Create", body) == []


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ({"@type": "GeographicSiteRef"}, ["/place/id"]),
        ({"@type": "GeographicAddressRef", "id": 5}, ["/place/id"]),
        (
            {"@type": "GeographicAddress_Query", "formattedAddressRepresentation": [{}]},
            ["/place/formattedAddressRepresentation/0/formattedAddress"],
        ),
        ({"@type": "Nowhere", "id": "x"}, ["/place/@type"]),
        ({"id": "x"}, ["/place/@type"]),
    ],
)
def test_v8_place_branch_is_chosen_by_type(place: dict, expected: list[str]) -> None:
    body = v8_create()
    body["productOfferingQualificationItem"][0]["product"]["place"][0]["place"] = place
    prefix = "/productOfferingQualificationItem/0/product/place/0"
    found = validate("v8", "ProductOfferingQualification_Create", body)
    assert pointers(found) == [prefix + p for p in expected]


def test_v7_place_branch_is_chosen_by_type() -> None:
    body = v7_create()
    body["productOfferingQualificationItem"][0]["product"]["place"] = [
        {"role": "INSTALL_LOCATION", "@type": "MEFGeographicPoint", "spatialRef": "WGS84", "x": "1"}
    ]
    found = validate("v7", "ProductOfferingQualification_Create", body)
    assert pointers(found) == ["/productOfferingQualificationItem/0/product/place/0/y"]


def test_product_configuration_keeps_unknown_properties() -> None:
    body = v8_create()
    cfg = body["productOfferingQualificationItem"][0]["product"]["productConfiguration"]
    cfg["anything"] = {"nested": [1, 2, {"x": None}]}
    assert validate("v8", "ProductOfferingQualification_Create", body) == []


def test_pointer_escapes_tilde_and_slash() -> None:
    found = validate("v8", "Error422", {"code": "otherIssue", "reason": "r", "referenceError": 1})
    assert pointers(found) == ["/referenceError"]
    body = v8_create()
    body["relatedContactInformation"][0] = {"a/b~c": 1}
    found = validate("v8", "ProductOfferingQualification_Create", body)
    assert "/relatedContactInformation/0/name" in pointers(found)


@pytest.mark.parametrize(
    "instance",
    [None, True, 0, 1.5, "text", [], [1, [2]], {}, {"": {"": None}}, "x" * 1_000_000],
)
def test_any_json_value_gives_violations_not_exceptions(instance: object) -> None:
    for api in ("v8", "v7"):
        for name in type_names(api):
            result = validate(api, name, instance)
            assert isinstance(result, list)
            assert all(len(v.message) <= 300 for v in result)


def test_deep_nesting_is_reported_not_raised() -> None:
    deep: object = "leaf"
    for _ in range(50_000):
        deep = [deep]
    found = validate("v8", "ProductOfferingQualification_Create", {"projectId": deep})
    assert len(found) == 1 and found[0].pointer.startswith("/projectId/0/0")
    assert found[0].pointer.count("/") == MAX_DEPTH
    assert not is_valid("v8", "ProductOfferingQualification_Create", {"projectId": deep})


def test_date_time_format_is_checked() -> None:
    good = {"changeDate": "2024-08-07T01:07:42.7030052+01:00", "state": "done"}
    assert validate("v8", "MEFPOQStateChange", good) == []
    for bad in ("2024-08-07", "2024-13-07T01:07:42Z", "2024-08-07T01:07:42", "yesterday"):
        found = validate("v8", "MEFPOQStateChange", {**good, "changeDate": bad})
        assert pointers(found) == ["/changeDate"], bad


def test_events_differ_between_dialects() -> None:
    v8_event = {
        "eventId": "e1",
        "eventType": "poqItemStateChangeEvent",
        "eventTime": "2024-08-07T01:07:42Z",
        "event": {"id": "poq-1", "poqItemId": "1", "state": "done"},
    }
    assert validate("v8", "PoqItemStateChangeEvent", v8_event) == []
    missing_state = copy.deepcopy(v8_event)
    del missing_state["event"]["state"]
    assert pointers(validate("v8", "PoqItemStateChangeEvent", missing_state)) == ["/event/state"]
    v7_event = {**missing_state}
    assert validate("v7", "PoqItemStateChangeEvent", v7_event) == []
    wrong_type = {**v8_event, "eventType": "poqStateChangeEvent"}
    assert pointers(validate("v8", "PoqItemStateChangeEvent", wrong_type)) == ["/eventType"]
    assert "PoqCreateEvent" in type_names("v7") and "PoqCreateEvent" not in type_names("v8")


def test_architecture_type_names_exist() -> None:
    common = [
        "ProductOfferingQualification_Create",
        "ProductOfferingQualification",
        "ProductOfferingQualificationItem",
        "ProductOfferingQualification_Find",
        "EventSubscriptionInput",
        "EventSubscription",
        "PoqStateChangeEvent",
        "PoqItemStateChangeEvent",
        "Error",
        "Error400",
        "Error401",
        "Error403",
        "Error404",
        "Error422",
        "Error500",
        "Error501",
    ]
    for api in ("v8", "v7"):
        assert set(common) <= set(type_names(api))
    assert "PoqCreateEvent" in type_names("v7")


def test_unknown_names_are_caller_errors() -> None:
    with pytest.raises(UnknownType, match="Error409"):
        validate("v8", "Error409", {})
    with pytest.raises(ValueError, match="v9"):
        validate("v9", "Error", {})


def test_documents_are_fresh_copies() -> None:
    doc = openapi_document("v8")
    doc["components"]["schemas"].clear()
    assert openapi_document("v8")["components"]["schemas"]
    assert validate("v8", "Error", {"reason": "r"}) == []
    assert notification_document("v7")["paths"]


def test_validation_is_fast_for_a_typical_create_body() -> None:
    body = v8_create()
    validate("v8", "ProductOfferingQualification_Create", body)  # compile once
    rounds = 300
    start = time.perf_counter()
    for _ in range(rounds):
        validate("v8", "ProductOfferingQualification_Create", body)
    per_call_ms = (time.perf_counter() - start) / rounds * 1000
    assert per_call_ms < 5, per_call_ms  # measured ~0.5 ms; generous for a loaded CI box


def test_a_place_that_is_not_an_object_is_reported_once() -> None:
    body = v8_create()
    body["productOfferingQualificationItem"][0]["product"]["place"][0]["place"] = "Main St 1"
    found = validate("v8", "ProductOfferingQualification_Create", body)
    assert pointers(found) == ["/productOfferingQualificationItem/0/product/place/0/place"]
    assert "GeographicSiteRef" in found[0].message


def test_concurrent_calls_agree() -> None:
    """The mock seller validates from several waitress threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    good, bad = v8_create(), v8_create()
    bad["productOfferingQualificationItem"][0]["action"] = "remove"

    def run(i: int) -> list[Violation]:
        return validate("v8", "ProductOfferingQualification_Create", good if i % 2 else bad)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, range(200)))
    assert all(r == [] for r in results[1::2])
    assert all(pointers(r) == ["/productOfferingQualificationItem/0/action"] for r in results[::2])


def test_validate_list_prefixes_entry_index() -> None:
    from schemas.validation import validate_list

    body = [
        {"code": "missingProperty", "reason": "r", "propertyPath": "/x"},
        {"code": "noSuchCode", "reason": "r"},
        {"reason": "r"},
    ]
    found = validate_list("v8", "Error422", body)
    assert pointers(found) == ["/1/code", "/2/code"]
    assert validate_list("v8", "Error422", []) == []
    assert pointers(validate_list("v7", "ProductOfferingQualification_Find", {"id": 1})) == [""]
    with pytest.raises(UnknownType):
        validate_list("v8", "NoSuchType", [])


def test_violations_are_capped_for_huge_bad_documents() -> None:
    from schemas.validation import MAX_VIOLATIONS

    body = {"relatedContactInformation": [1] * 20_000}
    found = validate("v8", "ProductOfferingQualification_Create", body)
    assert len(found) == MAX_VIOLATIONS + 1
    assert any(v.pointer == "" and "not listed" in v.message for v in found)


def test_values_that_cannot_be_printed_do_not_raise() -> None:
    huge = 10**5000  # longer than Python will turn into text by default
    found = validate("v8", "Error", {"reason": huge})
    assert found and found[0].pointer == ""
    assert not is_valid("v8", "Error", {"reason": huge})


def test_random_json_never_raises() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["@type", "id", "state", "place", "product", "action", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=30,
    )
    names = ["ProductOfferingQualification_Create", "ProductOfferingQualification",
             "PlaceRefOrQuery", "PoqItemStateChangeEvent", "Error422"]  # fmt: skip

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(json_values, st.sampled_from(names))
    def check(value: object, name: str) -> None:
        result = validate("v8", name, value)
        assert all(isinstance(v, Violation) for v in result)
        assert is_valid("v8", name, value) == (result == [])

    check()


def test_fast_path_agrees_with_jsonschema() -> None:
    """The Rust fast path may only say "valid" where jsonschema says so too."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from schemas.validation import _fast_is_valid, _fast_validator, _validator

    if _fast_validator("v8", "Error") is None:
        pytest.skip("jsonschema_rs not available")
    stamps = st.sampled_from(
        ["2024-08-07T01:07:42Z", "2024-08-07T01:07:42.5+01:00", "2024-08-07",
         "2024-02-30T00:00:00Z", "2024-08-07t01:07:42z", "2024-08-07T24:00:00Z",
         "2024-08-07T01:07:60Z", "x"]
    )  # fmt: skip

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(
        stamps,
        st.sampled_from(["add", "modify", "delete", 1, None]),
        st.sampled_from([{"@type": "GeographicSiteRef", "id": "s"}, {"@type": "X"}, {"id": 1},
                         {"@type": "GeographicAddress_Query", "labelRepresentation": [{}]}]),
        st.sampled_from(["v8", "v7"]),
        st.one_of(st.just(1.0), st.just(-1), st.just("1"), st.just(2**70)),
    )  # fmt: skip
    def check(stamp: str, action: object, place: dict, api: str, amount: object) -> None:
        body = v8_create() if api == "v8" else v7_create()
        body["requestedPOQCompletionDate"] = stamp
        item = body["productOfferingQualificationItem"][0]
        item["action"] = action
        if api == "v8":
            item["product"]["place"][0]["place"] = place
        event = {"eventId": "e", "eventType": "poqStateChangeEvent", "eventTime": stamp,
                 "event": {"id": "p", "state": "done"}}  # fmt: skip
        duration = {"amount": amount, "units": "calendarDays"}
        for name, value in [
            ("ProductOfferingQualification_Create", body),
            ("PoqStateChangeEvent", event),
            ("Duration", duration),
        ]:
            slow = _validator(api, name).is_valid(value)
            assert _fast_is_valid(api, name, value) == slow, (api, name, value)

    check()
