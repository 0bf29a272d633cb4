"""Relationships of POQ items: R23/R51 (a link to a product in the Seller's inventory goes
through product.productRelationship), R24/R52 (a link to another item of the same request
goes through qualificationItemRelationship), R25/R53 and R26/R54 (each relationship names
its target and its relationship type). The first ID of each pair is for INSTALL (add)
items, the second for CHANGE (modify) items."""

from __future__ import annotations

from typing import Any

from mock_seller.buyer.checks.findings import (
    ITEMS,
    Finding,
    as_dict,
    as_list,
    failed,
    is_text,
    passed,
)

#: action -> (product link, item link, product relationship attrs, item relationship attrs)
IDS = {"add": ("R23", "R24", "R25", "R26"), "modify": ("R51", "R52", "R53", "R54")}


def check(api: str, body: dict[str, Any], scenario: Any) -> list[Finding]:
    items = as_list(body.get(ITEMS))
    if not _any_relationship(items):
        return []  # no relationship to judge (the usual request)
    item_ids = {as_dict(i).get("id") for i in items if is_text(as_dict(i).get("id"))}
    inventory = getattr(scenario, "inventory", {})
    out: list[Finding] = []
    for i, item in enumerate(items):
        item = as_dict(item)
        action = item.get("action")
        ids = IDS.get(action) if isinstance(action, str) else None
        if ids is None:
            continue
        at = f"/{ITEMS}/{i}"
        product = as_dict(item.get("product"))
        for k, rel in enumerate(as_list(product.get("productRelationship"))):
            out += _product_link(rel, f"{at}/product/productRelationship/{k}", ids,
                                 item_ids, inventory)
        for k, rel in enumerate(as_list(item.get("qualificationItemRelationship"))):
            out += _item_link(rel, f"{at}/qualificationItemRelationship/{k}", ids,
                              item.get("id"), item_ids, inventory)
    return out


def _any_relationship(items: list[Any]) -> bool:
    for item in items:
        if isinstance(item, dict):
            if item.get("qualificationItemRelationship"):
                return True
            product = item.get("product")
            if isinstance(product, dict) and product.get("productRelationship"):
                return True
    return False


def _attributes(rel: Any, here: str, requirement: str, what: str) -> list[Finding]:
    if not isinstance(rel, dict):
        return [failed(requirement, here, f"a {what} must be an object with id and "
                       "relationshipType")]
    missing = [key for key in ("id", "relationshipType") if not is_text(rel.get(key))]
    if missing:
        return [failed(requirement, f"{here}/{key}", f"a {what} names its {key} (id and "
                       "relationshipType are required)", "missingProperty") for key in missing]
    return [passed(requirement, here, f"{what} with id and relationshipType")]


def _product_link(rel: Any, here: str, ids: tuple[str, ...], item_ids: set[Any],
                  inventory: dict[str, Any]) -> list[Finding]:
    product_req, item_req, attrs_req, _ = ids
    out = _attributes(rel, here, attrs_req, "product relationship")
    target = as_dict(rel).get("id")
    if not is_text(target):
        return out
    if target in inventory:
        out.append(passed(product_req, f"{here}/id", "a product of the inventory linked "
                          "through productRelationship"))
    elif target in item_ids:
        out.append(failed(item_req, f"{here}/id", f"{target!r} is an item of this request: "
                          "link it through qualificationItemRelationship"))
    else:
        out.append(failed(product_req, f"{here}/id", f"no product {target!r} in the seller's "
                          "inventory; productRelationship links existing products",
                          "referenceNotFound"))
    return out


def _item_link(rel: Any, here: str, ids: tuple[str, ...], own: Any, item_ids: set[Any],
               inventory: dict[str, Any]) -> list[Finding]:
    product_req, item_req, _, attrs_req = ids
    out = _attributes(rel, here, attrs_req, "item relationship")
    target = as_dict(rel).get("id")
    if not is_text(target):
        return out
    if target in item_ids and target != own:
        out.append(passed(item_req, f"{here}/id", "another item of this request linked "
                          "through qualificationItemRelationship"))
    elif target == own:
        out.append(failed(item_req, f"{here}/id", "an item relationship points at another "
                          "item, not at the item itself", "referenceNotFound"))
    elif target in inventory:
        out.append(failed(product_req, f"{here}/id", f"{target!r} is a product in the "
                          "seller's inventory: link it through product.productRelationship",
                          "referenceNotFound"))
    else:
        out.append(failed(item_req, f"{here}/id", f"no other item {target!r} in this request",
                          "referenceNotFound"))
    return out
