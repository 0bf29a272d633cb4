"""Item content checks, each seen passing on a legal answer and failing on a broken one."""

from __future__ import annotations

from harness.checks import items as c
from schemas.dialect import V7, V8


def _item(**extra: object) -> dict:
    base = {"id": "1", "state": "done", "serviceabilityConfidence": "green",
            "serviceabilityConfidenceReason": "on net",
            "installationInterval": {"amount": 5, "units": "businessDays"},
            "deliveryType": "onNetWithoutBuild", "guaranteedUntilDate": "2030-01-01T00:00:00Z",
            "product": {"productOffering": {"id": "PO-1"}}}
    base.update(extra)
    return base


def _alt(alt_id: str = "a1", **extra: object) -> dict:
    base = {"id": alt_id, "serviceabilityConfidence": "yellow",
            "installationInterval": {"amount": 3, "units": "calendarDays"},
            "deliveryType": "offNetWithBuild", "alternateProduct": {"productOffering": {"id": "X"}}}
    base.update(extra)
    return base


def test_correspondence() -> None:
    req = [{"id": "1"}, {"id": "2"}]
    assert c.check_item_correspondence(req, [{"id": "2"}, {"id": "1"}])[0]
    assert not c.check_item_correspondence(req, [{"id": "1"}])[0]
    assert not c.check_item_correspondence(req, [{"id": "1"}, {"id": "2"}, {"id": "2"}])[0]
    assert not c.check_item_correspondence(req, [{"id": "1"}, {"id": "3"}])[0]


def test_confidence_and_reason() -> None:
    assert c.check_confidence(_item(), V8)[0]
    assert not c.check_confidence(_item(serviceabilityConfidence=None), V8)[0]
    assert not c.check_confidence(_item(serviceabilityConfidence="GREEN"), V8)[0]
    assert c.check_confidence_reason(_item())[0]
    assert not c.check_confidence_reason(_item(serviceabilityConfidenceReason=" "))[0]


def test_green_needs_interval_delivery_type_and_offering() -> None:
    assert c.check_installation_interval(_item(), V8)[0]
    assert not c.check_installation_interval(_item(installationInterval=None), V8)[0]
    bad_units = _item(installationInterval={"amount": 1, "units": "businessWeek"})
    assert not c.check_installation_interval(bad_units, V8)[0]
    v7_units = _item(installationInterval={"amount": 1, "units": "calendarMonths"})
    assert c.check_installation_interval(v7_units, V7)[0]
    assert not c.check_installation_interval(v7_units, V8)[0]
    assert c.check_installation_interval(
        _item(serviceabilityConfidence="red", installationInterval=None), V8
    ).status == "not_tested"  # red: no interval due, nothing observed
    assert c.check_delivery_type(_item(), V8)[0]
    assert not c.check_delivery_type(_item(deliveryType="ON-NET"), V8)[0]
    assert c.check_product_offering(_item(), V8)[0]
    assert not c.check_product_offering(_item(product={}), V8)[0]


def test_guaranteed_until() -> None:
    assert c.check_guaranteed_until(_item())[0]
    assert not c.check_guaranteed_until(_item(guaranteedUntilDate=None))[0]


def test_alternates_allowed_only_when_asked_and_not_green() -> None:
    yellow = _item(serviceabilityConfidence="yellow", alternateProductOfferingProposal=[_alt()])
    assert c.check_alternates_allowed(yellow, True, V8)[0]
    assert not c.check_alternates_allowed(yellow, False, V8)[0]
    green = _item(alternateProductOfferingProposal=[_alt()])
    assert not c.check_alternates_allowed(green, True, V8)[0]
    assert c.check_alternates_allowed(_item(alternateProductOfferingProposal=[]), False,
                                      V8).status == "not_tested"


def test_alternate_ids_and_content() -> None:
    assert c.check_alternate_ids_unique(
        _item(alternateProductOfferingProposal=[_alt("a"), _alt("b")]))[0]
    assert not c.check_alternate_ids_unique(
        _item(alternateProductOfferingProposal=[_alt("a"), _alt("a")]))[0]
    assert not c.check_alternate_ids_unique(
        _item(alternateProductOfferingProposal=[_alt(""), _alt("a")]))[0]
    assert c.check_alternate_confidence(_alt(), V8)[0]
    assert not c.check_alternate_confidence(_alt(serviceabilityConfidence="red"), V8)[0]
    assert c.check_alternate_interval(_alt(), V8)[0]
    assert not c.check_alternate_interval(_alt(installationInterval={"amount": -1,
                                                                     "units": "months"}), V8)[0]
    assert c.check_alternate_delivery_type(_alt(), V8)[0]
    assert not c.check_alternate_delivery_type(_alt(deliveryType=None), V8)[0]


def test_2a_offering_and_2b_specification_match() -> None:
    req = {"id": "1", "product": {"productOffering": {"id": "PO-1"}}}
    assert c.check_offering_matches(req, _item())[0]
    assert not c.check_offering_matches(req, _item(product={"productOffering": {"id": "PO-9"}}))[0]
    spec_req = {"id": "1", "product": {"productSpecification": {"id": "S"}}}
    answer = _item(product={"productSpecification": {"id": "S"}, "productOffering": {"id": "P"}})
    assert c.check_specification_matches(spec_req, answer)[0]
    assert not c.check_specification_matches(
        spec_req, _item(product={"productSpecification": {"id": "T"}}))[0]
    assert c.check_offering_under_specification(answer, V8, ["P", "Q"])[0]
    assert not c.check_offering_under_specification(answer, V8, ["Q"])[0]
    assert not c.check_offering_under_specification(
        _item(product={"productSpecification": {"id": "S"}}), V8)[0]
    red = _item(serviceabilityConfidence="red", product={"productSpecification": {"id": "S"}})
    assert c.check_offering_under_specification(red, V8)[0]


def test_best_offering_of_the_specification() -> None:
    same = _alt(serviceabilityConfidence="green",
                alternateProduct={"productSpecification": {"id": "S"},
                                  "productOffering": {"id": "Q"}})
    other = _alt("a2", serviceabilityConfidence="green",
                 alternateProduct={"productOffering": {"id": "Z"}})
    product = {"productSpecification": {"id": "S"}, "productOffering": {"id": "P"}}
    worse = _item(serviceabilityConfidence="yellow", product=product,
                  alternateProductOfferingProposal=[same])
    assert not c.check_best_offering(worse, V8)[0]
    unrelated = _item(serviceabilityConfidence="yellow", product=product,
                      alternateProductOfferingProposal=[other])
    assert c.check_best_offering(unrelated, V8).status == "not_tested"  # nothing compared
    assert not c.check_best_offering(unrelated, V8, ["Z"])[0]
    assert c.check_best_offering(_item(product=product,
                                       alternateProductOfferingProposal=[same]), V8)[0]


def test_rejected_item_minimal_and_state() -> None:
    req = {"id": "1", "action": "add", "product": {}}
    rejected = {"id": "1", "state": "rejected", "action": "add", "product": {},
                "stateChange": [], "terminationError": [{"value": "x"}]}
    assert c.check_rejected_item_minimal(req, rejected)[0]
    assert not c.check_rejected_item_minimal(req, dict(rejected, serviceabilityConfidence="red"))[0]
    assert c.check_item_state_is(_item(), V8, "READY")[0]
    assert not c.check_item_state_is(_item(state="done.ready"), V8, "READY")[0]
    assert c.check_item_state_is(_item(state="done.ready"), V7, "READY")[0]
