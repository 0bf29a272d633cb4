"""Decide each item's answer from the scenario: first matching rule over the offering's result.

Rules match on request content only (offering, specification, action, place id or address
fields, a productConfiguration value), so a buyer can steer outcomes; docs/scenarios.md lists
the keys. Works on both dialects' place shapes (v8 ``place.place`` / v7 flat ``place``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from mock_seller.core.scenario import Alternate, Interval, Offering, Result, Scenario

CONFIDENCE_RANK = {"GREEN": 0, "YELLOW": 1, "RED": 2}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class PlaceFacts:
    """What the rules can see of an item's places."""

    ids: frozenset[str]
    cities: frozenset[str]
    postcodes: frozenset[str]
    countries: frozenset[str]
    text: str


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """The decided answer for one item: the offering answered for and the merged result."""

    use_case: str  # 2a | 2b | 2c
    offering: str | None  # offering the answer is about (2b: the chosen one; None if none)
    result: Result
    add_offering: bool  # 2b: the seller adds product.productOffering to the response


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """RFC 6901 lookup; returns a sentinel (not an exception) when the path is absent."""
    if pointer == "":
        return doc
    cur = doc
    for token in _tokens(pointer):
        if isinstance(cur, dict):
            if token not in cur:
                return _MISSING
            cur = cur[token]
        elif isinstance(cur, list):
            if not token.isdigit() or int(token) >= len(cur):
                return _MISSING
            cur = cur[int(token)]
        else:
            return _MISSING
    return cur


@functools.lru_cache(maxsize=256)
def _tokens(pointer: str) -> tuple[str, ...]:
    """A pointer's reference tokens, unescaped (the scenario's rules use a handful)."""
    return tuple(raw.replace("~1", "/").replace("~0", "~")
                 for raw in pointer.lstrip("/").split("/"))


_NO_PLACE = PlaceFacts(frozenset(), frozenset(), frozenset(), frozenset(), "")


def place_facts(scenario: Scenario, product: dict[str, Any]) -> PlaceFacts:
    if not product.get("place"):
        return _NO_PLACE  # the usual item: nothing to gather
    ids: set[str] = set()
    cities: set[str] = set()
    postcodes: set[str] = set()
    countries: set[str] = set()
    text: list[str] = []
    for entry in product.get("place") or []:
        if not isinstance(entry, dict):
            continue
        inner = entry.get("place")
        place: dict[str, Any] = inner if isinstance(inner, dict) else entry
        reps: list[dict[str, Any]] = [place]
        for key in ("fieldedAddressRepresentation", "formattedAddressRepresentation",
                    "labelRepresentation", "geographicPointRepresentation"):
            reps.extend(r for r in place.get(key) or [] if isinstance(r, dict))
        for rep in reps:
            if isinstance(rep.get("id"), str):
                ids.add(rep["id"])
                known = scenario.places.get(rep["id"])
                if known:
                    if known.city:
                        cities.add(known.city.lower())
                    if known.postcode:
                        postcodes.add(known.postcode.lower())
                    if known.country:
                        countries.add(known.country.lower())
                    if known.text:
                        text.append(known.text.lower())
            for key, bucket in (("city", cities), ("postcode", postcodes),
                                ("countryCode", countries), ("country", countries)):
                if isinstance(rep.get(key), str):
                    bucket.add(rep[key].lower())
            for key in ("formattedAddress", "addrLine1", "addrLine2", "label",
                        "externalReferenceId", "streetName", "buildingName"):
                if isinstance(rep.get(key), str):
                    text.append(rep[key].lower())
    return PlaceFacts(frozenset(ids), frozenset(cities), frozenset(postcodes),
                      frozenset(countries), " | ".join(text))


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(when: dict[str, Any], *, offering: Offering, action: str, use_case: str,
             places: PlaceFacts, configuration: Any) -> bool:
    if "offering" in when and offering.id not in _as_list(when["offering"]):
        return False
    if "specification" in when and offering.specification not in _as_list(when["specification"]):
        return False
    if "action" in when and when["action"] != action:
        return False
    if "use_case" in when and when["use_case"] != use_case:
        return False
    if "place_id" in when and not places.ids.intersection(_as_list(when["place_id"])):
        return False
    for key, facts in (("city", places.cities), ("postcode", places.postcodes),
                       ("country", places.countries)):
        if key in when and not facts.intersection(v.lower() for v in _as_list(when[key])):
            return False
    if "address_contains" in when and when["address_contains"].lower() not in places.text:
        return False
    if "configuration" in when:
        checks = when["configuration"]
        for check in [checks] if isinstance(checks, dict) else checks:
            value = resolve_pointer(configuration, check["pointer"])
            if "exists" in check and (value is not _MISSING) != check["exists"]:
                return False
            if "equals" in check and (value is _MISSING or value != check["equals"]):
                return False
    return True


def _evaluate(scenario: Scenario, offering: Offering, *, action: str, use_case: str,
              places: PlaceFacts, configuration: Any) -> Result:
    for rule in scenario.rules:
        if _matches(rule.when, offering=offering, action=action, use_case=use_case,
                    places=places, configuration=configuration):
            return rule.then.over(offering.result)
    return offering.result


def plan_item(scenario: Scenario, item: dict[str, Any], product_offering_of_inventory: str | None
              ) -> ItemPlan:
    """Answer one (already validated) item. ``item`` is the buyer's item as sent."""
    product = item.get("product") or {}
    action = "CHANGE" if item.get("action") == "modify" else "INSTALL"
    places = place_facts(scenario, product)
    configuration = product.get("productConfiguration")
    offering_id = (product.get("productOffering") or {}).get("id")
    if action == "CHANGE":
        use_case = "2c"
        offering = scenario.offerings[offering_id or product_offering_of_inventory or ""]
        result = _evaluate(scenario, offering, action=action, use_case=use_case,
                           places=places, configuration=configuration)
        return ItemPlan(use_case, offering.id, result, add_offering=False)
    if offering_id:
        offering = scenario.offerings[offering_id]
        result = _evaluate(scenario, offering, action=action, use_case="2a",
                           places=places, configuration=configuration)
        return ItemPlan("2a", offering.id, result, add_offering=False)
    # 2b: evaluate every offering under the specification, answer with the best one and
    # propose the other green/yellow ones as alternates.
    spec_id = (product.get("productSpecification") or {}).get("id")
    candidates = [
        (o, _evaluate(scenario, o, action=action, use_case="2b", places=places,
                      configuration=configuration))
        for o in scenario.offerings_of(str(spec_id))
    ]
    ready = [(o, r) for o, r in candidates if r.outcome == "READY"]
    failing = [(o, r) for o, r in candidates if r.outcome != "READY"]
    if not ready:
        offering, result = failing[0]
        return ItemPlan("2b", offering.id, result, add_offering=False)
    ready.sort(key=lambda pair: CONFIDENCE_RANK[pair[1].confidence or "RED"])
    best_offering, best = ready[0]
    if best.confidence == "RED":
        return ItemPlan("2b", None, Result(alternates=()).over(best), add_offering=False)
    alternates = tuple(
        _alternate_from(o, r) for o, r in ready[1:] if r.confidence in ("GREEN", "YELLOW")
    )
    return ItemPlan("2b", best_offering.id, Result(alternates=alternates).over(best),
                    add_offering=True)


def _alternate_from(offering: Offering, result: Result) -> Alternate:
    return Alternate(
        offering=offering.id,
        confidence=result.confidence or "YELLOW",
        reason=result.reason,
        installation_interval=result.installation_interval or Interval(10, "BUSINESS_DAYS"),
        delivery_type=result.delivery_type or "ON_NET_WITHOUT_BUILD",
        third_party_provider=result.third_party_provider,
        third_party_offering=result.third_party_offering,
    )
