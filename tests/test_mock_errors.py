"""Error answers: 400 / 404 / 405 / 422 / 500 with MEF Error bodies and no success attributes."""

from __future__ import annotations

import pytest
import requests
from mock_helpers import (
    POQ,
    create,
    eline_item,
    mock_fixture,  # noqa: F401 (fixture)
    modify_item,
    poq,
    seller_fixture,  # noqa: F401 (fixture)
    spec_item,
    uni_item,
)

from mock_seller.server import MockServer

SUCCESS_KEYS = {"id", "href", "state", "stateChange", "creationDate",
                "productOfferingQualificationItem", "relatedContactInformation"}


def _no_success_attributes(body: object) -> None:
    entries = body if isinstance(body, list) else [body]
    for entry in entries:
        assert isinstance(entry, dict) and "reason" in entry and "code" in entry
        assert not SUCCESS_KEYS & set(entry), entry


def _post_raw(server: MockServer, data: bytes, content_type: str) -> requests.Response:
    return requests.post(server.base_url("v8") + POQ, data=data,
                         headers={"Content-Type": content_type}, timeout=5)


@pytest.mark.parametrize("data,ctype", [(b"{not json", "application/json"),
                                        (b'{"a": 1}', "text/plain"),
                                        (b"[1, 2]", "application/json"),
                                        (b"\xff\xfe", "application/json;charset=utf-8")])
def test_unreadable_bodies_are_400_invalid_body(mock: MockServer, data: bytes, ctype: str) -> None:
    resp = _post_raw(mock, data, ctype)
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalidBody"
    _no_success_attributes(resp.json())


@pytest.mark.parametrize("mutate,pointer", [
    (lambda b: b.pop("productOfferingQualificationItem"), "/productOfferingQualificationItem"),
    (lambda b: b.update(instantSyncQualification="yes"), "/instantSyncQualification"),
    (lambda b: b["productOfferingQualificationItem"][0].update(action="remove"),
     "/productOfferingQualificationItem/0/action"),
])
def test_schema_violations_are_400(mock: MockServer, mutate, pointer: str) -> None:  # type: ignore[no-untyped-def]
    body = poq(eline_item())
    mutate(body)
    resp = create(mock, body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == "invalidBody" and pointer in resp.json()["reason"] + resp.json(
        ).get("message", "")
    _no_success_attributes(resp.json())


def _codes(resp: requests.Response) -> dict[str, str]:
    assert resp.status_code == 422, resp.text
    _no_success_attributes(resp.json())
    return {e["propertyPath"]: e["code"] for e in resp.json()}


def test_business_rules_are_422_with_pointers(mock: MockServer) -> None:
    add_with_id = eline_item("2")
    add_with_id["product"]["id"] = "AccessElineOVC-0001"
    no_ref = eline_item("3")
    del no_ref["product"]["productOffering"]
    modify_no_id = modify_item("4")
    del modify_no_id["product"]["id"]
    body = poq(eline_item("1", offering="999"), add_with_id, no_ref, modify_no_id,
               modify_item("5", product_id="ghost"), eline_item("5"), uni_item("7", place_id=""))
    del body["productOfferingQualificationItem"][6]["product"]["place"]
    body["relatedContactInformation"][0]["role"] = "someoneElse"
    codes = _codes(create(mock, body))
    items = "/productOfferingQualificationItem"
    assert codes == {
        "/relatedContactInformation": "missingProperty",
        f"{items}/0/product/productOffering/id": "referenceNotFound",
        f"{items}/1/product/id": "unexpectedProperty",
        f"{items}/2/product/productOffering": "missingProperty",
        f"{items}/3/product/id": "missingProperty",
        f"{items}/4/product/id": "referenceNotFound",
        f"{items}/5/id": "invalidValue",
        f"{items}/6/product/place": "missingProperty",
    }


def test_more_business_rules(mock: MockServer) -> None:
    items = "/productOfferingQualificationItem"
    assert _codes(create(mock, poq(spec_item(spec="nope"), alternatives=True))) == {
        f"{items}/0/product/productSpecification/id": "referenceNotFound"}
    assert _codes(create(mock, poq(spec_item()))) == {"/provideAlternative": "invalidValue"}
    placed = eline_item()
    placed["product"]["place"] = uni_item()["product"]["place"]
    assert _codes(create(mock, poq(placed))) == {f"{items}/0/product/place": "unexpectedProperty"}
    related = eline_item()
    related["qualificationItemRelationship"] = [{"id": "ghost", "relationshipType": "X"}]
    assert _codes(create(mock, poq(related))) == {
        f"{items}/0/qualificationItemRelationship/0/id": "referenceNotFound"}
    v8_modify = modify_item()
    del v8_modify["product"]["productOffering"]
    assert _codes(create(mock, poq(v8_modify))) == {
        f"{items}/0/product/productOffering": "missingProperty"}
    assert create(mock, poq(v8_modify), "v7").status_code == 201  # v7 guide example omits it


def test_immediate_request_that_cannot_be_answered_at_once(mock: MockServer) -> None:
    resp = create(mock, poq(uni_item(place_id="Unknown-Building-1")))
    assert _codes(resp) == {"/productOfferingQualificationItem/0": "otherIssue"}


def test_unknown_path_method_and_id(mock: MockServer) -> None:
    resp = requests.get(mock.root_url + "/mefApi/sonata/somethingElse/v1/x", timeout=5)
    assert resp.status_code == 404 and resp.json()["code"] == "notFound"
    resp = requests.delete(mock.base_url("v8") + POQ, timeout=5)
    assert resp.status_code == 405 and "reason" in resp.json()
    assert resp.headers["Content-Type"].startswith("application/json")
    resp = requests.patch(f"{mock.base_url('v7')}{POQ}/abc", json={}, timeout=5)
    assert resp.status_code == 405
    resp = requests.get(f"{mock.base_url('v8')}{POQ}/abc", timeout=5)
    assert resp.status_code == 404
    _no_success_attributes(resp.json())


def test_internal_error_is_json_error500(mock: MockServer) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("simulated fault")

    mock.engine.retrieve = boom  # type: ignore[method-assign]
    try:
        resp = requests.get(f"{mock.base_url('v8')}{POQ}/abc", timeout=5)
    finally:
        del mock.engine.retrieve
    assert resp.status_code == 500
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json()["code"] == "internalError"
    _no_success_attributes(resp.json())
