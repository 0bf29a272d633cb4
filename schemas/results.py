"""The results document (results.json, schema version 1.0): model, folding and validation.

Shared by the harness (seller runs), the mock seller (buyer reports) and the report
writers, so it depends on nothing but the catalogue's shape: any object with ``id``,
``level``, ``actor``, ``use_cases``, ``section``, ``paraphrase``, ``verification`` and
``not_testable_reason`` attributes will do as a requirement. See docs/results.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from schemas.run_verdict import judge

SCHEMA_VERSION = "1.0"
KINDS = ("seller", "buyer")
STATUSES = ("pass", "fail", "not_applicable", "not_tested")
WEIGHTS = ("subject", "side")  # a side check can fail a requirement, never pass it alone
SIDE_ONLY_REASON = ("only side checks passed; the requirement's subject was not observed")
LEVELS = ("MUST", "MUST NOT", "SHOULD", "MAY")
MANDATORY_LEVELS = frozenset({"MUST", "MUST NOT"})
NO_TEST_REASON = "no test reached it"


@dataclass(slots=True)
class Check:
    """One verdict on one requirement, made by one test."""

    requirement: str
    test: str | None
    status: str
    message: str
    evidence: list[str] = field(default_factory=list)
    time: str = ""
    weight: str = "subject"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"check status must be one of {', '.join(STATUSES)}")
        if self.weight not in WEIGHTS:
            raise ValueError(f"check weight must be one of {', '.join(WEIGHTS)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "status": self.status,
            "message": self.message,
            "evidence": list(self.evidence),
            "time": self.time,
            "weight": self.weight,
        }


def _as_dict(check: Check | Mapping[str, Any]) -> dict[str, Any]:
    return check.to_dict() if isinstance(check, Check) else dict(check)


def _weight(row: Mapping[str, Any]) -> str:
    return str(row.get("weight") or "subject")  # results.json before weights: all subject


def fold_status(checks: Iterable[Check | Mapping[str, Any]]) -> str:
    """fail if any check failed (subject or side); else pass if a *subject* check passed;
    else not_tested if only side checks passed (a side check never carries a pass alone);
    else not_applicable if any check said so; else not_tested."""
    rows = [_as_dict(c) for c in checks]
    statuses = {r["status"] for r in rows}
    if "fail" in statuses:
        return "fail"
    if any(r["status"] == "pass" and _weight(r) == "subject" for r in rows):
        return "pass"
    if "pass" in statuses:
        return "not_tested"
    if "not_applicable" in statuses:
        return "not_applicable"
    return "not_tested"


def requirement_entry(
    req: Any, checks: Iterable[Check | Mapping[str, Any]], reason_hint: str | None = None
) -> dict[str, Any]:
    """One row of ``requirements``: catalogue facts, folded status, reason, checks."""
    rows = [_as_dict(c) for c in checks]
    status = fold_status(rows)
    reason: str | None = None
    if status == "not_applicable":
        reason = next(c["message"] for c in rows if c["status"] == "not_applicable")
    elif status == "not_tested":
        said = sorted((_weight(c) != "subject", n) for n, c in enumerate(rows)
                      if c["status"] == "not_tested" and c["message"])
        if said and (not said[0][0] or not any(c["status"] == "pass" for c in rows)):
            reason = rows[said[0][1]]["message"]  # a subject's reason first
        elif any(c["status"] == "pass" for c in rows):
            reason = SIDE_ONLY_REASON
        elif getattr(req, "verification", None) == "not-testable":
            reason = getattr(req, "not_testable_reason", None) or "not testable"
        else:
            reason = reason_hint or NO_TEST_REASON
    return {
        "id": req.id,
        "level": req.level,
        "actor": req.actor,
        "use_cases": list(req.use_cases),
        "section": req.section,
        "paraphrase": req.paraphrase,
        "verification": getattr(req, "verification", None),
        "gating": req.level in MANDATORY_LEVELS or bool(getattr(req, "gating", False)),
        "status": status,
        "reason": reason,
        "checks": rows,
    }


def summarize(requirements: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts per status, per level, and ``must_failed`` (failed MUST / MUST NOT)."""
    summary: dict[str, Any] = {s: 0 for s in STATUSES}
    by_level = {level: {s: 0 for s in STATUSES} for level in LEVELS}
    must_failed = 0
    for row in requirements:
        status, level = row["status"], row["level"]
        summary[status] += 1
        by_level.setdefault(level, {s: 0 for s in STATUSES})[status] += 1
        if status == "fail" and level in MANDATORY_LEVELS:
            must_failed += 1
    summary["must_failed"] = must_failed
    summary["by_level"] = by_level
    return summary


def build_document(
    *,
    kind: str,
    run: Mapping[str, Any],
    catalogue: Iterable[Any],
    checks: Iterable[Check],
    reasons: Mapping[str, str] | None = None,
    tests: Iterable[Mapping[str, Any]] = (),
    exchanges: Iterable[Mapping[str, Any]] = (),
    notifications: Iterable[Mapping[str, Any]] = (),
    timelines: Iterable[Mapping[str, Any]] = (),
    schema_deviations: Iterable[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Assemble a complete document: every catalogue ID, in catalogue order.

    A check naming an ID outside the catalogue is a programming error (ValueError)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    by_id: dict[str, list[Check]] = {}
    reqs = list(catalogue)
    known = {r.id for r in reqs}
    for check in checks:
        if check.requirement not in known:
            raise ValueError(f"check for unknown requirement {check.requirement!r}")
        by_id.setdefault(check.requirement, []).append(check)
    hints = reasons or {}
    rows = [requirement_entry(r, by_id.get(r.id, []), hints.get(r.id)) for r in reqs]
    tests, exchanges = [dict(t) for t in tests], [dict(e) for e in exchanges]
    summary = summarize(rows)
    summary["verdict"], summary["incomplete"] = judge(
        rows, kind=kind, run=run, tests=tests, exchanges=exchanges,
        applies_when={r.id: tuple(getattr(r, "applies_when", ())) for r in reqs},
    )
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "run": dict(run),
        "summary": summary,
        "requirements": rows,
        "tests": tests,
        "exchanges": exchanges,
        "notifications": [dict(n) for n in notifications],
        "timelines": [dict(t) for t in timelines],
    }
    if schema_deviations is not None:  # API-schema findings, apart from the 79.1 IDs
        doc["schema_deviations"] = [dict(d) for d in schema_deviations]
    return doc


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The shipped JSON Schema of a results document."""
    text = resources.files("schemas").joinpath("results.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def validate_document(doc: Any) -> list[str]:
    """Every schema violation as "<JSON Pointer>: message" (empty when valid)."""
    validator = Draft202012Validator(results_schema())
    out = []
    for error in validator.iter_errors(doc):
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        out.append(f"{pointer}: {error.message}")
    return sorted(out)


def write_document(doc: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``doc`` as UTF-8 JSON (creating parent directories)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    tmp.replace(target)
    return target


def load_document(path: str | Path) -> dict[str, Any]:
    """Read a results document (no validation; see :func:`validate_document`)."""
    data = json.loads(Path(path).read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a results document")
    return data


__all__ = [
    "KINDS",
    "LEVELS",
    "MANDATORY_LEVELS",
    "NO_TEST_REASON",
    "SCHEMA_VERSION",
    "SIDE_ONLY_REASON",
    "STATUSES",
    "WEIGHTS",
    "Check",
    "build_document",
    "fold_status",
    "load_document",
    "requirement_entry",
    "results_schema",
    "summarize",
    "validate_document",
    "write_document",
]
