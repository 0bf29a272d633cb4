"""Use cases 2a, 2b, 2c answered with an Immediate Response (MEF 79.1 8.3.2.1.2, 8.3.2.2.2).

Each test sends one create request built from the profile's test data with
``instantSyncQualification=true`` and judges the answer. 2a/2b and 2c carry the same
obligations under different IDs (R36-R47 vs R64-R77), so one routine judges both with an ID
table per use case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import echo, items, poq, states
from harness.payloads import PayloadBuilder
from harness.views import mef_view
from schemas.dialect import READY, Dialect
from suites._answers import UC2A, UC2B, UC2C, Ids, all_ids, judge_answers, judge_use_case
from suites._support import judge, report_crash, response_code, skip_ids, state_history

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.client import SellerClient
    from harness.evidence import Exchange
    from harness.profile import Profile
    from harness.schema_findings import SchemaFindings
    from harness.timeline import Timelines
    from suites._support import CreatedPoqs, GuardedVerdict

    Post = Callable[[dict[str, Any]], Exchange]  # the ``post`` fixture: create and record


def _require_immediate(profile: Profile, verdict: GuardedVerdict, ids: list[str]) -> None:
    if not profile.has("immediate"):
        skip_ids(verdict, ids, "the seller profile declares no Immediate Response",
                 applicable=False)
        pytest.skip("seller does not provide immediate responses")


def judge_immediate(
    verdict: GuardedVerdict, dialect: Dialect, request: dict[str, Any], exchange: Exchange, ids: Ids
) -> dict[str, Any] | None:
    """Judge a create exchange that should be an immediate answer; the POQ JSON when it is."""
    ev = [exchange]
    body = exchange.json
    verdict.check(ids.able, exchange.ok and isinstance(body, dict),
                  f"create answered HTTP {exchange.status}", evidence=ev)
    if not report_crash(verdict, [ids.code], exchange, "valid immediate create"):
        judge(verdict, [ids.code], response_code(dialect.api, "create", exchange), ev)
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
    if poq.contacts(body, poq.SELLER_CONTACT):  # a missing contact is R38/R66's, not R22's
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
    item_states = [dialect.mef_item_state(i.get("state")) for i in resp_items]
    judge(verdict, ["R100"], states.check_table29(view.state, item_states,
                                                  dialect.supports_item_state(
                                                      "UNABLE_TO_MEET_TIME")), ev)
    if view.state == READY:  # R98 speaks of READY POQs only; otherwise nothing to judge
        judge(verdict, ["R98"], states.check_ready_items(view.state, item_states), ev)
    judge_answers(verdict, dialect, request, resp_items, ids, ev, immediate=True)
    return body


@pytest.fixture
def post(seller: SellerClient, dialect: Dialect, timeline: Timelines, created_poqs: CreatedPoqs,
         api_schema: SchemaFindings) -> Post:
    """POST a create request; the answer goes on the run's timeline and the POQ id into the
    run's registry (R32 uniqueness, notification ownership); its schema is checked."""

    def send(request: dict[str, Any]) -> Exchange:
        exchange = seller.create_poq(request)
        if exchange.ok and isinstance(exchange.json, dict):
            api_schema.response(exchange, "ProductOfferingQualification")
            timeline.record_poq(exchange.json, dialect, "create", exchange.id)
            if exchange.json.get("id"):
                created_poqs.ids.append(str(exchange.json["id"]))
        return exchange

    return send


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A, "R15"))
def test_2a_install_offering(post: Post, seller_profile: Profile, dialect: Dialect,
                             verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
    """2a: one INSTALL item by product offering, answered READY with a green/yellow result."""
    _require_immediate(seller_profile, verdict, ["R36", "R37", "R38", "R39", "R40", "R42"])
    request = payloads.install_offering(immediate=True)
    exchange = post(request)
    body = judge_immediate(verdict, dialect, request, exchange, UC2A)
    if body is not None:
        judge_use_case(verdict, dialect, "2a", request, body, [exchange],
                       seller_profile.test_data)


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_red_with_alternatives(post: Post, seller_profile: Profile, dialect: Dialect,
                                  verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
    """2a that ends red with Provide Alternate true: alternates are allowed and judged."""
    _require_immediate(seller_profile, verdict, ["R45", "R46", "R47"])
    if not payloads.has("install_offering_red"):
        skip_ids(verdict, ["O7", "R45", "R46", "R47", "D4"],
                 "the profile has no test_data.install_offering_red")
        pytest.skip("no red test data")
    request = payloads.red_with_alternatives(immediate=True)
    body = judge_immediate(verdict, dialect, request, post(request), UC2A)
    if body is not None and not any(items.alternates(i) for i in items.items_of(body)):
        skip_ids(verdict, ["R45", "R46", "R47", "D4"],
                 "the seller proposed no alternates for the red test data")


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_no_alternates_unless_asked(post: Post, seller_profile: Profile, dialect: Dialect,
                                       verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
    """O7: with Provide Alternate false, no alternate proposal even where one exists."""
    _require_immediate(seller_profile, verdict, ["O7"])
    path = "install_offering_red" if payloads.has("install_offering_red") else "install_offering"
    request = payloads.create(path, immediate=True, provide_alternative=False)
    judge_immediate(verdict, dialect, request, post(request), UC2A)


@pytest.mark.uc("2b")
@pytest.mark.requirements(*all_ids(UC2B, "R13", "R14", "R16", "O2"))
def test_2b_install_specification(post: Post, seller_profile: Profile, dialect: Dialect,
                                  verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
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
    exchange = post(request)
    body = judge_immediate(verdict, dialect, request, exchange, UC2B)
    if body is None:
        skip_ids(verdict, ["R13", "R14", "R16"], "the 2b request was not answered")
        return
    judge_use_case(verdict, dialect, "2b", request, body, [exchange],
                       seller_profile.test_data)


@pytest.mark.uc("2c")
@pytest.mark.requirements(*all_ids(UC2C, "O10"))
def test_2c_change_product(post: Post, seller_profile: Profile, dialect: Dialect,
                           verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
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
    judge_immediate(verdict, dialect, request, post(request), UC2C)
    verdict.not_tested("O10", "the profile's 2c test data keeps the product's offering; a "
                       "change to another offering is not attempted (either answer is legal)")


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_several_items_in_one_poq(post: Post, seller_profile: Profile, dialect: Dialect,
                                     verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
    """R42: with several items, each answer maps to exactly one request item (any order).
    The request also carries what no other immediate request does, so its echo (R37) is
    judged: a Requested POQ Completion Date (optional when immediate) and an item
    relationship between the two items."""
    _require_immediate(seller_profile, verdict, ["R42"])
    second = "install_offering_red" if payloads.has("install_offering_red") else (
        "install_offering")
    paths = ["install_offering", second]
    request = payloads.create(paths, immediate=True, relate_items=True,
                              requested_completion=payloads.requested_completion())
    judge_immediate(verdict, dialect, request, post(request), UC2A)


ALT_2C = ["R75", "R76", "R77", "D6", "O13", "O14"]


def _optional_path(seller_profile: Profile, verdict: GuardedVerdict, payloads: PayloadBuilder,
                   path: str, ids: list[str], capability: str | None = None) -> None:
    """Skip (saying why, per ID) when the capability or the optional test data is missing;
    a seller without Immediate Responses gets these paths through the deferred plan."""
    if capability and not seller_profile.has(capability):
        skip_ids(verdict, ids, f"the seller profile does not declare capability "
                 f"'{capability}'", applicable=False)
        pytest.skip(f"no capability {capability}")
    if not payloads.has(path):
        skip_ids(verdict, ids, f"the profile has no test_data.{path}")
        pytest.skip(f"no test_data.{path}")
    if not seller_profile.has("immediate"):
        pytest.skip("judged on the deferred answer (the seller gives no Immediate Response)")


@pytest.mark.uc("2c")
@pytest.mark.requirements(*all_ids(UC2C))
def test_2c_change_with_alternatives(post: Post, seller_profile: Profile, dialect: Dialect,
                                     verdict: GuardedVerdict, payloads: PayloadBuilder) -> None:
    """2c answered YELLOW or RED with Provide Alternate true: the alternates of a change
    answer carry their own confidence, interval, delivery type and identifiers (R75-R77)."""
    _optional_path(seller_profile, verdict, payloads, "change_product_alternates", ALT_2C,
                   "change")
    request = payloads.change_with_alternatives(immediate=True)
    body = judge_immediate(verdict, dialect, request, post(request), UC2C)
    if body is not None and not any(items.alternates(i) for i in items.items_of(body)):
        skip_ids(verdict, ALT_2C, "the seller proposed no alternates for "
                 "test_data.change_product_alternates")


@pytest.mark.uc("2a")
@pytest.mark.requirements(*all_ids(UC2A))
def test_2a_off_net(post: Post, seller_profile: Profile, dialect: Dialect, verdict: GuardedVerdict,
                    payloads: PayloadBuilder) -> None:
    """2a delivered off net: a 3rd party provider may be named, only for off-net (O6)."""
    _optional_path(seller_profile, verdict, payloads, "install_offering_off_net", ["O6"])
    request = payloads.install_off_net(immediate=True)
    exchange = post(request)
    body = judge_immediate(verdict, dialect, request, exchange, UC2A)
    if body is not None:
        judge_use_case(verdict, dialect, "2a", request, body, [exchange],
                       seller_profile.test_data)


@pytest.mark.uc("2c")
@pytest.mark.requirements(*all_ids(UC2C))
def test_2c_off_net(post: Post, seller_profile: Profile, dialect: Dialect, verdict: GuardedVerdict,
                    payloads: PayloadBuilder) -> None:
    """2c delivered off net: a 3rd party provider may be named, only for off-net (O11)."""
    _optional_path(seller_profile, verdict, payloads, "change_product_off_net", ["O11"],
                   "change")
    request = payloads.change_off_net(immediate=True)
    judge_immediate(verdict, dialect, request, post(request), UC2C)
