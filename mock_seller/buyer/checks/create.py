"""Create POQ request, request level and item identity: R9, R10, R11, R12, R17 (INSTALL
items), R48, R49, R50 (CHANGE items) and O1 (optional attributes, never a failure).

Pointers equal the ones the seller's own business rules use (mock_seller.api.validation), so a
lenient seller can tell which of its refusals a recorded buyer violation explains."""

from __future__ import annotations

from typing import Any

from mock_seller.buyer.checks.findings import ITEMS, Finding, as_dict, failed, is_text, passed
from mock_seller.core.timeutil import parse_datetime
from schemas.dialect import get_dialect

BUYER_ROLE = "buyerContactInformation"
_OPTIONAL = ("projectId", "externalId", "buyerId", "sellerId")


def check(api: str, body: Any, scenario: Any) -> list[Finding]:
    """Findings of the request-level rules and of every item's identity rules."""
    if not isinstance(body, dict):
        return [failed("R12", "", "the request body must be a JSON object with POQ items",
                       blocking=True)]
    out = _flags(api, body) + _contact(body) + _completion_date(api, body)
    out += _optional(body)
    items = body.get(ITEMS)
    if not isinstance(items, list) or not items:
        out.append(failed("R12", f"/{ITEMS}", "at least one POQ item is required",
                          "missingProperty", blocking=True))
        return out
    out.append(passed("R12", f"/{ITEMS}", f"{len(items)} POQ item(s)"))
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"/{ITEMS}/{i}"
        if not isinstance(item, dict):
            out.append(failed("R17", at, "a POQ item must be an object", blocking=True))
            continue
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id in seen:
            requirement = "R48" if item.get("action") == "modify" else "R17"
            out.append(failed(requirement, f"{at}/id", f"duplicate item id {item_id!r}: item "
                              "ids are unique within the POQ", blocking=True))
        if isinstance(item_id, str):
            seen.add(item_id)
        action = item.get("action")
        if action == "modify":
            out += _change_item(item, at, scenario)
        elif action == "add":
            out += _install_item(body, item, at)
        else:
            out.append(failed("R17", f"{at}/action", f"action {action!r} is neither add "
                              "(INSTALL) nor modify (CHANGE)", blocking=True))
    return out


def request_kinds(body: Any) -> set[str]:
    """Use cases a create request exercises: 2a (add by offering), 2b (add by
    specification), 2c (modify)."""
    kinds: set[str] = set()
    items = body.get(ITEMS) if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        item = as_dict(item)
        product = as_dict(item.get("product"))
        if item.get("action") == "modify":
            kinds.add("2c")
        elif item.get("action") == "add":
            if as_dict(product.get("productOffering")).get("id") is not None:
                kinds.add("2a")
            elif as_dict(product.get("productSpecification")).get("id") is not None:
                kinds.add("2b")
    return kinds


def _flags(api: str, body: dict[str, Any]) -> list[Finding]:
    out = []
    for key, what in (("instantSyncQualification", "Immediate Response Only"),
                      ("provideAlternative", "Provide Alternate")):
        value = body.get(key)
        if isinstance(value, bool):
            out.append(passed("R9", f"/{key}", f"{key} = {str(value).lower()}"))
        elif (key not in body and key == "provideAlternative"
              and not get_dialect(api).provide_alternative_required):
            out.append(passed("R9", f"/{key}", "provideAlternative omitted; v7 defaults it "
                              "to false (accepted, see the catalogue's R9 reading)"))
        elif key not in body:
            out.append(failed("R9", f"/{key}", f"{key} ({what}) is required",
                              "missingProperty"))
        else:
            out.append(failed("R9", f"/{key}", f"{key} must be true or false"))
    return out


def _contact(body: dict[str, Any]) -> list[Finding]:
    contacts = body.get("relatedContactInformation")
    roles = [c.get("role") for c in contacts if isinstance(c, dict)] \
        if isinstance(contacts, list) else []
    if BUYER_ROLE in roles:
        return [passed("R9", "/relatedContactInformation", "buyer contact given")]
    return [failed("R9", "/relatedContactInformation",
                   f"a contact with role {BUYER_ROLE} is required", "missingProperty")]


def _completion_date(api: str, body: dict[str, Any]) -> list[Finding]:
    # an omitted flag reads as false (v7's default; in v8 R9 fails as well)
    deferred_ok = body.get("instantSyncQualification") in (False, None)
    raw = body.get("requestedPOQCompletionDate")
    pointer = "/requestedPOQCompletionDate"
    if not deferred_ok:
        return []
    if raw is None:
        return [failed("R11", pointer, "requestedPOQCompletionDate is required when "
                       "instantSyncQualification is false", "missingProperty")]
    if not _is_datetime(raw):
        return [failed("R11", pointer, "requestedPOQCompletionDate must be an RFC 3339 "
                       "date-time")]
    return [passed("R11", pointer, f"deferred answer accepted, wanted by {raw}")]


def _is_datetime(raw: Any) -> bool:
    try:
        return isinstance(raw, str) and parse_datetime(raw) is not None
    except (ValueError, OverflowError):  # e.g. an offset of +25:00
        return False


def _optional(body: dict[str, Any]) -> list[Finding]:
    used = [key for key in _OPTIONAL if key in body]
    if body.get("instantSyncQualification") is True and "requestedPOQCompletionDate" in body:
        used.append("requestedPOQCompletionDate")
    if not used:
        return []
    return [passed("O1", "", "optional attributes used: " + ", ".join(used))]


def _install_item(body: dict[str, Any], item: dict[str, Any], at: str) -> list[Finding]:
    out = _item_id(item, at, "R17")
    product = item.get("product")
    if not isinstance(product, dict):
        return out + [failed("R17", f"{at}/product", "product is required",
                             "missingProperty", blocking=True)]
    offering = product.get("productOffering")
    spec = product.get("productSpecification")
    if offering is None and spec is None:
        out.append(failed("R17", f"{at}/product/productOffering", "an INSTALL item names a "
                          "productOffering (2a) or a productSpecification (2b)",
                          "missingProperty", blocking=True))
    elif offering is not None and spec is not None:
        out.append(failed("R17", f"{at}/product/productSpecification", "give exactly one of "
                          "productOffering or productSpecification"))
    else:
        key = "productOffering" if offering is not None else "productSpecification"
        if not is_text(as_dict(product[key]).get("id")):
            out.append(failed("R17", f"{at}/product/{key}/id", f"{key}.id is required",
                              "missingProperty", blocking=True))
        else:
            out.append(passed("R17", f"{at}/product/{key}/id", f"{key} named"))
        if key == "productSpecification":
            if body.get("provideAlternative") is True:
                out.append(passed("R10", "/provideAlternative",
                                  "provideAlternative is true for a qualification by "
                                  "specification"))
            else:
                out.append(failed("R10", "/provideAlternative", "provideAlternative must be "
                                  "true when an item names a productSpecification (2b)"))
    if "id" in product:
        out.append(failed("R17", f"{at}/product/id", "product.id must not be given when "
                          "action is add", "unexpectedProperty"))
    out += _configuration(product, at, "R17")
    return out


def _change_item(item: dict[str, Any], at: str, scenario: Any) -> list[Finding]:
    out = _item_id(item, at, "R48")
    product = item.get("product")
    if not isinstance(product, dict):
        return out + [failed("R48", f"{at}/product", "product is required",
                             "missingProperty", blocking=True)]
    inventory = getattr(scenario, "inventory", {})
    offerings = getattr(scenario, "offerings", {})
    product_id = product.get("id")
    offering_id = as_dict(product.get("productOffering")).get("id")
    known_product = isinstance(product_id, str) and product_id in inventory
    if not is_text(product_id):
        for requirement in ("R50", "R48"):
            out.append(failed(requirement, f"{at}/product/id", "product.id of the existing "
                              "product is required when action is modify", "missingProperty",
                              blocking=not is_text(offering_id)))
    else:
        out.append(passed("R50", f"{at}/product/id", f"product {product_id!r} named"))
        if known_product:
            out.append(passed("R48", f"{at}/product/id", f"product {product_id!r} is in "
                              "the seller's inventory"))
        else:
            out.append(failed("R48", f"{at}/product/id", f"no product {product_id!r} in the "
                              "seller's inventory", "referenceNotFound",
                              blocking=not is_text(offering_id)))
    if not is_text(offering_id):
        out.append(failed("R48", f"{at}/product/productOffering", "productOffering.id is "
                          "required when action is modify", "missingProperty",
                          blocking=not known_product))
    else:
        out.append(passed("R48", f"{at}/product/productOffering/id", "offering named"))
        if known_product and offering_id in offerings:
            current = offerings[inventory[product_id]].specification
            wanted = offerings[offering_id].specification
            if current == wanted:
                out.append(passed("R49", f"{at}/product/productOffering/id", f"offering "
                                  f"{offering_id} is of the product's specification {current}"))
            else:
                out.append(failed("R49", f"{at}/product/productOffering/id", f"offering "
                                  f"{offering_id} is of specification {wanted}, the product "
                                  f"{product_id} of {current}"))
    out += _configuration(product, at, "R48")
    return out


def _item_id(item: dict[str, Any], at: str, requirement: str) -> list[Finding]:
    if is_text(item.get("id")):
        return [passed(requirement, f"{at}/id", "item id and action given")]
    return [failed(requirement, f"{at}/id", "the POQ item id is required", "missingProperty",
                   blocking=True)]


def _configuration(product: dict[str, Any], at: str, requirement: str) -> list[Finding]:
    pointer = f"{at}/product/productConfiguration"
    conf = product.get("productConfiguration")
    if conf is None:
        return [failed(requirement, pointer, "productConfiguration (the product-specific "
                       "attributes) is required", "missingProperty")]
    if not isinstance(conf, dict) or not is_text(conf.get("@type")):
        return [failed(requirement, pointer, "productConfiguration must be an object whose "
                       "@type names the product schema")]
    return [passed(requirement, pointer, f"product-specific attributes of {conf['@type']}")]
