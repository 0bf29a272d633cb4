"""What the engine needs of a create request, checked after every waiver.

Lenient buyer mode waives the seller's refusals that a recorded buyer failure explains, so a
body may reach the engine with members the schema refused. The engine, the item rules and
the serializers read a few members with a fixed JSON type; when a waiver let a wrong type
through they would fail half-way, after the record was stored. This check is never waived:
a wrong type is a 400 naming its JSON Pointer, an item the catalogue cannot answer a 422,
and nothing is stored. In the other modes the schema has already refused all of it.
"""

from __future__ import annotations

from typing import Any

from mock_seller.api.validation import ITEMS, Violation
from mock_seller.core.scenario import Scenario
from schemas.dialect import get_dialect

_REPRESENTATIONS = ("fieldedAddressRepresentation", "formattedAddressRepresentation",
                    "labelRepresentation", "geographicPointRepresentation")


def shape_violations(api: str, body: Any) -> list[Violation]:
    """Members whose JSON type the engine cannot process (pointer, message)."""
    if not isinstance(body, dict):
        return [("", "the body must be a JSON object")]
    out: list[Violation] = []
    _optional(out, body, "/relatedContactInformation", "relatedContactInformation", list)
    for key in ("instantSyncQualification", "provideAlternative"):
        _optional(out, body, f"/{key}", key, bool)
    items = body.get(ITEMS)
    if not isinstance(items, list) or not items:
        return out + [(f"/{ITEMS}", "a non-empty array of items is required")]
    actions = tuple(get_dialect(api).actions.values())
    for i, item in enumerate(items):
        at = f"/{ITEMS}/{i}"
        if not isinstance(item, dict):
            out.append((at, "an item must be an object"))
            continue
        if not isinstance(item.get("id"), str):
            out.append((f"{at}/id", "the item id must be a string"))
        if item.get("action") not in actions:
            out.append((f"{at}/action", f"action must be one of {', '.join(actions)}"))
        _relationships(out, item, at)
        product = item.get("product")
        if not isinstance(product, dict):
            out.append((f"{at}/product", "product must be an object"))
            continue
        _product(out, product, f"{at}/product")
    return out


def _optional(out: list[Violation], node: dict[str, Any], pointer: str, key: str,
              kind: type) -> None:
    if node.get(key) is not None and not isinstance(node[key], kind):
        out.append((pointer, f"{key} must be {_NAMES[kind]}"))


_NAMES = {list: "an array", dict: "an object", str: "a string", bool: "true or false"}


def _relationships(out: list[Violation], item: dict[str, Any], at: str) -> None:
    _optional(out, item, f"{at}/qualificationItemRelationship",
              "qualificationItemRelationship", list)
    for j, rel in enumerate(item.get("qualificationItemRelationship") or []):
        if isinstance(rel, dict):
            _optional(out, rel, f"{at}/qualificationItemRelationship/{j}/id", "id", str)


def _product(out: list[Violation], product: dict[str, Any], at: str) -> None:
    _optional(out, product, f"{at}/id", "id", str)
    for ref in ("productOffering", "productSpecification"):
        _optional(out, product, f"{at}/{ref}", ref, dict)
        if isinstance(product.get(ref), dict):
            _optional(out, product[ref], f"{at}/{ref}/id", "id", str)
    _optional(out, product, f"{at}/productConfiguration", "productConfiguration", dict)
    if isinstance(product.get("productConfiguration"), dict):
        _optional(out, product["productConfiguration"], f"{at}/productConfiguration/@type",
                  "@type", str)
    _optional(out, product, f"{at}/place", "place", list)
    for j, entry in enumerate(product.get("place") or []):
        if not isinstance(entry, dict):
            continue
        inner = entry.get("place")
        place, where = (inner, f"{at}/place/{j}/place") if isinstance(inner, dict) \
            else (entry, f"{at}/place/{j}")
        for key in _REPRESENTATIONS:
            _optional(out, place, f"{where}/{key}", key, list)


def unanswerable_items(body: dict[str, Any], scenario: Scenario) -> list[dict[str, str]]:
    """Error422 entries for items whose offering or specification the catalogue cannot
    resolve (a well-typed body; called after ``shape_violations`` found nothing)."""
    out = []
    for i, item in enumerate(body[ITEMS]):
        product = item["product"]
        at = f"/{ITEMS}/{i}/product"
        offering = (product.get("productOffering") or {}).get("id")
        spec = (product.get("productSpecification") or {}).get("id")
        if item["action"] == "modify":
            offering = offering or scenario.inventory.get(product.get("id") or "")
            if offering not in scenario.offerings:
                out.append(_missing(f"{at}/productOffering", "no offering for this change: "
                                    "name a known productOffering or product id"))
        elif offering:
            if offering not in scenario.offerings:
                out.append(_missing(f"{at}/productOffering/id",
                                    f"unknown product offering {offering!r}"))
        elif not scenario.offerings_of(str(spec)):
            out.append(_missing(f"{at}/productSpecification", "no offering of this "
                                "specification (name a productOffering or a known "
                                "productSpecification)"))
    return out


def _missing(pointer: str, reason: str) -> dict[str, str]:
    return {"code": "referenceNotFound", "reason": reason[:255], "propertyPath": pointer}


__all__ = ["shape_violations", "unanswerable_items"]
