"""Vocabulary and small computations every report format shares (counts, groups, times)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from schemas.catalogue import USE_CASES
from schemas.run_verdict import describe_gaps

__all__ = [
    "LEVELS",
    "STATUSES",
    "STATUS_LABELS",
    "USE_CASES",
    "USE_CASE_LABELS",
    "counts_by_level",
    "counts_by_status",
    "counts_by_use_case",
    "failed_musts",
    "is_must",
    "parse_time",
    "run_title",
    "use_case_groups",
    "verdict_line",
]

STATUSES = ("pass", "fail", "not_applicable", "not_tested")
STATUS_LABELS = {
    "pass": "Pass",
    "fail": "Fail",
    "not_applicable": "Not applicable",
    "not_tested": "Not tested",
}
LEVELS = ("MUST", "MUST NOT", "SHOULD", "MAY")
GENERAL = "general"
USE_CASE_LABELS = {
    "1": "UC1 Register for notifications",
    "2a": "UC2a Install with a Product Offering",
    "2b": "UC2b Install with a Product Specification",
    "2c": "UC2c Change with a Product Identifier",
    "3": "UC3 Retrieve POQ list",
    "4": "UC4 Retrieve POQ by identifier",
    "5": "UC5 Send notification",
    "flow": "Process flow",
    GENERAL: "General (no use case)",
}


def is_must(level: object) -> bool:
    """MUST and MUST NOT are the mandatory levels a certification turns on."""
    return level in ("MUST", "MUST NOT")


def counts_by_status(requirements: list[dict[str, Any]]) -> dict[str, int]:
    """Requirement counts per status, every status present (0 when none)."""
    counter = Counter(str(r.get("status")) for r in requirements)
    out = {s: counter.get(s, 0) for s in STATUSES}
    for extra, n in counter.items():  # a status this tool does not know is still counted
        if extra not in out:
            out[extra] = n
    return out


def counts_by_level(requirements: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Status counts per level, in level order; unknown levels follow the known ones."""
    levels = list(LEVELS) + sorted({str(r.get("level")) for r in requirements} - set(LEVELS))
    return {
        level: counts_by_status([r for r in requirements if r.get("level") == level])
        for level in levels
        if any(r.get("level") == level for r in requirements) or level in LEVELS
    }


def use_case_groups(requirements: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Requirements grouped by use case (one may sit in several groups), known order first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for req in requirements:
        ucs = [str(u) for u in req.get("use_cases") or []] or [GENERAL]
        for uc in ucs:
            groups.setdefault(uc, []).append(req)
    order = [uc for uc in USE_CASES if uc in groups]
    order += sorted(uc for uc in groups if uc not in USE_CASES and uc != GENERAL)
    if GENERAL in groups:
        order.append(GENERAL)
    return [(uc, groups[uc]) for uc in order]


def counts_by_use_case(requirements: list[dict[str, Any]]) -> list[tuple[str, dict[str, int]]]:
    """Status counts per use-case group, in group order."""
    return [(uc, counts_by_status(reqs)) for uc, reqs in use_case_groups(requirements)]


def failed_musts(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed MUST / MUST NOT requirements, in document order."""
    return [r for r in requirements if r.get("status") == "fail" and is_must(r.get("level"))]


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time, or None when absent or unreadable (reports never fail on a time)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def run_title(doc: dict[str, Any]) -> str:
    """Who was tested, in one phrase: the seller for a seller run, the buyer for a buyer report."""
    run = doc.get("run") or {}
    if doc.get("kind") == "buyer":
        who = run.get("buyer") or run.get("seller") or "unknown buyer"
        return f"buyer {who}"
    return f"seller {run.get('seller') or 'unknown seller'}"


def verdict_line(doc: dict[str, Any]) -> tuple[str, str]:
    """(the report's first line, its tone: good | warn | bad). An interrupted run or one
    stopped by an environment error says so before anything else: it is not a verdict."""
    run = doc.get("run") or {}
    summary = doc.get("summary") or {}
    if run.get("complete") is False and run.get("environment_error"):
        return f"STOPPED: environment error: {run['environment_error']}", "bad"
    if run.get("complete") is False:
        return (f"INTERRUPTED at {run.get('interrupted') or 'an unknown time'}"
                f" ({run.get('interrupted_by') or 'signal'}): partial results, no verdict",
                "warn")
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, dict)]
    gating = [r for r in requirements if r.get("status") == "fail"
              and (r.get("gating") or is_must(r.get("level")))]
    verdict = summary.get("verdict")
    if verdict is None:  # a document written before run verdicts existed
        verdict = "non_conformant" if gating else "conformant"
    if verdict == "non_conformant":
        return f"NON-CONFORMANT: {len(gating)} gating requirement(s) failed", "bad"
    if verdict == "incomplete":
        what = describe_gaps(summary.get("incomplete") or [])
        return f"INCOMPLETE: no gating requirement failed, not all were judged ({what})", "warn"
    others = sum(1 for r in requirements if r.get("status") == "fail")
    extra = f"; {others} non-gating requirement(s) failed" if others else ""
    return f"CONFORMANT: no gating requirement failed{extra}", "good"
