"""Failure responses of Create POQ (R35, R41, R63, R69 and the response-code IDs).

Requests that break the API definitions (malformed JSON, not an object, missing or empty item
list, wrong types) or a rule no answer could satisfy (two items with one id: R42 could not
hold) must be refused with 400 or 422, never accepted (2xx) nor crash the seller
(5xx), and the refusal carries a MEF Error body and none of the attributes of a success.
Retrieve (R86) and list (R79) failures are judged in their use case suites.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from harness.checks import Result, errors, poq, reworded
from harness.payloads import PayloadBuilder
from schemas.dialect import READY, Dialect
from suites._support import GuardedVerdict, judge, response_code

if TYPE_CHECKING:
    from harness.client import SellerClient
    from harness.evidence import Exchange
    from harness.profile import Profile
    from harness.schema_findings import SchemaFindings

pytestmark = pytest.mark.uc("2a", "2c")

Mutation = Callable[[dict[str, Any]], Any]


def _drop(key: str) -> Mutation:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        body.pop(key, None)
        return body

    return mutate


def _set(key: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        body[key] = value
        return body

    return mutate


def _item_set(key: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        body["productOfferingQualificationItem"][0][key] = value
        return body

    return mutate


INVALID: dict[str, Mutation | str] = {
    "malformed JSON": '{"instantSyncQualification": true, ',
    "array instead of object": "[]",
    "no items": _drop("productOfferingQualificationItem"),
    "empty item list": _set("productOfferingQualificationItem", []),
    "items not a list": _set("productOfferingQualificationItem", {"id": "1"}),
    "flag not a boolean": _set("provideAlternative", "sometimes"),
    "unknown item action": _item_set("action", "explode"),
    "item without product": _item_set("product", None),
    "two items with one id": lambda body: {
        **body, "productOfferingQualificationItem": [
            body["productOfferingQualificationItem"][0],
            dict(body["productOfferingQualificationItem"][0])]},
}


@dataclass(frozen=True, kw_only=True)
class RefusalIds:
    """Which requirement IDs a refused create is judged under."""

    code: str  # the Seller Response Code
    no_poq: str  # the failure response carries no POQ attributes


MODES = {  # (use case path, immediate?) -> IDs that judge the refusal
    ("install_offering", True): RefusalIds(code="R36", no_poq="R41"),
    ("install_offering", False): RefusalIds(code="R27", no_poq="R35"),
    ("change_product", True): RefusalIds(code="R64", no_poq="R69"),
    ("change_product", False): RefusalIds(code="R55", no_poq="R63"),
}


def _send(seller: SellerClient, base: dict[str, Any], mutation: Mutation | str) -> Exchange:
    if isinstance(mutation, str):
        return seller.request("POST", "productOfferingQualification", raw_body=mutation,
                              headers={"Content-Type": "application/json"})
    return seller.create_poq(mutation(json.loads(json.dumps(base))))


@pytest.mark.requirements("R27", "R35", "R36", "R41", "R55", "R63", "R64", "R69")
@pytest.mark.parametrize("mode", list(MODES), ids=[f"{p}-{'immediate' if i else 'deferred'}"
                                                   for p, i in MODES])
def test_invalid_create_is_refused(seller: SellerClient, seller_profile: Profile,
                                   verdict: GuardedVerdict, api_schema: SchemaFindings,
                                   payloads: PayloadBuilder, mode: tuple[str, bool]) -> None:
    """Every broken request gets a Seller Response Code; a refusal carries no POQ
    attributes. Accepting one (2xx) is schema laxness, an API-schema deviation: R35/R41/R63/R69
    speak of what an error response must not carry, and there was none."""
    path, immediate = mode
    ids = MODES[mode]
    code_id, leak_id = ids.code, ids.no_poq
    if not payloads.has(path):
        verdict.not_tested(leak_id, f"the profile has no test_data.{path}")
        pytest.skip(f"no test_data.{path}")
    base = payloads.create(path, immediate=immediate)
    for name, mutation in INVALID.items():
        exchange = _send(seller, base, mutation)
        ev = [exchange]
        judge(verdict, [code_id], response_code(seller.profile.api, "create", exchange, name),
              ev)
        if exchange.ok:
            api_schema.accepted_request(exchange, "ProductOfferingQualification_Create",
                                        [name])
            continue
        judge(verdict, [leak_id], _named(name, errors.check_no_success_attributes(
            exchange.json, what="refused create", status=exchange.status)), ev)


def _named(name: str, result: tuple[bool, str]) -> Result:
    return reworded(result, f"{name}: {result[1]}")


@pytest.mark.requirements("R39", "R41")
def test_immediate_refused_by_deferred_only_seller(seller: SellerClient, seller_profile: Profile,
                                                    dialect: Dialect, verdict: GuardedVerdict,
                                                    payloads: PayloadBuilder) -> None:
    """Immediate Response Only to a seller without immediate answers: an error (Table 6),
    carrying no POQ attributes (R41). The answer to such a request is an immediate
    response whatever the profile says, so it is judged as one: a success that is not a
    READY POQ breaks R39 (the seller neither answered at once nor refused)."""
    if seller_profile.has("immediate"):
        pytest.skip("the seller provides immediate responses")
    exchange = seller.create_poq(payloads.install_offering(immediate=True))
    ev = [exchange]
    if exchange.ok:
        body = exchange.json if isinstance(exchange.json, dict) else {}
        ok, why = poq.check_poq_state_is(body, dialect, READY)
        verdict.observed("R39", ok, f"Immediate Response Only request accepted with HTTP "
                         f"{exchange.status} by a seller whose profile declares no immediate "
                         f"answers: {why}", evidence=ev)
        return
    judge_observed(verdict, "R41", errors.check_is_failure(exchange.status), ev)
    judge_observed(verdict, "R41", errors.check_no_success_attributes(exchange.json), ev)


def judge_observed(verdict: GuardedVerdict, req_id: str, result: tuple[bool, str],
                   ev: list[Any]) -> None:
    verdict.observed(req_id, result[0], f"Immediate Response Only refused: {result[1]}",
                     evidence=ev)
