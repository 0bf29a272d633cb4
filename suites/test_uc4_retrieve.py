"""Use case 4: Retrieve POQ by Identifier (MEF 79.1 8.3.4, R83-R90, D7).

Judged on a POQ answered immediately (created here) and on the final state of every deferred
POQ of the run (the last poll of ``deferred_runs`` is a retrieve), so READY, REJECTED and
UNABLE_TO_MEET_TIME answers are all seen when the test data reaches them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import echo, errors, items, poq, reworded
from harness.payloads import PayloadBuilder
from schemas.dialect import READY, REJECTED, Dialect
from suites._support import (
    CreatedPoqs,
    GuardedVerdict,
    PoqRun,
    create,
    judge,
    report_crash,
    response_code,
    skip_ids,
    wait_final,
)

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.evidence import Exchange
    from harness.profile import Profile

RETRIEVE_IDS = ["R83", "R84", "R85", "R87", "R88", "R89", "R90", "D7"]


def judge_retrieved(verdict: GuardedVerdict, dialect: Dialect, request: dict[str, Any],
                    exchange: Exchange, label: str, echo_id: str) -> dict[str, Any] | None:
    """Judge one Retrieve POQ by Identifier exchange against the request that created it.

    The echo of the buyer's attributes is judged under the echo requirement of the create
    (``echo_id``: R37/R65 immediate, R34/R62 deferred), as the catalogue reads R85."""
    ev = [exchange]
    if not report_crash(verdict, ["R84", "R85"], exchange, f"{label}: retrieve of a known POQ"):
        judge(verdict, ["R84"], response_code(dialect.api, "retrieve", exchange, label), ev)
    body = exchange.json
    if not exchange.ok or not isinstance(body, dict):
        verdict.check("R85", False, f"{label}: retrieve of a known POQ failed "
                      f"(HTTP {exchange.status}, {exchange.error or 'no POQ body'})", evidence=ev)
        return None
    for result in (poq.check_poq_id(body), poq.check_poq_state_present(body, dialect),
                   poq.check_creation_date(body, dialect), poq.check_items_present(body)):
        judge(verdict, ["R85"], reworded(result, f"{label}: {result[1]}"), ev)
    result = echo.check_echo(request, body, "retrieved POQ")
    judge(verdict, [echo_id], reworded(result, f"{label}: {result[1]}"), ev)
    req_items = request["productOfferingQualificationItem"]
    resp_items = items.items_of(body)
    for item in resp_items:
        has_id = isinstance(item.get("id"), str) and bool(item.get("id"))
        verdict.check("R87", has_id, f"{label}: item id {item.get('id')!r}", evidence=ev)
        state = dialect.mef_item_state(item.get("state"))
        verdict.check("R89", state is not None,
                      f"{label}: item {item.get('id')!r} state {item.get('state')!r}",
                      evidence=ev)
    judge(verdict, ["R88"], items.check_item_correspondence(req_items, resp_items), ev)
    by_id = {i.get("id"): i for i in req_items}
    for item in resp_items:
        state = dialect.mef_item_state(item.get("state"))
        if state == READY:
            judge(verdict, ["R83"], items.check_confidence(item, dialect), ev)
            judge(verdict, ["R83"], items.check_confidence_reason(item), ev)
            judge(verdict, ["R83"], items.check_installation_interval(item, dialect), ev)
            if dialect.has_delivery_type:
                judge(verdict, ["R83"], items.check_delivery_type(item, dialect), ev)
            judge(verdict, ["D7"], items.check_guaranteed_until(item), ev)
        elif state == REJECTED:
            judge(verdict, ["R90"],
                  items.check_rejected_item_minimal(by_id.get(item.get("id")), item), ev)
    return body


@pytest.mark.uc("4")
@pytest.mark.requirements("R34", "R37", "R83", "R84", "R85", "R87", "R88", "R89", "D7")
def test_retrieve_immediate_poq(seller: SellerClient, seller_profile: Profile, dialect: Dialect,
                                verdict: GuardedVerdict, payloads: PayloadBuilder,
                                created_poqs: CreatedPoqs) -> None:
    """A POQ answered at once, retrieved by its id: full details, items, READY answers."""
    immediate = seller_profile.has("immediate")
    request = payloads.install_offering(immediate=immediate)
    if payloads.has("install_offering_red"):
        request = payloads.create(["install_offering", "install_offering_red"],
                                  immediate=immediate, provide_alternative=True,
                                  relate_items=True)
    run = create(seller, dialect, "uc4", request)
    created_poqs.add(run)
    if not run.created:
        report_crash(verdict, ["R3"], run.create, "valid create of the POQ to retrieve")
        skip_ids(verdict, RETRIEVE_IDS, f"the POQ to retrieve could not be created "
                 f"(HTTP {run.create.status})")
        pytest.skip(f"create failed (HTTP {run.create.status}); judged by the use case 2 suites")
    if not run.immediate:
        cfg = seller_profile.deferred
        wait_final(seller, [run], cfg.poll_interval_s, cfg.max_wait_s)
    exchange = seller.get_poq(str(run.id))  # created: it has an id
    judge_retrieved(verdict, dialect, request, exchange, f"POQ {run.id}",
                    "R37" if run.immediate else "R34")


@pytest.mark.uc("4")
@pytest.mark.requirements("R34", "R62", "R83", "R84", "R85", "R87", "R88", "R89", "R90", "D7")
def test_retrieve_deferred_results(seller_profile: Profile, dialect: Dialect,
                                   verdict: GuardedVerdict,
                                   deferred_runs: dict[str, PoqRun]) -> None:
    """The final retrieve of each deferred POQ: READY answers, REJECTED items kept minimal."""
    finals = [r for r in deferred_runs.values() if r.created and r.last is not None
              and r.last.source == "poll"]
    if not finals:
        skip_ids(verdict, ["R90"], "no deferred POQ was retrieved (none created or all answered "
                 "at once)", applicable=seller_profile.has("deferred"))
        return
    saw_rejected = False
    for run in finals:
        assert run.last is not None
        body = judge_retrieved(verdict, dialect, run.request, run.last.exchange,
                               f"{run.name} POQ {run.id}",
                               "R62" if run.name.startswith("2c") else "R34")
        saw_rejected |= any(dialect.mef_item_state(i.get("state")) == REJECTED
                            for i in items.items_of(body))
    if not saw_rejected:
        verdict.not_tested("R90", "no retrieved POQ had a REJECTED item "
                           "(test_data.insufficient_information missing or not rejected)")


@pytest.mark.uc("4")
@pytest.mark.requirements("R84", "R86")
def test_retrieve_unknown_id(seller: SellerClient, seller_profile: Profile,
                             verdict: GuardedVerdict) -> None:
    """An unknown id is a failure (404) with a MEF Error body and no POQ attributes."""
    unknown = seller_profile.test_data.unknown_poq_id or "poq-conformance-unknown-0000"
    exchange = seller.get_poq(unknown)
    ev = [exchange]
    judge(verdict, ["R84"], response_code(seller.profile.api, "retrieve", exchange), ev)
    verdict.check("R86", exchange.status == 404,
                  f"unknown POQ id answered HTTP {exchange.status} (expected 404)", evidence=ev)
    judge(verdict, ["R86"], errors.check_error_body(exchange.status, exchange.json), ev)
    judge(verdict, ["R86"], errors.check_no_success_attributes(exchange.json), ev)
