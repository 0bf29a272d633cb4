"""Create POQ request, request level and item identity: R9, R10, R11, R12, R17 (INSTALL
items), R48, R49, R50 (CHANGE items) and O1 (optional attributes, never a failure).

Pointers equal the ones the seller's own business rules use (mock_seller.api.validation), so a
lenient seller can tell which of its refusals a recorded buyer violation explains."""

from __future__ import annotations

from typing import Any

from mock_seller.buyer.checks.findings import (
    ITEMS,
    Finding,
    ItemPointers,
    as_dict,
    failed,
    is_text,
    passed,
)
from mock_seller.core.timeutil import parse_datetime
from schemas.dialect import get_dialect

BUYER_ROLE = "buyerContactInformation"
_OPTIONAL = ("projectId", "externalId", "buyerId", "sellerId")


def request(api: str, body: dict[str, Any]) -> list[Finding]:
    """Findings of the request-level rules (R9, R11, O1)."""
    out = _flags(api, body)
    out.append(_contact(body))
    out += _completion_date(body)
    optional = _optional(body)
    if optional is not None:
        out.append(optional)
    return out


NOT_AN_OBJECT = failed("R12", "", "the request body must be a JSON object with POQ items",
                       blocking=True)
NO_ITEMS = failed("R12", f"/{ITEMS}", "at least one POQ item is required", "missingProperty",
                  blocking=True)


def item_count(count: int) -> Finding:
    return (_ITEM_COUNTS[count] if count < len(_ITEM_COUNTS)
            else passed("R12", f"/{ITEMS}", f"{count} POQ item(s)"))


def not_an_item(at: ItemPointers) -> Finding:
    return failed("R17", at.at, "a POQ item must be an object", blocking=True)


def item(body: dict[str, Any], item: dict[str, Any], at: ItemPointers, scenario: Any,
         seen: set[str], kinds: set[str]) -> list[Finding]:
    """The identity rules of one item (``run_create`` walks the items). ``seen``: the ids of
    the items before it; ``kinds`` gains the use case the item exercises: 2a (add by
    offering), 2b (add by specification), 2c (modify)."""
    item_id = item.get("id")
    action = item.get("action")
    if action == "modify":
        kinds.add("2c")
        out = _change_item(item, at, scenario)
    elif action == "add":
        out = _install_item(body, item, at, kinds)
    else:
        out = [failed("R17", at.action, f"action {action!r} is neither add (INSTALL) nor "
                      "modify (CHANGE)", blocking=True)]
    if isinstance(item_id, str):
        if item_id in seen:
            out.insert(0, failed("R48" if action == "modify" else "R17", at.id,
                                 f"duplicate item id {item_id!r}: item ids are unique "
                                 "within the POQ", blocking=True))
        seen.add(item_id)
    return out


_FLAGS = (("instantSyncQualification", "Immediate Response Only"),
          ("provideAlternative", "Provide Alternate"))
#: the passing R9 finding of each flag and value: a create names both flags
_FLAG_PASSES = {(key, value): passed("R9", f"/{key}", f"{key} = {str(value).lower()}")
                for key, _ in _FLAGS for value in (True, False)}
_ITEM_COUNTS = [passed("R12", f"/{ITEMS}", f"{n} POQ item(s)") for n in range(33)]
_BUYER_CONTACT = passed("R9", "/relatedContactInformation", "buyer contact given")
_NO_BUYER_CONTACT = failed("R9", "/relatedContactInformation",
                           f"a contact with role {BUYER_ROLE} is required", "missingProperty")
_V7_NO_ALTERNATIVE = passed("R9", "/provideAlternative", "provideAlternative omitted; v7 "
                            "defaults it to false (accepted, see the catalogue's R9 reading)")
_OPTIONAL_USED: dict[tuple[str, ...], Finding] = {}  # at most 2**5 combinations


def _flags(api: str, body: dict[str, Any]) -> list[Finding]:
    out = []
    for key, what in _FLAGS:
        value = body.get(key)
        if value is True or value is False:
            out.append(_FLAG_PASSES[key, value])
        elif (key not in body and key == "provideAlternative"
              and not get_dialect(api).provide_alternative_required):
            out.append(_V7_NO_ALTERNATIVE)
        elif key not in body:
            out.append(failed("R9", f"/{key}", f"{key} ({what}) is required",
                              "missingProperty"))
        else:
            out.append(failed("R9", f"/{key}", f"{key} must be true or false"))
    return out


def _contact(body: dict[str, Any]) -> Finding:
    contacts = body.get("relatedContactInformation")
    if isinstance(contacts, list):
        for contact in contacts:
            if isinstance(contact, dict) and contact.get("role") == BUYER_ROLE:
                return _BUYER_CONTACT
    return _NO_BUYER_CONTACT


def _completion_date(body: dict[str, Any]) -> list[Finding]:
    # an omitted flag reads as false (v7's default; in v8 R9 fails as well)
    deferred_ok = body.get("instantSyncQualification") in (False, None)
    if not deferred_ok:
        return []
    raw = body.get("requestedPOQCompletionDate")
    pointer = "/requestedPOQCompletionDate"
    if raw is None:
        return [failed("R11", pointer, "requestedPOQCompletionDate is required when "
                       "instantSyncQualification is false", "missingProperty")]
    if not _is_datetime(raw):
        return [failed("R11", pointer, "requestedPOQCompletionDate must be an RFC 3339 "
                       "date-time")]
    return [_R11_PASS]


#: passes say what was judged, never the value judged (the request shows it): a buyer's
#: requests that differ only in their values then share their findings, which the record
#: counts together (buyer/recorder.py)
_R11_PASS = passed("R11", "/requestedPOQCompletionDate", "requestedPOQCompletionDate is an "
                   "RFC 3339 date-time: a deferred answer may be given")


def _is_datetime(raw: Any) -> bool:
    try:
        return isinstance(raw, str) and parse_datetime(raw) is not None
    except (ValueError, OverflowError):  # e.g. an offset of +25:00
        return False


def _optional(body: dict[str, Any]) -> Finding | None:
    used = tuple(filter(body.__contains__, _OPTIONAL))
    if body.get("instantSyncQualification") is True and "requestedPOQCompletionDate" in body:
        used += ("requestedPOQCompletionDate",)
    if not used:
        return None
    finding = _OPTIONAL_USED.get(used)
    if finding is None:
        finding = _OPTIONAL_USED[used] = passed("O1", "", "optional attributes used: "
                                                + ", ".join(used))
    return finding


def _install_item(body: dict[str, Any], item: dict[str, Any], at: ItemPointers,
                  kinds: set[str]) -> list[Finding]:
    out = [_item_id(item, at, "R17")]
    product = item.get("product")
    if not isinstance(product, dict):
        out.append(failed("R17", at.product, "product is required", "missingProperty",
                          blocking=True))
        return out
    offering = product.get("productOffering")
    spec = product.get("productSpecification")
    if isinstance(offering, dict) and offering.get("id") is not None:
        kinds.add("2a")  # a qualification by offering (use case 2a), else by specification
    elif isinstance(spec, dict) and spec.get("id") is not None:
        kinds.add("2b")
    if offering is None and spec is None:
        out.append(failed("R17", f"{at.product}/productOffering", "an INSTALL item names a "
                          "productOffering (2a) or a productSpecification (2b)",
                          "missingProperty", blocking=True))
    elif offering is not None and spec is not None:
        out.append(failed("R17", f"{at.product}/productSpecification", "give exactly one of "
                          "productOffering or productSpecification"))
    else:
        key = "productOffering" if offering is not None else "productSpecification"
        named = offering if offering is not None else spec
        named_id = named.get("id") if isinstance(named, dict) else None
        if not (isinstance(named_id, str) and named_id.strip()):  # is_text, without its call
            out.append(failed("R17", f"{at.product}/{key}/id", f"{key}.id is required",
                              "missingProperty", blocking=True))
        else:
            out.append(_named(at, key))
        if key == "productSpecification":
            if body.get("provideAlternative") is True:
                out.append(_R10_PASS)
            else:
                out.append(_R10_FAIL)
    if "id" in product:
        out.append(failed("R17", at.product_id, "product.id must not be given when "
                          "action is add", "unexpectedProperty"))
    out.append(_configuration(product, at, "R17"))
    return out


_R10_PASS = passed("R10", "/provideAlternative", "provideAlternative is true for a "
                   "qualification by specification")
_R10_FAIL = failed("R10", "/provideAlternative", "provideAlternative must be true when an "
                   "item names a productSpecification (2b)")


def _named(at: ItemPointers, key: str) -> Finding:
    """R17's pass for an INSTALL item naming its offering or its specification."""
    finding = at.passes.get(key)
    if finding is None:
        finding = at.passes[key] = passed("R17", f"{at.product}/{key}/id", f"{key} named")
    return finding


def _change_item(item: dict[str, Any], at: ItemPointers, scenario: Any) -> list[Finding]:
    out = [_item_id(item, at, "R48")]
    product = item.get("product")
    if not isinstance(product, dict):
        out.append(failed("R48", at.product, "product is required", "missingProperty",
                          blocking=True))
        return out
    inventory = getattr(scenario, "inventory", {})
    offerings = getattr(scenario, "offerings", {})
    product_id = product.get("id")
    offering_id = as_dict(product.get("productOffering")).get("id")
    known_product = isinstance(product_id, str) and product_id in inventory
    offering_at = f"{at.product}/productOffering"
    if not is_text(product_id):
        for requirement in ("R50", "R48"):
            out.append(failed(requirement, at.product_id, "product.id of the existing "
                              "product is required when action is modify", "missingProperty",
                              blocking=not is_text(offering_id)))
    else:
        out.append(passed("R50", at.product_id, "product.id of the existing product named"))
        if known_product:
            out.append(passed("R48", at.product_id, "the product is in the seller's "
                              "inventory"))
        else:
            out.append(failed("R48", at.product_id, f"no product {product_id!r} in the "
                              "seller's inventory", "referenceNotFound",
                              blocking=not is_text(offering_id)))
    if not is_text(offering_id):
        out.append(failed("R48", offering_at, "productOffering.id is required when action "
                          "is modify", "missingProperty", blocking=not known_product))
    else:
        out.append(passed("R48", f"{offering_at}/id", "offering named"))
        if known_product and offering_id in offerings:
            current = offerings[inventory[product_id]].specification
            wanted = offerings[offering_id].specification
            if current == wanted:
                out.append(passed("R49", f"{offering_at}/id", f"offering "
                                  f"{offering_id} is of the product's specification {current}"))
            else:
                out.append(failed("R49", f"{offering_at}/id", f"offering "
                                  f"{offering_id} is of specification {wanted}, the product "
                                  f"{product_id} of {current}"))
    out.append(_configuration(product, at, "R48"))
    return out


def _item_id(item: dict[str, Any], at: ItemPointers, requirement: str) -> Finding:
    item_id = item.get("id")
    if isinstance(item_id, str) and item_id.strip():  # is_text, without its call
        finding = at.passes.get(requirement)
        if finding is None:
            finding = at.passes[requirement] = passed(requirement, at.id,
                                                      "item id and action given")
        return finding
    return failed(requirement, at.id, "the POQ item id is required", "missingProperty",
                  blocking=True)


def _configuration(product: dict[str, Any], at: ItemPointers, requirement: str) -> Finding:
    conf = product.get("productConfiguration")
    if conf is None:
        return failed(requirement, at.configuration, "productConfiguration (the "
                      "product-specific attributes) is required", "missingProperty")
    kind = conf.get("@type") if isinstance(conf, dict) else None
    if not (isinstance(kind, str) and kind.strip()):  # is_text, without its call
        return failed(requirement, at.configuration, "productConfiguration must be an object "
                      "whose @type names the product schema")
    key = (requirement, kind)
    finding = at.passes.get(key)
    if finding is None:
        finding = passed(requirement, at.configuration, f"product-specific attributes of {kind}")
        if len(at.passes) < 64:  # a buyer may name many product types
            at.passes[key] = finding
    return finding
