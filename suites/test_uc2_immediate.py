"""Use cases 2a, 2b, 2c answered with an Immediate Response (MEF 79.1 8.3.2.1.2, 8.3.2.2.2).

Each test sends one create request built from the profile's test data with
``instantSyncQualification=true`` and judges the answer. 2a/2b and 2c carry the same
obligations under different IDs (R36-R47 vs R64-R77), so one routine judges both with an ID
table per use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from harness.checks import echo, items, poq, states
from harness.payloads import PayloadBuilder
from harness.views import mef_view
from schemas.dialect import READY
from suites._support import judge, skip_ids, state_history


@dataclass(frozen=True)
class Ids:
    """Which requirement IDs a use case's immediate answer is judged under."""

    able: str  # R3 / CR1: able to answer
    code: str
    echo: str
    fields: str
    state: tuple[str, ...]
    items_ready: tuple[str, ...]
    correspond: str
    confidence: str
    interval: str
    delivery: str
    guaranteed: str
    alternates_allowed: str | None
    alt_confidence: str
    alt_fields: str
    alt_ids: str
    alt_guaranteed: str
    third_party: str
    alt_third_party: str
    alt_spec: str


UC2A = Ids("R3", "R36", "R37", "R38", ("R39",), ("R40",), "R42", "R43", "R44", "R44", "D3",
           "O7", "R45", "R46", "R47", "D4", "O6", "O8", "O9")
UC2B = Ids("CR1", "R36", "R37", "R38", ("R39",), ("R40",), "R42", "R43", "R44", "R44", "D3",
           None, "R45", "R46", "R47", "D4", "O6", "O8", "O3")
UC2C = Ids("R3", "R64", "R65", "R66", ("R66", "R67"), ("R68", "R71"), "R70", "R72", "R73",
           "R74", "D5", "O12", "R75", "R76", "R77", "D6", "O11", "O13", "O14")

OFF_NET = ("OFF_NET_WITH_BUILD", "OFF_NET_WITHOUT_BUILD")
COMMON = ("R22", "R95", "R101")


def all_ids(ids: Ids, *extra: str) -> tuple[str, ...]:
    """Every ID an immediate answer of this use case is judged under (for the marker)."""
    found: list[str] = []
    for value in vars(ids).values():
        for req_id in value if isinstance(value, tuple) else (value,):
            if req_id and req_id not in found:
                found.append(req_id)
    return (*found, *COMMON, *extra)


def _require_immediate(profile: Any, verdict: Any, ids: list[str]) -> None:
    if not profile.has("immediate"):
        skip_ids(verdict, ids, "the seller profile declares no Immediate Response",
                 applicable=False)
        pytest.skip("seller does not provide immediate responses")


def judge_immediate(
    verdict: Any, dialect: Any, request: dict[str, Any], exchange: Any, ids: Ids
) -> dict[str, Any] | None:
    """Judge a create exchange that should be an immediate answer; the POQ JSON when it is."""
    ev = [exchange]
    body = exchange.json
    verdict.check(ids.able, exchange.ok and isinstance(body, dict),
                  f"create answered HTTP {exchange.status}", evidence=ev)
    verdict.check(ids.code, exchange.status is not None,
                  f"seller response code: HTTP {exchange.status}", evidence=ev)
    if not exchange.ok or not isinstance(body, dict):
        for req_id in (ids.echo, ids.fields, *ids.state, *ids.items_ready, ids.correspond):
            verdict.check(req_id, False, f"valid request not answered with success "
                          f"(HTTP {exchange.status}, {exchange.error or 'no POQ body'})",
                          evidence=ev)
        return None
    view = mef_view(body, dialect)
    judge(verdict, [ids.echo], echo.check_echo(request, body, "immediate response"), ev)
    for check in (poq.check_poq_id(body), poq.check_creation_date(body, dialect),
                  poq.check_seller_contact(body), poq.check_items_present(body)):
        judge(verdict, [ids.fields], check, ev)
    judge(verdict, ["R22"], poq.check_seller_contact(body), ev)
    for req_id in ids.state:
        judge(verdict, [req_id], poq.check_poq_state_is(body, dialect, READY), ev)
    req_items = request["productOfferingQualificationItem"]
    resp_items = items.items_of(body)
    judge(verdict, [ids.correspond], items.check_item_correspondence(req_items, resp_items), ev)
    for item in resp_items:
        for req_id in ids.items_ready:
            judge(verdict, [req_id], items.check_item_state_is(item, dialect, READY), ev)
    # R95 / R101: an immediate answer is READY without passing through other states.
    judge(verdict, ["R95"], states.check_poq_sequence(
        [view.state, *state_history(body.get("stateChange"), dialect.mef_poq_state)],
        deferred=False), ev)
    for item in resp_items:
        judge(verdict, ["R101"], states.check_item_sequence(
            [dialect.mef_item_state(item.get("state")),
             *state_history(item.get("stateChange"), dialect.mef_item_state)],
            deferred=False), ev)
    judge_answers(verdict, dialect, request, resp_items, ids, ev)
    _say_unreached(verdict, resp_items, ids)
    return body


def _say_unreached(verdict: Any, resp_items: list[dict[str, Any]], ids: Ids) -> None:
    """Options and alternate-related IDs this answer gave no occasion to judge."""
    if not any("3rdPartyProvider" in i for i in resp_items):
        verdict.not_tested(ids.third_party, "no answered item named a 3rd party provider "
                           "(no off-net answer in the test data)")
    found = [a for i in resp_items for a in items.alternates(i)]
    if not found:
        reason = "the answer carried no alternate proposals for the test data used"
        for req_id in (ids.alt_ids, ids.alt_confidence, ids.alt_fields, ids.alt_guaranteed,
                       ids.alt_spec):
            verdict.not_tested(req_id, reason)
    if not any("3rdPartyProvider" in a for a in found):
        verdict.not_tested(ids.alt_third_party, "no alternate proposal named a 3rd party "
                           "provider")


def judge_answers(
    verdict: Any, dialect: Any, request: dict[str, Any], resp_items: list[dict[str, Any]],
    ids: Ids, ev: list[Any],
) -> None:
    """Item answer content: confidence, interval, delivery type, alternates (Tables 15-17)."""
    asked_alternates = request.get("provideAlternative") is True
    for item in resp_items:
        if dialect.mef_item_state(item.get("state")) != READY:
            continue
        judge(verdict, [ids.confidence], items.check_confidence(item, dialect), ev)
        judge(verdict, [ids.interval], items.check_installation_interval(item, dialect), ev)
        if dialect.has_delivery_type:
            judge(verdict, [ids.delivery], items.check_delivery_type(item, dialect), ev)
            judge(verdict, [ids.delivery], items.check_product_offering(item, dialect), ev)
            _third_party(verdict, dialect, item, ids.third_party, ev)
        elif ids.delivery != ids.interval:
            verdict.not_applicable(ids.delivery, "Delivery Type is not representable in v7")
        judge(verdict, [ids.guaranteed], items.check_guaranteed_until(item), ev)
        if ids.alternates_allowed:
            judge(verdict, [ids.alternates_allowed],
                  items.check_alternates_allowed(item, asked_alternates, dialect), ev)
        found = items.alternates(item)
        if ids.alternates_allowed is None and found:
            verdict.check("O2", True, f"2b item {item.get('id')!r} lists {len(found)} "
                          "additional offerings as alternates (allowed)", evidence=ev)
        if not found:
            continue
        judge(verdict, [ids.alt_ids], items.check_alternate_ids_unique(item), ev)
        for alt in found:
            judge(verdict, [ids.alt_confidence], items.check_alternate_confidence(alt, dialect), ev)
            judge(verdict, [ids.alt_fields], items.check_alternate_interval(alt, dialect), ev)
            if dialect.has_delivery_type:
                judge(verdict, [ids.alt_fields],
                      items.check_alternate_delivery_type(alt, dialect), ev)
                _third_party(verdict, dialect, alt, ids.alt_third_party, ev)
            judge(verdict, [ids.alt_guaranteed],
                  items.check_guaranteed_until(alt, "alternate"), ev)
        verdict.check(ids.alt_spec, True, f"{len(found)} alternate proposals observed; their "
                      "product offering or specification may differ from the request",
                      evidence=ev)


def _third_party(verdict: Any, dialect: Any, entry: dict[str, Any], req_id: str,
                 ev: list[Any]) -> None:
    """O6/O8/O11/O13: a 3rd party provider is only named for an off-net delivery."""
    named = [k for k in ("3rdPartyProvider", "3rdPartyProviderProductOffering") if k in entry]
    if not named:
        return
    kind = dialect.mef_delivery_type(entry.get("deliveryType"))
    verdict.check(req_id, kind in OFF_NET,
                  f"{entry.get('id')!r} names {named} with delivery type {kind}", evidence=ev)


def _create(seller: Any, request: dict[str, Any]) -> Any:
    return seller.create_poq(request)


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A, "R15"))
def test_2a_install_offering(seller: Any, seller_profile: Any, dialect: Any, verdict: Any,
                             payloads: PayloadBuilder) -> None:
    """2a: one INSTALL item by product offering, answered READY with a green/yellow result."""
    _require_immediate(seller_profile, verdict, ["R36", "R37", "R38", "R39", "R40", "R42"])
    request = payloads.install_offering(immediate=True)
    exchange = _create(seller, request)
    body = judge_immediate(verdict, dialect, request, exchange, UC2A)
    if body is None:
        return
    for sent, got in items.match_items(request["productOfferingQualificationItem"],
                                       items.items_of(body)):
        judge(verdict, ["R15"], items.check_offering_matches(sent, got), [exchange])


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_red_with_alternatives(seller: Any, seller_profile: Any, dialect: Any, verdict: Any,
                                  payloads: PayloadBuilder) -> None:
    """2a that ends red with Provide Alternate true: alternates are allowed and judged."""
    _require_immediate(seller_profile, verdict, ["R45", "R46", "R47"])
    if not payloads.has("install_offering_red"):
        skip_ids(verdict, ["O7", "R45", "R46", "R47", "D4"],
                 "the profile has no test_data.install_offering_red")
        pytest.skip("no red test data")
    request = payloads.red_with_alternatives(immediate=True)
    body = judge_immediate(verdict, dialect, request, _create(seller, request), UC2A)
    if body is not None and not any(items.alternates(i) for i in items.items_of(body)):
        skip_ids(verdict, ["R45", "R46", "R47", "D4"],
                 "the seller proposed no alternates for the red test data")


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_no_alternates_unless_asked(seller: Any, seller_profile: Any, dialect: Any,
                                       verdict: Any, payloads: PayloadBuilder) -> None:
    """O7: with Provide Alternate false, no alternate proposal even where one exists."""
    _require_immediate(seller_profile, verdict, ["O7"])
    path = "install_offering_red" if payloads.has("install_offering_red") else "install_offering"
    request = payloads.create(path, immediate=True, provide_alternative=False)
    judge_immediate(verdict, dialect, request, _create(seller, request), UC2A)


@pytest.mark.uc("2b")
@pytest.mark.requirements(*all_ids(UC2B, "R13", "R14", "R16", "O2"))
def test_2b_install_specification(seller: Any, seller_profile: Any, dialect: Any, verdict: Any,
                                  payloads: PayloadBuilder) -> None:
    """2b: INSTALL by product specification, answered with the best offering under it."""
    ids = ["CR1", "R13", "R14", "R16"]
    if not seller_profile.has("product_specification"):
        skip_ids(verdict, ids, "the seller profile declares no use case 2b", applicable=False)
        pytest.skip("seller does not support use case 2b")
    _require_immediate(seller_profile, verdict, ids)
    if not payloads.has("install_specification"):
        skip_ids(verdict, ids, "the profile has no test_data.install_specification")
        pytest.skip("no 2b test data")
    request = payloads.install_specification(immediate=True)
    exchange = _create(seller, request)
    body = judge_immediate(verdict, dialect, request, exchange, UC2B)
    if body is None:
        skip_ids(verdict, ["R13", "R14", "R16"], "the 2b request was not answered")
        return
    for sent, got in items.match_items(request["productOfferingQualificationItem"],
                                       items.items_of(body)):
        judge(verdict, ["R16"], items.check_specification_matches(sent, got), [exchange])
        judge(verdict, ["R13"], items.check_offering_under_specification(got, dialect),
              [exchange])
        judge(verdict, ["R14"], items.check_best_offering(got, dialect), [exchange])


@pytest.mark.uc("2c")
@pytest.mark.requirements(*all_ids(UC2C, "O10"))
def test_2c_change_product(seller: Any, seller_profile: Any, dialect: Any, verdict: Any,
                           payloads: PayloadBuilder) -> None:
    """2c: CHANGE of an existing product, every item READY with its answer."""
    ids = ["R64", "R65", "R66", "R67", "R68", "R70", "R71", "R72", "R73", "R74"]
    if not seller_profile.has("change"):
        skip_ids(verdict, ids, "the seller profile declares no use case 2c", applicable=False)
        pytest.skip("seller does not support use case 2c")
    _require_immediate(seller_profile, verdict, ids)
    if not payloads.has("change_product"):
        skip_ids(verdict, ids, "the profile has no test_data.change_product")
        pytest.skip("no 2c test data")
    request = payloads.change_product(immediate=True, provide_alternative=True)
    judge_immediate(verdict, dialect, request, _create(seller, request), UC2C)
    verdict.not_tested("O10", "the profile's 2c test data keeps the product's offering; a "
                       "change to another offering is not attempted (either answer is legal)")


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_several_items_in_one_poq(seller: Any, seller_profile: Any, dialect: Any,
                                     verdict: Any, payloads: PayloadBuilder) -> None:
    """R42: with several items, each answer maps to exactly one request item (any order)."""
    _require_immediate(seller_profile, verdict, ["R42"])
    second = "install_offering_red" if payloads.has("install_offering_red") else (
        "install_offering")
    paths = ["install_offering", second]
    request = payloads.create(paths, immediate=True)
    judge_immediate(verdict, dialect, request, _create(seller, request), UC2A)
