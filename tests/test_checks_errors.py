"""Failure responses: MEF Error bodies, no success attributes, 400/422 for bad requests."""

from __future__ import annotations

import pytest

from harness.checks import errors as c


@pytest.mark.parametrize("status", [200, 201, 204, 500, 503, None, 302])
def test_not_a_client_failure(status: int | None) -> None:
    assert not c.check_is_failure(status)[0]


def test_rejected_as_invalid() -> None:
    assert c.check_rejected_as_invalid(400)[0]
    assert c.check_rejected_as_invalid(422)[0]
    assert not c.check_rejected_as_invalid(404)[0]
    assert not c.check_rejected_as_invalid(201)[0]
    assert not c.check_rejected_as_invalid(500)[0]


def test_error_body_shapes() -> None:
    assert c.check_error_body(400, {"code": "invalidBody", "reason": "bad"})[0]
    assert c.check_error_body(422, [{"code": "missingProperty", "reason": "x",
                                     "propertyPath": "/a"}])[0]
    assert not c.check_error_body(422, {"code": "x", "reason": "y"})[0]
    assert not c.check_error_body(404, {"message": "not found"})[0]
    assert not c.check_error_body(400, "<html>oops</html>")[0]
    assert not c.check_error_body(422, [])[0]


def test_success_attribute_leakage() -> None:
    assert c.check_no_success_attributes({"code": "notFound", "reason": "x"})[0]
    ok, message = c.check_no_success_attributes({"code": "x", "reason": "y", "id": "P1",
                                                 "state": "done"})
    assert not ok and "id" in message and "state" in message
    assert not c.check_no_success_attributes([{"code": "x", "reason": "y",
                                               "productOfferingQualificationItem": []}])[0]
    assert not c.check_no_success_attributes([{"id": "P1", "state": "done"}],
                                             c.LIST_ROW_ATTRIBUTES)[0]


def test_too_many_records_paths() -> None:
    assert c.check_too_many_records(422, [{"code": "tooManyRecords", "reason": "x"}], None)[0]
    assert not c.check_too_many_records(422, [{"code": "other", "reason": "x"}], None)[0]
    assert c.check_too_many_records(200, [], 10)[0]
    assert c.check_too_many_records(200, [{}] * 10, 10)[0]
    assert not c.check_too_many_records(200, [{}] * 11, 10)[0]
    assert not c.check_too_many_records(500, None, 10)[0]


@pytest.mark.parametrize(("api", "operation", "status", "body", "status_is"), [
    ("v8", "create", 201, {"id": "P"}, "pass"),
    ("v8", "create", 422, [{"code": "invalidValue", "reason": "r"}], "pass"),
    ("v8", "create", 500, {"code": "internalError", "reason": "r"}, "pass"),
    ("v8", "create", 502, None, "fail"),  # a gateway's HTML page
    ("v8", "create", 500, None, "fail"),  # no MEF Error body
    ("v8", "create", 200, {"id": "P"}, "fail"),  # not a code of the operation
    ("v8", "create", 201, None, "fail"),
    ("v8", "list", 200, [], "pass"),
    ("v8", "list", 200, {"rows": []}, "fail"),
    ("v8", "retrieve", 404, {"code": "notFound", "reason": "r"}, "pass"),
    ("v8", "register", 201, {"id": "H"}, "pass"),
    ("v8", "register", 501, {"code": "notImplemented", "reason": "r"}, "pass"),
    ("v7", "unregister", 204, None, "pass"),
    ("v7", "unregister", 404, {"code": "notFound", "reason": "r"}, "pass"),
    ("v7", "hub_get", 200, {"id": "H"}, "fail"),  # v7 has no GET /hub/{id}
    ("v8", "retrieve", None, None, "not_tested"),
])
def test_seller_response_code(api: str, operation: str, status: int | None, body: object,
                              status_is: str) -> None:
    """Rule 1: a Seller Response Code is a status of the operation with the body it needs."""
    assert c.check_seller_response_code(api, operation, status, body).status == status_is


def test_accepting_a_request_is_no_breach_of_the_failure_ids() -> None:
    """Rule 3: R35/R41/R63/R69 judge failure responses only."""
    assert c.check_no_success_attributes({"id": "P", "state": "done"},
                                         status=201).status == "not_tested"


@pytest.mark.parametrize(("error", "status_is"), [
    ("connection error: BadStatusLine('HTTP/1.1 1000 UNKNOWN')", "fail"),  # garbled answer
    ("timeout: no response within 10 s", "not_tested"),
    ("seller unreachable: connection refused", "not_tested"),
    (None, "not_tested"),
])
def test_no_status_is_the_sellers_only_when_it_answered(error: str | None,
                                                         status_is: str) -> None:
    assert c.check_seller_response_code("v8", "retrieve", None, None, error).status == status_is
