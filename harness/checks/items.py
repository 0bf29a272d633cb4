"""POQ item content in seller responses (R13-R16, R28, R40-R47, R70-R77, R83, R87-R90, D3-D7).

Functions take wire payloads plus the dialect, judge in MEF terms, and never assume the
seller's item order (items are matched by their buyer-assigned ``id``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.checks._result import Result, failed, joined, passed, untested
from schemas.dialect import Dialect

GOOD_CONFIDENCE = ("GREEN", "YELLOW")
_RANK = {"RED": 0, "YELLOW": 1, "GREEN": 2}

# Attributes a seller sets on an item once it has an answer (Table 15 / v8 item type).
RESPONSE_ATTRIBUTES = (
    "serviceabilityConfidence",
    "serviceabilityConfidenceReason",
    "installationInterval",
    "guaranteedUntilDate",
    "alternateProductOfferingProposal",
    "deliveryType",
    "3rdPartyProvider",
    "3rdPartyProviderProductOffering",
)
# What a REJECTED item may carry besides the buyer's own attributes (R90; v8 adds the
# stateChange log and terminationError reasons, v7 its own log and error list).
REJECTED_ALLOWED = frozenset(
    {"id", "state", "stateChange", "terminationError", "href", "@type", "@baseType",
     "@schemaLocation"}
)


def _absent(entry: Any, what: str = "item") -> Result | None:
    """not_tested when there is no entry to judge (the premise of every item check)."""
    if not isinstance(entry, Mapping) or not entry:
        return untested(f"no {what} observed")
    return None


def items_of(poq: Any) -> list[dict[str, Any]]:
    """The POQ's items (an empty list when absent or malformed)."""
    if not isinstance(poq, dict):
        return []
    items = poq.get("productOfferingQualificationItem")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def item_ids(items: Iterable[Mapping[str, Any]]) -> list[Any]:
    return [i.get("id") for i in items]


def check_item_correspondence(
    request_items: Sequence[Mapping[str, Any]], response_items: Sequence[Mapping[str, Any]]
) -> Result:
    """R28/R42/R70/R88: each response item matches precisely one request item and vice versa."""
    if not request_items:
        return untested("no request items to match the response against")
    sent = Counter(item_ids(request_items))
    got = Counter(item_ids(response_items))
    problems = []
    for item_id, count in got.items():
        if item_id not in sent:
            problems.append(f"response item {item_id!r} matches no request item")
        elif count > 1:
            problems.append(f"request item {item_id!r} answered {count} times")
    for item_id in sent:
        if item_id not in got:
            problems.append(f"request item {item_id!r} missing in the response")
    return joined(
        problems, f"{len(response_items)} response items correspond one-to-one to the request"
    )


def match_items(
    request_items: Sequence[Mapping[str, Any]], response_items: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Pairs (request item, response item) matched by id; unmatched items are left out."""
    by_id = {i.get("id"): i for i in response_items}
    return [(r, by_id[r.get("id")]) for r in request_items if r.get("id") in by_id]


def confidence(item: Mapping[str, Any], dialect: Dialect) -> str | None:
    return dialect.mef_confidence(item.get("serviceabilityConfidence"))


def check_confidence(item: Mapping[str, Any], dialect: Dialect) -> Result:
    """R43/R72/R83: an answered item carries a confidence level green, yellow or red."""
    if (absent := _absent(item)) is not None:
        return absent
    value = item.get("serviceabilityConfidence")
    if confidence(item, dialect) is None:
        return failed(f"item {item.get('id')!r}: serviceabilityConfidence is {value!r}")
    return passed(f"item {item.get('id')!r}: confidence {value}")


def check_confidence_reason(item: Mapping[str, Any]) -> Result:
    """R83: a READY item retrieved by id carries the confidence reason."""
    if (absent := _absent(item)) is not None:
        return absent
    reason = item.get("serviceabilityConfidenceReason")
    if not isinstance(reason, str) or not reason.strip():
        return failed(f"item {item.get('id')!r}: serviceabilityConfidenceReason is {reason!r}")
    return passed(f"item {item.get('id')!r}: confidence reason given")


def _interval_problem(interval: Any, dialect: Dialect) -> str | None:
    if not isinstance(interval, dict):
        return f"installationInterval is {interval!r}"
    amount, units = interval.get("amount"), interval.get("units")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        return f"installationInterval.amount is {amount!r}"
    if dialect.mef_time_unit(units) is None:
        return f"installationInterval.units {units!r} is not a {dialect.api} time unit"
    return None


def check_installation_interval(item: Mapping[str, Any], dialect: Dialect) -> Result:
    """R44/R73 (and R46/R76 for alternates): green or yellow needs an installation interval."""
    if (absent := _absent(item)) is not None:
        return absent
    level = confidence(item, dialect)
    if level not in GOOD_CONFIDENCE:
        return untested(f"{item.get('id')!r}: confidence {level}, no interval due")
    problem = _interval_problem(item.get("installationInterval"), dialect)
    if problem:
        return failed(f"{item.get('id')!r} is {level} but {problem}")
    return passed(f"{item.get('id')!r} is {level} with an installation interval")


def check_delivery_type(item: Mapping[str, Any], dialect: Dialect) -> Result:
    """R44/R74 (and R46/R76 for alternates): green or yellow needs a delivery type (v8)."""
    if (absent := _absent(item)) is not None:
        return absent
    level = confidence(item, dialect)
    if level not in GOOD_CONFIDENCE:
        return untested(f"{item.get('id')!r}: confidence {level}, no delivery type due")
    value = item.get("deliveryType")
    if dialect.mef_delivery_type(value) is None:
        return failed(f"{item.get('id')!r} is {level} but deliveryType is {value!r}")
    return passed(f"{item.get('id')!r} is {level} with deliveryType {value}")


def check_product_offering(item: Mapping[str, Any], dialect: Dialect) -> Result:
    """v8 R53 reading of R44/R13: a green or yellow item names its product offering."""
    if (absent := _absent(item)) is not None:
        return absent
    level = confidence(item, dialect)
    if level not in GOOD_CONFIDENCE:
        return untested(f"{item.get('id')!r}: confidence {level}, no offering due")
    offering = _offering_id(item.get("product"))
    if not offering:
        return failed(f"{item.get('id')!r} is {level} but product.productOffering.id is absent")
    return passed(f"{item.get('id')!r} names product offering {offering}")


def _offering_id(product: Any) -> Any:
    if isinstance(product, dict) and isinstance(product.get("productOffering"), dict):
        return product["productOffering"].get("id")
    return None


def _spec_id(product: Any) -> Any:
    if isinstance(product, dict) and isinstance(product.get("productSpecification"), dict):
        return product["productSpecification"].get("id")
    return None


def check_guaranteed_until(item: Mapping[str, Any], what: str = "item") -> Result:
    """D3-D7: the seller should give a guaranteed-until date."""
    if (absent := _absent(item)) is not None:
        return absent
    value = item.get("guaranteedUntilDate")
    if not isinstance(value, str) or not value:
        return failed(f"{what} {item.get('id')!r} has no guaranteedUntilDate")
    return passed(f"{what} {item.get('id')!r} guaranteed until {value}")


def alternates(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    value = item.get("alternateProductOfferingProposal")
    return [a for a in value if isinstance(a, dict)] if isinstance(value, list) else []


def check_alternates_allowed(
    item: Mapping[str, Any], provide_alternative: bool, dialect: Dialect
) -> Result:
    """O7/O12: in 2a and 2c, alternates only when asked for and confidence is yellow or red.

    An empty list is no proposal (v8 CR2 asks for it when none is found)."""
    if (absent := _absent(item)) is not None:
        return absent
    found = alternates(item)
    if not found:
        return untested(f"{item.get('id')!r}: no alternate proposals (the permission was "
                        "not used)")
    if not provide_alternative:
        return failed(
            f"{item.get('id')!r}: {len(found)} alternates although provideAlternative is false"
        )
    level = confidence(item, dialect)
    if level not in ("YELLOW", "RED"):
        return failed(f"{item.get('id')!r}: alternates offered on a {level} item")
    return passed(f"{item.get('id')!r}: {len(found)} alternates, asked for, item {level}")


def check_alternate_ids_unique(item: Mapping[str, Any]) -> Result:
    """R47/R77: every alternate proposal has an id, unique within the item."""
    if (absent := _absent(item)) is not None:
        return absent
    ids = [a.get("id") for a in alternates(item)]
    if not ids:
        return untested(f"{item.get('id')!r}: no alternate proposals")
    missing = sum(1 for i in ids if not isinstance(i, str) or not i)
    dupes = sorted({str(i) for i, n in Counter(ids).items() if n > 1 and i})
    problems = [f"{missing} alternates without id"] if missing else []
    if dupes:
        problems.append(f"duplicate alternate ids {dupes}")
    return joined(
        [f"{item.get('id')!r}: {p}" for p in problems],
        f"{item.get('id')!r}: {len(ids)} alternate ids present and unique",
    )


def check_alternate_confidence(alternate: Mapping[str, Any], dialect: Dialect) -> Result:
    """R45/R75: an alternate carries a confidence, green or yellow (Table 17)."""
    if (absent := _absent(alternate, "alternate proposal")) is not None:
        return absent
    level = confidence(alternate, dialect)
    if level not in GOOD_CONFIDENCE:
        return failed(f"alternate {alternate.get('id')!r}: confidence "
                      f"{alternate.get('serviceabilityConfidence')!r} (must be green or yellow)")
    return passed(f"alternate {alternate.get('id')!r}: confidence {level}")


def check_alternate_interval(alternate: Mapping[str, Any], dialect: Dialect) -> Result:
    """R46/R76: an alternate carries its installation interval."""
    if (absent := _absent(alternate, "alternate proposal")) is not None:
        return absent
    problem = _interval_problem(alternate.get("installationInterval"), dialect)
    if problem:
        return failed(f"alternate {alternate.get('id')!r}: {problem}")
    return passed(f"alternate {alternate.get('id')!r} has an installation interval")


def check_alternate_delivery_type(alternate: Mapping[str, Any], dialect: Dialect) -> Result:
    """R46/R76 (v8): an alternate carries its delivery type."""
    if (absent := _absent(alternate, "alternate proposal")) is not None:
        return absent
    value = alternate.get("deliveryType")
    if dialect.mef_delivery_type(value) is None:
        return failed(f"alternate {alternate.get('id')!r}: deliveryType is {value!r}")
    return passed(f"alternate {alternate.get('id')!r}: deliveryType {value}")


def check_alternates_offered(item: Mapping[str, Any]) -> Result:
    """O2: a use case 2b answer lists additional offerings as alternates (pass when seen)."""
    if (absent := _absent(item)) is not None:
        return absent
    found = alternates(item)
    if not found:
        return untested(f"{item.get('id')!r}: no additional offerings proposed")
    return passed(f"{item.get('id')!r} lists {len(found)} additional offerings as alternates")


def _alternate_product(alt: Mapping[str, Any]) -> Any:
    return alt.get("alternateProduct")


def check_alternate_same_specification(
    request_item: Mapping[str, Any], item: Mapping[str, Any]
) -> Result:
    """O9/O14: an alternate proposal from the specification of the buyer's request (pass
    only when an alternate is seen to name that specification)."""
    if (absent := _absent(item)) is not None:
        return absent
    wanted = _spec_id(request_item.get("product")) or _spec_id(item.get("product"))
    found = alternates(item)
    if not found:
        return untested(f"{item.get('id')!r}: no alternate proposals")
    if wanted is None:
        return untested(f"{item.get('id')!r}: the request's product specification is not "
                        "shown, so an alternate's cannot be compared")
    same = [a.get("id") for a in found if _spec_id(_alternate_product(a)) == wanted]
    if not same:
        return untested(f"{item.get('id')!r}: no alternate names specification {wanted!r}")
    return passed(f"{item.get('id')!r}: alternates {same} are of the requested "
                  f"specification {wanted}")


def check_alternate_differs(request_item: Mapping[str, Any], item: Mapping[str, Any]) -> Result:
    """O3: an alternate proposal of another product offering or specification than the
    buyer asked for (pass only when one is seen)."""
    if (absent := _absent(item)) is not None:
        return absent
    found = alternates(item)
    if not found:
        return untested(f"{item.get('id')!r}: no alternate proposals")
    product = request_item.get("product")
    asked_offering, asked_spec = _offering_id(product), _spec_id(product)
    other = [a.get("id") for a in found  # compared only with what the buyer asked for
             if (asked_offering is not None
                 and _offering_id(_alternate_product(a)) not in (None, asked_offering))
             or (asked_spec is not None
                 and _spec_id(_alternate_product(a)) not in (None, asked_spec))]
    if not other:
        return untested(f"{item.get('id')!r}: no alternate is seen to name another offering "
                        "or specification")
    return passed(f"{item.get('id')!r}: alternates {other} name another offering or "
                  "specification than requested")


def check_offering_matches(request_item: Mapping[str, Any], item: Mapping[str, Any]) -> Result:
    """R15: a 2a answer is about the product offering the buyer asked for."""
    if (absent := _absent(item)) is not None:
        return absent
    asked, got = _offering_id(request_item.get("product")), _offering_id(item.get("product"))
    if asked is None:
        return untested("request item has no product offering (not a use case 2a item)")
    if got != asked:
        return failed(f"item {item.get('id')!r}: asked offering {asked!r}, answered {got!r}")
    return passed(f"item {item.get('id')!r} answers offering {asked}")


def check_specification_matches(
    request_item: Mapping[str, Any], item: Mapping[str, Any]
) -> Result:
    """R16: a 2b answer keeps the product specification the buyer asked for."""
    if (absent := _absent(item)) is not None:
        return absent
    asked, got = _spec_id(request_item.get("product")), _spec_id(item.get("product"))
    if asked is None:
        return untested("request item has no product specification (not a use case 2b item)")
    if got != asked:
        return failed(f"item {item.get('id')!r}: asked specification {asked!r}, got {got!r}")
    return passed(f"item {item.get('id')!r} answers specification {asked}")


def check_offering_under_specification(
    item: Mapping[str, Any], dialect: Dialect, known_offerings: Sequence[str] = ()
) -> Result:
    """R13: a 2b answer includes one product offering of the specification.

    The v8 guide lets a red answer omit the offering (no offering fits); ``known_offerings``
    (from the profile) are the offerings the seller publishes under the specification."""
    if (absent := _absent(item)) is not None:
        return absent
    offering = _offering_id(item.get("product"))
    level = confidence(item, dialect)
    if offering is None:
        if level == "RED" and dialect.red_may_omit_offering:
            return passed(f"{item.get('id')!r}: red, no offering fits the specification")
        return failed(f"{item.get('id')!r}: no product.productOffering in the 2b answer")
    if known_offerings and offering not in known_offerings:
        return failed(f"{item.get('id')!r}: offering {offering!r} is not one of the "
                      f"specification's offerings {list(known_offerings)}")
    return passed(f"{item.get('id')!r}: answered with offering {offering}")


def check_best_offering(
    item: Mapping[str, Any], dialect: Dialect, same_spec_offerings: Sequence[str] = ()
) -> Result:
    """R14: the 2b answer's offering has the best confidence among the proposals that are

    known to be of the same specification (listed in the profile or naming the same
    ``productSpecification``); alternates of another specification are not compared (O3)."""
    if (absent := _absent(item)) is not None:
        return absent
    main = _RANK.get(confidence(item, dialect) or "", -1)
    spec = _spec_id(item.get("product"))
    better, compared = [], 0
    for alt in alternates(item):
        product = alt.get("alternateProduct")
        same = _spec_id(product) == spec if _spec_id(product) is not None else (
            _offering_id(product) in same_spec_offerings
        )
        compared += bool(same)
        if same and _RANK.get(confidence(alt, dialect) or "", -1) > main:
            better.append(f"{alt.get('id')!r} ({alt.get('serviceabilityConfidence')})")
    if better:
        return failed(f"{item.get('id')!r}: answered {item.get('serviceabilityConfidence')} "
                      f"while alternates {better} of the same specification rank higher")
    if main < _RANK["GREEN"] and not compared:
        return untested(f"{item.get('id')!r}: answered {item.get('serviceabilityConfidence')} "
                        "and no other offering of the specification was seen to compare")
    return passed(f"{item.get('id')!r}: {item.get('serviceabilityConfidence')} is the best "
                  "confidence among offerings of the specification")


def check_rejected_item_minimal(
    request_item: Mapping[str, Any] | None, item: Mapping[str, Any]
) -> Result:
    """R90: a REJECTED item carries only its id and state (besides the buyer's echo)."""
    if (absent := _absent(item)) is not None:
        return absent
    buyer_keys = set(request_item or {})
    extra = sorted(k for k in item if k not in REJECTED_ALLOWED and k not in buyer_keys
                   and k in RESPONSE_ATTRIBUTES)
    if extra:
        return failed(f"REJECTED item {item.get('id')!r} carries {extra}")
    return passed(f"REJECTED item {item.get('id')!r} carries only id and state")


def check_item_state_is(item: Mapping[str, Any], dialect: Dialect, expected: str) -> Result:
    """R40/R68/R71 (READY), R31/R58 (ACKNOWLEDGED): the item's state is ``expected``."""
    if (absent := _absent(item)) is not None:
        return absent
    wire = item.get("state")
    mef = dialect.mef_item_state(wire)
    if mef != expected:
        return failed(f"item {item.get('id')!r}: state {wire!r} ({mef}), expected {expected}")
    return passed(f"item {item.get('id')!r}: {expected}")


__all__ = [
    "GOOD_CONFIDENCE",
    "alternates",
    "check_alternate_confidence",
    "check_alternate_differs",
    "check_alternate_delivery_type",
    "check_alternate_ids_unique",
    "check_alternate_interval",
    "check_alternate_same_specification",
    "check_alternates_allowed",
    "check_alternates_offered",
    "check_best_offering",
    "check_confidence",
    "check_confidence_reason",
    "check_delivery_type",
    "check_guaranteed_until",
    "check_installation_interval",
    "check_item_correspondence",
    "check_item_state_is",
    "check_offering_matches",
    "check_offering_under_specification",
    "check_product_offering",
    "check_rejected_item_minimal",
    "check_specification_matches",
    "confidence",
    "item_ids",
    "items_of",
    "match_items",
]
