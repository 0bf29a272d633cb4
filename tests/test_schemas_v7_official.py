"""Our v7 schemas say what the official MEF 87 OpenAPI says, except for listed differences.

Every schema component of the official management and notification documents is compared
with ours after folding allOf: property names, types (with format), required lists, enum
values and size constraints. Whatever differs must be listed in
schemas/deliberate-differences.yaml, and every v7 entry listed there must still be real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.validation import notification_document, openapi_document

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
OFFICIAL = SHARED / "mef-sdk" / "productApi" / "serviceability" / "offeringQualification"
DIFFERENCES = Path(__file__).resolve().parents[1] / "schemas" / "deliberate-differences.yaml"
CONSTRAINTS = ("minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "default")

Mismatch = tuple[str, str, str, str]  # (dialect, schema, property or "", check)


def _official(name: str) -> dict[str, Any]:
    path = OFFICIAL / name
    if not path.is_file():
        pytest.skip(f"official v7 OpenAPI not available at {path}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def listed_differences(dialect: str, checks: set[str] | None = None) -> set[Mismatch]:
    """The (dialect, schema, property, check) tuples the differences file excuses."""
    entries = yaml.safe_load(DIFFERENCES.read_text(encoding="utf-8"))["differences"]
    out: set[Mismatch] = set()
    for entry in entries:
        if entry["dialect"] != dialect or (checks and entry["check"] not in checks):
            continue
        schemas = entry["schema"] if isinstance(entry["schema"], list) else [entry["schema"]]
        for schema in schemas:
            out.add((dialect, schema, entry.get("property", ""), entry["check"]))
    return out


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def signature(prop: dict[str, Any]) -> str:
    """Type of a property as text: ref:X, array<...>, string:date-time, object, ..."""
    if "$ref" in prop:
        return "ref:" + _name(prop["$ref"])
    if prop.get("type") == "array":
        return "array<" + signature(prop.get("items", {})) + ">"
    if "oneOf" in prop:
        return "oneOf<" + ",".join(signature(p) for p in prop["oneOf"]) + ">"
    kind = str(prop.get("type", "any"))
    return f"{kind}:{prop['format']}" if "format" in prop else kind


def fold(schemas: dict[str, Any], name: str) -> dict[str, Any]:
    """Properties, required, enum and type of a component with its allOf parts merged."""
    out: dict[str, Any] = {"properties": {}, "required": set(), "enum": None, "type": None}

    def walk(schema: dict[str, Any]) -> None:
        if "$ref" in schema:
            walk(schemas[_name(schema["$ref"])])
        for part in schema.get("allOf", []):
            walk(part)
        for prop, spec in (schema.get("properties") or {}).items():
            merged = dict(out["properties"].get(prop, {}))
            merged.update(spec)
            if "$ref" in spec or "type" in spec:
                merged = dict(spec)  # a redefinition replaces the inherited one
            out["properties"][prop] = merged
        out["required"] |= set(schema.get("required", []))
        if "enum" in schema:
            out["enum"] = list(schema["enum"])
        if "type" in schema and out["type"] is None:
            out["type"] = schema["type"]

    walk(schemas[name])
    return out


def compare(dialect: str, ours: dict[str, Any], theirs: dict[str, Any]) -> set[Mismatch]:
    """Every way the components of ``ours`` differ from ``theirs``."""
    found: set[Mismatch] = set()
    for name in sorted(set(ours) - set(theirs)):
        found.add((dialect, name, "", "schema-extra"))
    for name in sorted(theirs):
        if name not in ours:
            found.add((dialect, name, "", "schema-missing"))
            continue
        a, b = fold(ours, name), fold(theirs, name)
        if sorted(map(str, a["enum"] or [])) != sorted(map(str, b["enum"] or [])):
            found.add((dialect, name, "", "enum"))
        if a["required"] != b["required"]:
            found.add((dialect, name, "", "required"))
        for prop in sorted(set(a["properties"]) | set(b["properties"])):
            pa, pb = a["properties"].get(prop), b["properties"].get(prop)
            if pb is None:
                found.add((dialect, name, prop, "property-extra"))
            elif pa is None:
                found.add((dialect, name, prop, "property-missing"))
            else:
                if signature(pa) != signature(pb):
                    found.add((dialect, name, prop, "type"))
                if sorted(map(str, pa.get("enum", []))) != sorted(map(str, pb.get("enum", []))):
                    found.add((dialect, name, prop, "enum"))
                if any(pa.get(c) != pb.get(c) for c in CONSTRAINTS):
                    found.add((dialect, name, prop, "constraint"))
    return found


SCHEMA_CHECKS = {
    "schema-extra",
    "schema-missing",
    "property-extra",
    "property-missing",
    "type",
    "required",
    "enum",
    "constraint",
}


def test_v7_components_match_the_official_openapi() -> None:
    official = _official("productOfferingQualificationManagement.api.yaml")
    official_nt = _official("productOfferingQualificationNotification.api.yaml")
    found = compare(
        "v7",
        openapi_document("v7")["components"]["schemas"],
        official["components"]["schemas"],
    )
    found |= {
        (d, s, p, c)
        for d, s, p, c in compare(
            "v7",
            notification_document("v7")["components"]["schemas"],
            official_nt["components"]["schemas"],
        )
    }
    listed = listed_differences("v7", SCHEMA_CHECKS)
    unexplained = sorted(found - listed)
    stale = sorted(listed - found)
    assert not unexplained, f"differences not listed in deliberate-differences.yaml: {unexplained}"
    assert not stale, f"listed differences that no longer exist: {stale}"


def test_v7_paths_and_parameters_match_the_official_openapi() -> None:
    official = _official("productOfferingQualificationManagement.api.yaml")
    ours = openapi_document("v7")

    def operations(doc: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
        ops = {}
        for path, item in doc["paths"].items():
            for method, op in item.items():
                names = set()
                for param in op.get("parameters", []):
                    if "$ref" in param:
                        param = doc["components"]["parameters"][_name(param["$ref"])]
                    names.add(param["name"])
                ops[(path.strip("'"), method)] = names
        return ops

    assert operations(ours) == operations(official)
    found: set[Mismatch] = set()
    for path, item in official["paths"].items():
        for method, op in item.items():
            mine = ours["paths"][path][method]["responses"]
            assert set(op["responses"]) <= set(mine), f"{method} {path} lost a status"
            for status in sorted(set(mine) - set(op["responses"])):
                found.add(("v7", f"{method.upper()} {path}", str(status), "response-extra"))
    official_nt = _official("productOfferingQualificationNotification.api.yaml")
    ours_nt = notification_document("v7")
    assert set(ours_nt["paths"]) == set(official_nt["paths"])
    for path, item in official_nt["paths"].items():
        theirs_body = item["post"]["requestBody"]["content"]
        mine_body = ours_nt["paths"][path]["post"]["requestBody"]["content"]
        assert set(theirs_body) == set(mine_body), "media types differ"
        if [signature(c["schema"]) for c in theirs_body.values()] != [
            signature(c["schema"]) for c in mine_body.values()
        ]:
            found.add(("v7", path, "", "request-schema"))
    listed = listed_differences("v7", {"response-extra", "request-schema"})
    assert found == listed, (sorted(found - listed), sorted(listed - found))


def test_the_comparison_notices_a_change() -> None:
    """Guard against a comparison that cannot fail."""
    ours = openapi_document("v7")["components"]["schemas"]
    theirs = _official("productOfferingQualificationManagement.api.yaml")["components"]["schemas"]
    ours["Duration"]["required"] = ["amount"]
    ours["TimeUnit"]["enum"] = ["calendarDays"]
    ours["ProductOfferingRef"]["properties"]["id"] = {"type": "integer"}
    found = compare("v7", ours, theirs)
    assert ("v7", "Duration", "", "required") in found
    assert ("v7", "TimeUnit", "", "enum") in found
    assert ("v7", "ProductOfferingRef", "id", "type") in found
