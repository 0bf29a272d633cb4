"""The JSON examples of both developer guides pass our schemas, except listed deviations.

Every ```json block of the v8 (Mplify 87.1) and v7 (MEF 87) guides is read from ../shared,
classified by its content (create request, POQ, item, place, list rows, subscription,
event) and validated against the matching schema of the guide's dialect. The v7 guide
elides parts with ``<< ... >>`` and ``...``; such blocks are parsed after removing the
elisions, and everything they then miss must be listed like any other deviation.

An example that disagrees with the definition is listed in
schemas/deliberate-differences.yaml (check ``example``, with every violating pointer);
the test fails on an unlisted violation and on a listed one that no longer occurs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.validation import validate

DOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "mef-sdk" / "documentation"
GUIDES = {
    "v8": DOCS / "Mplify87.1-POQ-API-v8-Developer-Guide.md",
    "v7": DOCS / "MEF87-POQ-API-Developer-Guide.md",
}
DIFFERENCES = Path(__file__).resolve().parents[1] / "schemas" / "deliberate-differences.yaml"
_BLOCK = re.compile(r"^#{1,6} ([\d.]+?)\.? [^\n]*$|^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
EVENT_TYPES = {
    "poqStateChangeEvent": "PoqStateChangeEvent",
    "poqItemStateChangeEvent": "PoqItemStateChangeEvent",
    "poqCreateEvent": "PoqCreateEvent",
}


def json_blocks(text: str) -> list[tuple[str, str, str]]:
    """(example id "<section>#<n>", block text, "json" or "elided") for each json block."""
    out = []
    section, count = "0", 0
    for match in _BLOCK.finditer(text):
        if match.group(1):
            section, count = match.group(1), 0
            continue
        if match.group(2) != "json":
            continue
        count += 1
        out.append((f"{section}#{count}", match.group(3), ""))
    return out


def parse(block: str) -> tuple[Any, bool]:
    """Decode a block; (value, elided) where elided means placeholders were removed."""
    try:
        return json.loads(block), False
    except json.JSONDecodeError:
        text = re.sub(r"<<.*?>>", "", block)
        text = re.sub(r"^\s*\.\.\.\s*$", "", text, flags=re.M)
        text = re.sub(r",(\s*[}\]])", r"\1", text)
        return json.loads(text), True


def classify(value: Any) -> str:
    """Schema name for an example (a trailing [] means a list of that schema)."""
    if isinstance(value, list):
        return "ProductOfferingQualification_Find[]"
    if "eventType" in value:
        return EVENT_TYPES[value["eventType"]]
    if "callback" in value:
        return "EventSubscription" if "id" in value else "EventSubscriptionInput"
    if "productOfferingQualificationItem" in value or "provideAlternative" in value:
        seller_side = "state" in value or "id" in value  # only the Seller assigns these
        return (
            "ProductOfferingQualification"
            if seller_side
            else ("ProductOfferingQualification_Create")
        )
    if "action" in value:
        seller_side = "state" in value or "serviceabilityConfidence" in value
        return (
            "ProductOfferingQualificationItem"
            if seller_side
            else ("ProductOfferingQualificationItem_Create")
        )
    if "@type" in value:
        return "RelatedPlaceRefOrValueByType"
    raise AssertionError(f"cannot classify example with keys {sorted(value)}")


def violations(api: str, value: Any) -> tuple[str, set[str]]:
    name = classify(value)
    if name.endswith("[]"):
        found = {
            f"/{i}{v.pointer}" for i, row in enumerate(value) for v in validate(api, name[:-2], row)
        }
        return name, found
    return name, {v.pointer for v in validate(api, name, value)}


def listed_examples(api: str) -> dict[str, set[str]]:
    entries = yaml.safe_load(DIFFERENCES.read_text(encoding="utf-8"))["differences"]
    out: dict[str, set[str]] = {}
    for entry in entries:
        if entry["dialect"] == api and entry["check"] == "example":
            out.setdefault(entry["example"], set()).update(entry["pointers"])
    return out


def guide_examples(api: str) -> list[tuple[str, str, str]]:
    path = GUIDES[api]
    if not path.is_file():
        pytest.skip(f"{api} guide not available at {path}")
    return json_blocks(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_guide_examples_pass_or_are_listed(api: str) -> None:
    listed = listed_examples(api)
    seen: dict[str, set[str]] = {}
    for example_id, block, _ in guide_examples(api):
        value, _elided = parse(block)
        _, found = violations(api, value)
        if found:
            seen[example_id] = found
    problems = [
        f"{eid}: unlisted {sorted(seen.get(eid, set()) - listed.get(eid, set()))}, "
        f"no longer seen {sorted(listed.get(eid, set()) - seen.get(eid, set()))}"
        for eid in sorted(set(seen) | set(listed))
        if seen.get(eid, set()) != listed.get(eid, set())
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_every_example_is_read_and_classified(api: str) -> None:
    examples = guide_examples(api)
    assert len(examples) >= 9
    kinds = {classify(parse(block)[0]) for _, block, _ in examples}
    assert {"EventSubscriptionInput", "ProductOfferingQualification_Find[]"} <= kinds
    if api == "v8":
        assert {"ProductOfferingQualification_Create", "PoqStateChangeEvent"} <= kinds
    else:
        assert {"RelatedPlaceRefOrValueByType", "PoqCreateEvent"} <= kinds


def test_known_guide_slips_are_caught() -> None:
    """The two slips named in MAPPING.md really are found by validation."""
    v8 = {eid: parse(b)[0] for eid, b, _ in guide_examples("v8")}
    _, found = violations("v8", v8["6.3.2#1"])
    assert "/productOfferingQualificationItem/1/installationInterval/units" in found  # businessWeek
    v7 = {eid: parse(b)[0] for eid, b, _ in guide_examples("v7")}
    _, found = violations("v7", v7["6.3.2#1"])
    assert "/productOfferingQualificationItem/0/installationInterval/units" in found  # timeUnit
