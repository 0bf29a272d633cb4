"""Echo comparison: legal additions pass, drops and changes fail with a JSON Pointer."""

from __future__ import annotations

import copy

from harness.checks.echo import check_echo, echo_differences

REQUEST = {
    "instantSyncQualification": True,
    "provideAlternative": False,
    "requestedPOQCompletionDate": "2030-01-01T10:00:00Z",
    "externalId": "ext-1",
    "relatedContactInformation": [
        {"role": "buyerContactInformation", "name": "B", "number": "1", "emailAddress": "b@x"}
    ],
    "productOfferingQualificationItem": [
        {"id": "1", "action": "add",
         "product": {"productOffering": {"id": "PO-1"},
                     "productConfiguration": {"@type": "urn:x", "bw": 100, "tags": ["a", "b"]}}},
        {"id": "2", "action": "add", "product": {"productOffering": {"id": "PO-2"}}},
    ],
}


def _response() -> dict:
    resp = copy.deepcopy(REQUEST)
    resp.update(id="P1", state="done", href="/x")
    resp["relatedContactInformation"].insert(
        0, {"role": "sellerContactInformation", "name": "S", "number": "2", "emailAddress": "s@x"}
    )
    resp["productOfferingQualificationItem"].reverse()  # another order is legal
    resp["productOfferingQualificationItem"][0]["state"] = "done"
    resp["requestedPOQCompletionDate"] = "2030-01-01T10:00:00.000+00:00"  # same instant
    resp["productOfferingQualificationItem"][1]["product"]["productConfiguration"]["tags"] = [
        "b", "a"]
    return resp


def test_legal_additions_and_reordering_pass() -> None:
    ok, message = check_echo(REQUEST, _response())
    assert ok, message


def test_dropped_attribute_fails_with_pointer() -> None:
    resp = _response()
    del resp["externalId"]
    ok, message = check_echo(REQUEST, resp)
    assert not ok and "/externalId: missing" in message


def test_changed_nested_value_fails() -> None:
    resp = _response()
    item = next(i for i in resp["productOfferingQualificationItem"] if i["id"] == "1")
    item["product"]["productConfiguration"]["bw"] = 1000
    problems = echo_differences(REQUEST, resp)
    assert problems == ["/productOfferingQualificationItem/0/product/productConfiguration/bw: "
                        "sent 100, got 1000"]


def test_changed_buyer_contact_fails() -> None:
    resp = _response()
    resp["relatedContactInformation"][1]["name"] = "Other"
    assert not check_echo(REQUEST, resp)[0]


def test_duplicated_or_missing_item_fails() -> None:
    resp = _response()
    resp["productOfferingQualificationItem"].append(copy.deepcopy(
        resp["productOfferingQualificationItem"][0]))
    assert "2 response entries with id '2'" in check_echo(REQUEST, resp)[1]
    resp["productOfferingQualificationItem"] = resp["productOfferingQualificationItem"][1:2]
    assert not check_echo(REQUEST, resp)[0]


def test_boolean_is_not_number_and_type_changes_fail() -> None:
    assert echo_differences({"a": True}, {"a": 1})
    assert echo_differences({"a": "1"}, {"a": 1})
    assert echo_differences({"a": {"b": 1}}, {"a": [1]})
    assert not echo_differences({"a": 1}, {"a": 1.0})


def test_buyer_href_is_ignored() -> None:
    assert not echo_differences({"href": "mine", "x": 1}, {"href": "seller's", "x": 1})


def test_different_instants_fail() -> None:
    assert echo_differences({"d": "2030-01-01T10:00:00Z"}, {"d": "2030-01-01T11:00:00Z"})


def test_dates_echo_at_the_sellers_precision() -> None:
    """Rule 4: seconds stored for a value sent with milliseconds still echo (truncated or
    rounded), a different second does not."""
    sent = {"requestedPOQCompletionDate": "2026-05-01T10:00:00.623Z"}
    for stored, ok in (("2026-05-01T10:00:00Z", True), ("2026-05-01T10:00:01Z", True),
                       ("2026-05-01T10:00:02Z", False), ("2026-05-01T10:00:00.624Z", False),
                       ("2026-05-01T12:00:00.6+02:00", True)):
        assert check_echo(sent, {"requestedPOQCompletionDate": stored})[0] is ok, stored
