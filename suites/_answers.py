"""What an answered POQ item must and may carry, shared by the immediate and deferred suites.

2a/2b and 2c carry the same obligations under different IDs (R36-R47 vs R64-R77), so one
routine judges all with an ID table per use case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.checks import items, status_of
from schemas.dialect import READY, Dialect
from suites._support import GuardedVerdict, judge


@dataclass(frozen=True, kw_only=True)
class Ids:
    """Which requirement IDs a use case's immediate answer is judged under (built by
    keyword only: the field names say what each ID judges)."""

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


UC2A = Ids(
    able="R3", code="R36", echo="R37", fields="R38", state=("R39",), items_ready=("R40",),
    correspond="R42", confidence="R43", interval="R44", delivery="R44", guaranteed="D3",
    alternates_allowed="O7", alt_confidence="R45", alt_fields="R46", alt_ids="R47",
    alt_guaranteed="D4", third_party="O6", alt_third_party="O8", alt_spec="O9",
)
UC2B = Ids(
    able="CR1", code="R36", echo="R37", fields="R38", state=("R39",), items_ready=("R40",),
    correspond="R42", confidence="R43", interval="R44", delivery="R44", guaranteed="D3",
    alternates_allowed=None, alt_confidence="R45", alt_fields="R46", alt_ids="R47",
    alt_guaranteed="D4", third_party="O6", alt_third_party="O8", alt_spec="O3",
)
UC2C = Ids(
    able="R3", code="R64", echo="R65", fields="R66", state=("R66", "R67"),
    items_ready=("R68", "R71"), correspond="R70", confidence="R72", interval="R73",
    delivery="R74", guaranteed="D5", alternates_allowed="O12", alt_confidence="R75",
    alt_fields="R76", alt_ids="R77", alt_guaranteed="D6", third_party="O11",
    alt_third_party="O13", alt_spec="O14",
)

OFF_NET = ("OFF_NET_WITH_BUILD", "OFF_NET_WITHOUT_BUILD")
COMMON = ("R22", "R95", "R98", "R100", "R101")


def all_ids(ids: Ids, *extra: str) -> tuple[str, ...]:
    """Every ID an immediate answer of this use case is judged under (for the marker)."""
    found: list[str] = []
    for value in vars(ids).values():
        for req_id in value if isinstance(value, tuple) else (value,):
            if req_id and req_id not in found:
                found.append(req_id)
    return (*found, *COMMON, *extra)


def _say_unreached(verdict: GuardedVerdict, resp_items: list[dict[str, Any]], ids: Ids) -> None:
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


def judge_answers(verdict: GuardedVerdict, dialect: Dialect, request: dict[str, Any],
                  resp_items: list[dict[str, Any]], ids: Ids, ev: list[Any],
                  immediate: bool) -> None:
    """Item answer content: confidence, interval, delivery type, alternates (Tables 15-17).

    For the final answer of a deferred POQ the confidence, interval, delivery type and
    guaranteed-until date are judged by use case 4 (R83, D7); alternates and the options
    here are judged the same way for both response styles."""
    asked_alternates = request.get("provideAlternative") is True
    for item in resp_items:
        if dialect.mef_item_state(item.get("state")) != READY:
            continue
        if dialect.has_delivery_type:
            _third_party(verdict, dialect, item, ids.third_party, ev)
        if immediate:
            _immediate_item(verdict, dialect, item, ids, ev)
        if ids.alternates_allowed:
            judge(verdict, [ids.alternates_allowed],
                  items.check_alternates_allowed(item, asked_alternates, dialect), ev)
        found = items.alternates(item)
        if ids.alternates_allowed is None and found:
            judge(verdict, ["O2"], items.check_alternates_offered(item), ev)
        if found:
            _alternates(verdict, dialect, item, found, ids, ev)
            sent = next((i for i in request.get("productOfferingQualificationItem", [])
                         if isinstance(i, dict) and i.get("id") == item.get("id")), {})
            judge(verdict, [ids.alt_spec], items.check_alternate_differs(sent, item)
                  if ids.alt_spec == "O3" else
                  items.check_alternate_same_specification(sent, item), ev)
    _say_unreached(verdict, resp_items, ids)


def _immediate_item(verdict: GuardedVerdict, dialect: Dialect, item: dict[str, Any], ids: Ids,
                    ev: list[Any]) -> None:
    judge(verdict, [ids.confidence], items.check_confidence(item, dialect), ev)
    judge(verdict, [ids.interval], items.check_installation_interval(item, dialect), ev)
    if dialect.has_delivery_type:
        judge(verdict, [ids.delivery], items.check_delivery_type(item, dialect), ev)
        judge(verdict, [ids.delivery], items.check_product_offering(item, dialect), ev)
    elif ids.delivery != ids.interval:
        verdict.not_applicable(ids.delivery, "Delivery Type is not representable in v7")
    judge(verdict, [ids.guaranteed], items.check_guaranteed_until(item), ev)


def _alternates(verdict: GuardedVerdict, dialect: Dialect, item: dict[str, Any],
                found: list[dict[str, Any]], ids: Ids, ev: list[Any]) -> None:
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


def _third_party(verdict: GuardedVerdict, dialect: Dialect, entry: dict[str, Any], req_id: str,
                 ev: list[Any]) -> None:
    """O6/O8/O11/O13: a 3rd party provider is only named for an off-net delivery."""
    named = [k for k in ("3rdPartyProvider", "3rdPartyProviderProductOffering") if k in entry]
    if not named:
        return
    kind = dialect.mef_delivery_type(entry.get("deliveryType"))
    verdict.check(req_id, kind in OFF_NET,
                  f"{entry.get('id')!r} names {named} with delivery type {kind}", evidence=ev)


def judge_use_case(verdict: GuardedVerdict, dialect: Dialect, name: str, request: dict[str, Any],
                   body: dict[str, Any], ev: list[Any], facts: Any = None) -> None:
    """R15 (2a answers the offering asked for), R13/R14/R16 (2b: an offering of the
    specification asked for, the best one). ``facts`` is the profile's test_data, whose
    optional catalogue facts make R13/R14 judgeable."""
    for sent, got in items.match_items(request["productOfferingQualificationItem"],
                                       items.items_of(body)):
        if dialect.mef_item_state(got.get("state")) != READY:
            continue
        raw = sent.get("product")
        product: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if name == "2b":
            judge(verdict, ["R16"], items.check_specification_matches(sent, got), ev)
            _offering_of_specification(verdict, dialect, product, got, facts, ev)
            _best_offering(verdict, dialect, got, facts, ev)
        elif "productOffering" in product and product.get("id") is None:
            judge(verdict, ["R15"], items.check_offering_matches(sent, got), ev)


def _spec_of(product: dict[str, Any]) -> str | None:
    spec = product.get("productSpecification")
    return str(spec["id"]) if isinstance(spec, dict) and spec.get("id") is not None else None


def _offering_of_specification(verdict: GuardedVerdict, dialect: Dialect, product: dict[str, Any],
                               got: Mapping[str, Any], facts: Any, ev: list[Any]) -> None:
    """R13 needs the seller's catalogue: "some offering id is present" proves nothing
    about the specification. A missing offering fails either way."""
    spec = _spec_of(product)
    known = list((getattr(facts, "specification_offerings", None) or {}).get(spec) or [])
    result = items.check_offering_under_specification(got, dialect, known)
    if known or status_of(result) == "fail":
        judge(verdict, ["R13"], result, ev)
        return
    verdict.not_tested("R13", f"{result[1]}; whether it is an offering of specification "
                       f"{spec!r} needs test_data.specification_offerings (not in the "
                       "profile)", evidence=ev)


def _best_offering(verdict: GuardedVerdict, dialect: Dialect, got: Mapping[str, Any], facts: Any,
                   ev: list[Any]) -> None:
    """R14: a contradiction among the seller's own proposals always fails; with an
    offering known GREEN at the test place (test_data.green_offering) anything below GREEN
    fails; otherwise only a GREEN answer (the highest level there is) can pass."""
    level = items.confidence(got, dialect)
    if level is None:  # a missing confidence is R43/R72's finding; nothing to rank here
        verdict.not_tested("R14", f"{got.get('id')!r}: the answer carries no confidence "
                           "level to compare", evidence=ev)
        return
    spec_offerings = [o for offs in (getattr(facts, "specification_offerings", None) or {}
                                     ).values() for o in offs]
    result = items.check_best_offering(got, dialect, spec_offerings)
    if status_of(result) == "fail":
        judge(verdict, ["R14"], result, ev)
        return
    green = getattr(facts, "green_offering", None)
    if level == "GREEN":
        verdict.check("R14", True, f"{got.get('id')!r}: answered GREEN, the highest level",
                      evidence=ev)
    elif green:
        verdict.check("R14", False, f"{got.get('id')!r}: answered {level} although offering "
                      f"{green!r} of the specification is known GREEN at this place "
                      "(test_data.green_offering)", evidence=ev)
    else:
        verdict.not_tested("R14", f"{got.get('id')!r}: answered {level}; whether a GREEN "
                           "offering existed needs test_data.green_offering (not in the "
                           "profile)", evidence=ev)
