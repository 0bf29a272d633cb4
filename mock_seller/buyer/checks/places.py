"""Item places of INSTALL items: R18 (a place where the specification mandates one), R19
(role, type, place and contact of each place), R20 (no place where the specification rules
places out), R21 (the place value has the form its @type announces) and O4 (sub-units,
permitted).

Which offerings and specifications mandate or forbid a place comes from the scenario:
``catalogue.offerings[].place`` and ``catalogue.specifications[].place`` (required,
forbidden, optional). v8 nests the place under ``place[].place`` with ``contact[]``; v7
keeps it flat and carries the place contact as item ``relatedContactInformation``."""

from __future__ import annotations

from typing import Any

from mock_seller.buyer.checks.findings import (
    Finding,
    ItemPointers,
    as_dict,
    as_list,
    failed,
    is_text,
    passed,
)
from schemas.dialect import get_dialect
from schemas.validation import validate

_V8_REPRESENTATIONS = ("fieldedAddressRepresentation", "formattedAddressRepresentation",
                       "geographicPointRepresentation", "labelRepresentation")


def place_policy(scenario: Any, product: dict[str, Any]) -> str:
    """required | forbidden | optional for this product, from the scenario's catalogue."""
    offerings = getattr(scenario, "offerings", {})
    specs = getattr(scenario, "specifications", {})
    named = product.get("productOffering")
    offering = offerings.get(_key(named.get("id") if isinstance(named, dict) else None))
    if offering is not None:
        if offering.place != "optional":
            return str(offering.place)
        spec = specs.get(offering.specification)
        return str(getattr(spec, "place", "optional"))
    spec_id = as_dict(product.get("productSpecification")).get("id")
    spec = specs.get(_key(spec_id))
    if spec is None:
        return "optional"
    own = str(getattr(spec, "place", "optional"))
    if own != "optional":
        return own
    kinds = {o.place for o in offerings.values() if o.specification == spec_id}
    return kinds.pop() if len(kinds) == 1 else "optional"


def _key(value: Any) -> str:
    """A catalogue key: ids of any other JSON type match nothing (and are not hashable)."""
    return value if isinstance(value, str) else ""


def item(api: str, item: dict[str, Any], product: dict[str, Any], at: ItemPointers,
         scenario: Any) -> list[Finding]:
    """The places of one INSTALL item (``run_create`` walks the items)."""
    out: list[Finding] = []
    policy = place_policy(scenario, product)
    places = product.get("place")
    given = isinstance(places, list) and len(places) > 0 or (
        places is not None and not isinstance(places, list))
    pointer = at.place
    if policy == "required":
        if not given:
            out.append(failed("R18", pointer, "this product's specification mandates a place; "
                              "describe it in product.place", "missingProperty"))
        else:
            out.append(passed("R18", pointer, "place given where the specification "
                              "mandates one"))
            out += _required_parts(api, item, as_list(places), pointer, at.at)
    elif policy == "forbidden":
        if given:
            out.append(failed("R20", pointer, "this product's specification rules places out; "
                              "send no product.place", "unexpectedProperty"))
        else:
            finding = at.passes.get("R20")
            if finding is None:
                finding = at.passes["R20"] = passed("R20", pointer, "no place where the "
                                                    "specification rules places out")
            out.append(finding)
    if isinstance(places, list):
        for j, entry in enumerate(places):
            out += _form(api, entry, f"{pointer}/{j}")
            if _has_sub_units(api, entry):
                out.append(passed("O4", f"{pointer}/{j}", "sub-units used to pin down the "
                                  "place"))
    return out


def _required_parts(api: str, item: dict[str, Any], places: list[Any], pointer: str,
                    at: str) -> list[Finding]:
    out: list[Finding] = []
    nested = get_dialect(api).item_place_shape == "nested"
    for j, entry in enumerate(places):
        here = f"{pointer}/{j}"
        if not isinstance(entry, dict):
            out.append(failed("R19", here, "a place relationship must be an object"))
            continue
        missing = []
        if not is_text(entry.get("role")):
            missing.append(("role", "missingProperty"))
        inner = entry.get("place") if nested else entry
        if nested and not isinstance(inner, dict):
            missing.append(("place", "missingProperty"))
        elif not is_text(as_dict(inner).get("@type")):
            missing.append(("place/@type" if nested else "@type", "missingProperty"))
        elif not nested and not set(entry) - {"role", "@type", "@schemaLocation"}:
            missing.append(("", "missingProperty"))  # a type but no place fields
        if nested and not [c for c in as_list(entry.get("contact")) if c]:
            missing.append(("contact", "missingProperty"))
        for name, code in missing:
            where = f"{here}/{name}" if name else here
            out.append(failed("R19", where, f"a mandated place gives its {name or 'place'} "
                              "(role, place type, place and on-site contact)", code))
        if not missing:
            out.append(passed("R19", here, "role, place type, place and contact given"))
    if not nested:  # the on-site contact is the item's
        contacts = [c for c in as_list(item.get("relatedContactInformation")) if c]
        if contacts:
            out.append(passed("R19", f"{at}/relatedContactInformation",
                              "place contact given as item relatedContactInformation"))
        else:
            out.append(failed("R19", f"{at}/relatedContactInformation", "a mandated place "
                              "needs an on-site contact (v7: item relatedContactInformation)",
                              "missingProperty"))
    return out


def _form(api: str, entry: Any, here: str) -> list[Finding]:
    """R21: validate the place against the schema of the type it names."""
    if not isinstance(entry, dict):
        return [failed("R21", here, "a place relationship must be an object")]
    dialect = get_dialect(api)
    if dialect.item_place_shape == "nested":
        place, at = entry.get("place"), f"{here}/place"
    else:
        place, at = entry, here
    type_name = dialect.place_schema
    kind = as_dict(place).get("@type")
    if not is_text(kind):
        return []  # no type to match against; R19 names the missing type when it applies
    problems = [f"{v.pointer or '/'}: {v.message}" for v in validate(api, type_name, place)]
    if dialect.address_query_needs_representation and kind == "GeographicAddress_Query" \
            and not any(
            as_list(as_dict(place).get(key)) for key in _V8_REPRESENTATIONS):
        problems.append("a GeographicAddress_Query carries at least one representation")
    if problems:
        return [failed("R21", at, f"place does not have the form its @type {kind!r} "
                       f"announces: {problems[0]}")]
    return [passed("R21", at, f"place written as its @type {kind} announces")]


def _has_sub_units(api: str, entry: Any) -> bool:
    found: Any = entry
    for key in get_dialect(api).sub_unit_path:
        found = as_dict(found).get(key)
    return bool(as_list(found))
