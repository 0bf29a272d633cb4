"""Our v8 schemas say what the section 7 tables of the Mplify 87.1 guide say.

The guide's HTML tables are parsed: "Type X" headings with Name / Type / M/O rows (M means
required; error tables mark required names with "*"), "Inherits from" lists, and `enum`
headings whose values sit in a Value table, a Markdown table or a bullet list. Every type,
attribute, M/O flag and enum value is compared with our documents after folding allOf.
Differences must be listed in schemas/deliberate-differences.yaml, and listed v8 entries
must still be real.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_schemas_v7_official import fold, listed_differences, signature

from schemas.validation import notification_document, openapi_document

GUIDE = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "mef-sdk"
    / "documentation"
    / "Mplify87.1-POQ-API-v8-Developer-Guide.md"
)
CHECKS = {"schema-extra", "schema-missing", "property-extra", "property-missing", "type",
          "required", "enum", "constraint"}  # fmt: skip


@dataclass
class GuideType:
    """One type or enum of section 7, as the guide writes it."""

    name: str
    kind: str  # "type" or "enum"
    parents: list[str] = field(default_factory=list)
    rows: dict[str, tuple[str, bool, dict[str, int]]] = field(default_factory=dict)
    values: list[str] = field(default_factory=list)


def _cell_text(cell: str) -> str:
    cell = cell.replace("-</br>", "").replace("</br>", "")
    return html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip()


def _type_text(cell: str) -> tuple[str, dict[str, int]]:
    """'RelatedContact-</br>Information[]<br/><span>minItems = 1</span>' -> ('X[]', {...})."""
    cell = cell.replace("-</br>", "").replace("</br>", "")
    constraints = {k: int(v) for k, v in re.findall(r"(\w+) = (\d+)", cell)}
    main = re.sub(r"<span.*?</span>", "", cell, flags=re.S)
    main = html.unescape(re.sub(r"<[^>]+>", "", main)).strip()
    return main.split()[0], constraints


def parse_section7(text: str) -> dict[str, GuideType]:
    start = text.index("\n# 7. API Details")
    end = text.index("\n# 8. References")
    section = text[start:end]
    parts = re.split(r"\n#{3,5} [\d.]+\.? (Type|`enum`) (\S+)[^\n]*\n", section)
    types: dict[str, GuideType] = {}
    for i in range(1, len(parts), 3):
        kind, name, body = parts[i], parts[i + 1], parts[i + 2]
        body = re.split(r"\n#{2,5} ", body)[0]
        gt = GuideType(name=name, kind="enum" if kind == "`enum`" else "type")
        inherit = re.search(r"Inherits from:\s*\n\s*\n((?:- .*\n)+)", body)
        if inherit:
            gt.parents = re.findall(r'href="#T_(\w+)"', inherit.group(1))
        table = re.search(r"<table.*?</table>", body, re.S)
        if gt.kind == "type" and table:
            header, *rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)
            columns = [_cell_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", header, re.S)]
            for row in rows:
                cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                name_cell = _cell_text(cells[0])
                type_text, constraints = _type_text(cells[1])
                if "M/O" in columns:
                    required = _cell_text(cells[columns.index("M/O")]) == "M"
                else:
                    required = name_cell.endswith("*")
                gt.rows[name_cell.rstrip("*")] = (type_text, required, constraints)
        elif gt.kind == "enum":
            if table:
                rows = re.findall(r"<tr>\s*<td>(.*?)</td>", table.group(0), re.S)
                gt.values = [_cell_text(r) for r in rows[1:]]
            elif re.search(r"^\| ", body, re.M):
                lines = re.findall(r"^\| ([^|\s]+)\s*\|", body, re.M)
                gt.values = [v for v in lines[1:] if not set(v) <= {"-"}]
            else:
                gt.values = re.findall(r"^- (\w+):", body, re.M)
        if name in types and types[name].kind == "enum":
            assert types[name].values == gt.values, f"guide repeats {name} with other values"
        types[name] = gt
    return types


def guide_types() -> dict[str, GuideType]:
    if not GUIDE.is_file():
        pytest.skip(f"v8 guide not available at {GUIDE}")
    return parse_section7(GUIDE.read_text(encoding="utf-8"))


_SIMPLE = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "object": "object",
    "date-time": "string:date-time",
    "uri": "string:uri",
}


def guide_signature(type_text: str, types: dict[str, GuideType]) -> str:
    if type_text.endswith("[]"):
        return "array<" + guide_signature(type_text[:-2], types) + ">"
    if type_text in _SIMPLE:
        return _SIMPLE[type_text]
    return "ref:" + type_text


def guide_fold(types: dict[str, GuideType], name: str) -> dict[str, Any]:
    rows: dict[str, tuple[str, bool, dict[str, int]]] = {}
    for parent in types[name].parents:
        rows.update(guide_fold(types, parent)["rows"])
    rows.update(types[name].rows)
    return {"rows": rows}


def compare_with_guide(
    ours: dict[str, Any], types: dict[str, GuideType]
) -> set[tuple[str, str, str, str]]:
    found: set[tuple[str, str, str, str]] = set()
    for name in sorted(set(ours) - set(types)):
        found.add(("v8", name, "", "schema-extra"))
    for name, gt in sorted(types.items()):
        if name not in ours:
            found.add(("v8", name, "", "schema-missing"))
            continue
        mine = fold(ours, name)
        if gt.kind == "enum":
            if sorted(gt.values) != sorted(mine["enum"] or []):
                found.add(("v8", name, "", "enum"))
            continue
        rows = guide_fold(types, name)["rows"]
        required = {n for n, (_, req, _) in rows.items() if req}
        if required != mine["required"]:
            found.add(("v8", name, "", "required"))
        for prop in sorted(set(rows) | set(mine["properties"])):
            spec = mine["properties"].get(prop)
            if prop not in rows:
                found.add(("v8", name, prop, "property-extra"))
            elif spec is None:
                found.add(("v8", name, prop, "property-missing"))
            else:
                type_text, _, constraints = rows[prop]
                if guide_signature(type_text, types) != signature(spec):
                    found.add(("v8", name, prop, "type"))
                if "enum" in spec:
                    found.add(("v8", name, prop, "enum"))
                mine_constraints = {
                    k: spec[k]
                    for k in ("minItems", "maxLength", "minLength", "minimum")
                    if k in spec
                }
                if mine_constraints != constraints:
                    found.add(("v8", name, prop, "constraint"))
    return found


def our_v8_schemas() -> dict[str, Any]:
    schemas = dict(notification_document("v8")["components"]["schemas"])
    schemas.update(openapi_document("v8")["components"]["schemas"])
    return schemas


def test_parser_reads_the_guide_tables() -> None:
    types = guide_types()
    poq = types["ProductOfferingQualification"]
    assert poq.parents == ["ProductOfferingQualification_Common"]
    assert poq.rows["creationDate"][:2] == ("date-time", True)
    common = types["ProductOfferingQualification_Common"]
    assert common.rows["instantSyncQualification"][1] is True
    assert common.rows["relatedContactInformation"][2] == {"minItems": 1}
    assert types["Error"].rows["reason"] == ("string", True, {"maxLength": 255})
    assert types["Error"].rows["message"][1] is False
    assert types["Error400Code"].values == [
        "missingQueryParameter", "missingQueryValue", "invalidQuery", "invalidBody"
    ]  # fmt: skip
    assert types["DeliveryType"].values == [
        "offNetWithBuild", "offNetWithoutBuild", "onNetWithBuild", "onNetWithoutBuild"
    ]  # fmt: skip
    assert "done.abandoned" in types["MEFPOQItemTaskStateType"].values
    assert types["TimeUnit"].values[0] == "seconds"
    assert len([t for t in types.values() if t.kind == "type"]) >= 45


def test_v8_schemas_match_the_guide_tables() -> None:
    found = compare_with_guide(our_v8_schemas(), guide_types())
    listed = listed_differences("v8", CHECKS)
    unexplained = sorted(found - listed)
    stale = sorted(listed - found)
    assert not unexplained, f"differences not listed in deliberate-differences.yaml: {unexplained}"
    assert not stale, f"listed differences that no longer exist: {stale}"


def test_the_guide_comparison_notices_a_change() -> None:
    ours = our_v8_schemas()
    ours["Duration"]["required"] = ["amount"]
    ours["DeliveryType"]["enum"] = ["onNetWithBuild"]
    ours["SubUnit"]["properties"]["subUnitType"] = {"type": "integer"}
    found = compare_with_guide(ours, guide_types())
    assert ("v8", "Duration", "", "required") in found
    assert ("v8", "DeliveryType", "", "enum") in found
    assert ("v8", "SubUnit", "subUnitType", "type") in found
