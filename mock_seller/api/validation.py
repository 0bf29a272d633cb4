"""Request checks of the create operation: structure (400) and business rules (422).

Structure is checked against our own schemas of the dialect through
``schemas.validation.validate`` -- the only place that call is made. What the engine itself
needs of a body, after lenient waivers, is ``mock_seller.api.processable``'s.
"""

from __future__ import annotations

from typing import Any

from mock_seller.core.scenario import Scenario
from schemas.dialect import get_dialect
from schemas.validation import validate

ITEMS = "productOfferingQualificationItem"
Violation = tuple[str, str]  # (JSON Pointer, message)


def structural_violations(api: str, type_name: str, instance: Any,
                          max_depth: int | None = None) -> list[Violation]:
    """Every structural violation of ``instance`` against our schema ``type_name`` of ``api``
    (``max_depth``: what ``instance`` is known to nest under, see ``validate``)."""
    return [(v.pointer, v.message) for v in validate(api, type_name, instance, max_depth)]


def _e422(code: str, pointer: str, reason: str) -> dict[str, str]:
    return {"code": code, "reason": reason[:255], "propertyPath": pointer}


def business_errors(
    api: str, body: dict[str, Any], scenario: Scenario, immediate: bool
) -> list[dict[str, str]]:
    """Business-rule violations as Error422 entries (all of them, each with its pointer)."""
    errors: list[dict[str, str]] = []
    contacts = body.get("relatedContactInformation") or []
    roles = [c.get("role") for c in contacts if isinstance(c, dict)]
    if "buyerContactInformation" not in roles:
        errors.append(
            _e422(
                "missingProperty",
                "/relatedContactInformation",
                "A contact with role=buyerContactInformation is required",
            )
        )
    instant = bool(body.get("instantSyncQualification", False))
    if not instant and "requestedPOQCompletionDate" not in body:
        errors.append(
            _e422(
                "missingProperty",
                "/requestedPOQCompletionDate",
                "requestedPOQCompletionDate is required when instantSyncQualification is false",
            )
        )
    if instant and scenario.response_mode == "deferred":
        errors.append(
            _e422(
                "invalidValue",
                "/instantSyncQualification",
                "This seller cannot provide an immediate response",
            )
        )
    items = body.get(ITEMS) or []
    ids = [item.get("id") for item in items]
    seen: set[str] = set()
    for i, item_id in enumerate(ids):
        if item_id in seen:
            errors.append(
                _e422(
                    "invalidValue",
                    f"/{ITEMS}/{i}/id",
                    f"Duplicate item id {item_id!r}: item ids must be unique",
                )
            )
        seen.add(item_id)
    for i, item in enumerate(items):
        errors.extend(_item_errors(api, body, item, f"/{ITEMS}/{i}", set(ids), scenario))
    return errors


def _item_errors(
    api: str,
    body: dict[str, Any],
    item: dict[str, Any],
    at: str,
    item_ids: set[Any],
    scenario: Scenario,
) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    dialect = get_dialect(api)
    product = item["product"]
    action = item["action"]
    offering_id = (product.get("productOffering") or {}).get("id")
    spec_id = (product.get("productSpecification") or {}).get("id")
    if action == "delete":
        return [
            _e422(
                "invalidValue",
                f"{at}/action",
                "The delete action is outside MEF 79.1 and not supported by this seller",
            )
        ]
    if "productConfiguration" not in product:
        errors.append(
            _e422(
                "missingProperty",
                f"{at}/product/productConfiguration",
                "productConfiguration is required for add and modify",
            )
        )
    offering = None
    if offering_id is not None:
        offering = scenario.offerings.get(offering_id)
        if offering is None:
            errors.append(
                _e422(
                    "referenceNotFound",
                    f"{at}/product/productOffering/id",
                    f"Unknown product offering {offering_id!r}",
                )
            )
    if spec_id is not None and spec_id not in scenario.specifications:
        errors.append(
            _e422(
                "referenceNotFound",
                f"{at}/product/productSpecification/id",
                f"Unknown product specification {spec_id!r}",
            )
        )
    if action == "add":
        if "id" in product:
            errors.append(
                _e422(
                    "unexpectedProperty",
                    f"{at}/product/id",
                    "product.id must not be given when action is add",
                )
            )
        if offering_id is None and spec_id is None:
            errors.append(
                _e422(
                    "missingProperty",
                    f"{at}/product/productOffering",
                    "Give a productOffering (2a) or a productSpecification (2b)",
                )
            )
        elif offering_id is not None and spec_id is not None:
            errors.append(
                _e422(
                    "invalidValue",
                    f"{at}/product/productSpecification",
                    "Give exactly one of productOffering or productSpecification",
                )
            )
        elif (spec_id is not None and dialect.specification_needs_alternatives
              and body.get("provideAlternative") is not True):
            errors.append(
                _e422(
                    "invalidValue",
                    "/provideAlternative",
                    "provideAlternative must be true when qualifying by productSpecification",
                )
            )
    else:  # modify
        product_id = product.get("id")
        if product_id is None:
            errors.append(
                _e422(
                    "missingProperty",
                    f"{at}/product/id",
                    "product.id is required when action is modify",
                )
            )
        elif product_id not in scenario.inventory:
            errors.append(
                _e422(
                    "referenceNotFound",
                    f"{at}/product/id",
                    f"No product {product_id!r} in the seller's inventory",
                )
            )
        if offering_id is None and dialect.modify_names_offering:
            errors.append(
                _e422(
                    "missingProperty",
                    f"{at}/product/productOffering",
                    "productOffering is required when action is modify",
                )
            )
        if offering is not None and product_id in scenario.inventory:
            current = scenario.offerings[scenario.inventory[product_id]]
            if current.specification != offering.specification:
                errors.append(
                    _e422(
                        "invalidValue",
                        f"{at}/product/productOffering/id",
                        "The offering must be of the product's specification",
                    )
                )
    if offering is not None:
        spec = scenario.specifications[offering.specification]
        conf_type = (product.get("productConfiguration") or {}).get("@type")
        known = spec.configuration_types
        if known and conf_type is not None and conf_type not in known:
            errors.append(
                _e422(
                    "invalidValue",
                    f"{at}/product/productConfiguration/@type",
                    f"@type {conf_type!r} does not fit offering {offering.id}",
                )
            )
        has_place = bool(product.get("place"))
        if offering.place == "required" and not has_place:
            errors.append(
                _e422(
                    "missingProperty",
                    f"{at}/product/place",
                    f"Offering {offering.id} needs an installation place",
                )
            )
        elif offering.place == "forbidden" and has_place:
            errors.append(
                _e422(
                    "unexpectedProperty",
                    f"{at}/product/place",
                    f"Offering {offering.id} does not take a place",
                )
            )
    for j, rel in enumerate(item.get("qualificationItemRelationship") or []):
        if isinstance(rel, dict) and (rel.get("id") not in item_ids or rel.get("id") == item["id"]):
            errors.append(
                _e422(
                    "referenceNotFound",
                    f"{at}/qualificationItemRelationship/{j}/id",
                    f"No other item {rel.get('id')!r} in this request",
                )
            )
    return errors
