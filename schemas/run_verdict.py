"""The verdict of a whole run: conformant, non_conformant or incomplete, with the gaps that
make a run incomplete grouped by cause. Lives beside the results model so the harness, the
mock's buyer report and the report writers all read one definition. See docs/results.md."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

CONFORMANT, NON_CONFORMANT, INCOMPLETE = "conformant", "non_conformant", "incomplete"
VERDICTS = (CONFORMANT, NON_CONFORMANT, INCOMPLETE)
MANDATORY = frozenset({"MUST", "MUST NOT"})
TEST_DATA_REFUSED = "test data refused"

# group key -> label, in the order reports list them
GROUPS = {
    "test_data_refused": TEST_DATA_REFUSED,
    "capability_not_observed": "capability declared but never observed",
    "seller_errors": "seller errors",
    "timeouts": "timeouts",
    "test_errors": "tests that errored",
    "not_reached": "not reached",
    "interrupted": "run interrupted",
}
_TIMEOUT = re.compile(r"tim(ed|e) ?out|deadline|did not (reach|become) (a )?final|within \d",
                      re.IGNORECASE)
_SELLER_ERROR = re.compile(r"HTTP 5\d\d|no response|connection (refused|reset|error|failed)",
                           re.IGNORECASE)


def row_gating(row: Mapping[str, Any]) -> bool:
    """A requirement row whose failure makes the run non-conformant."""
    return bool(row.get("gating")) or row.get("level") in MANDATORY


def _in_scope(row: Mapping[str, Any], run: Mapping[str, Any], run_ids: set[str] | None) -> bool:
    """A MUST / MUST NOT, seller-verified requirement of the use cases this run covered.
    Buyer-side, agreement and not-testable IDs are never a gap of a seller run, and neither
    is a permission (a MAY marked gating fails the run when its condition is broken, but a
    seller need never use it)."""
    if row.get("verification") != "seller" or row.get("actor") not in ("seller", "both"):
        return False
    if row.get("level") not in MANDATORY:
        return False
    chosen = set(run.get("use_cases") or [])
    if chosen and not chosen & set(row.get("use_cases") or []):
        return False
    return run_ids is None or str(row.get("id")) in run_ids


def _group_of(row: Mapping[str, Any], exchanges: Mapping[str, Mapping[str, Any]],
              declared: set[str], applies_when: Iterable[str]) -> str:
    reason = str(row.get("reason") or "")
    if reason.startswith(TEST_DATA_REFUSED):
        return "test_data_refused"
    for check in row.get("checks") or []:
        for ref in check.get("evidence") or []:
            ex = exchanges.get(ref)
            if ex is None:
                continue
            error = str(ex.get("error") or "")
            status = (ex.get("response") or {}).get("status")
            if error and _TIMEOUT.search(error):
                return "timeouts"
            if error or (isinstance(status, int) and status >= 500):
                return "seller_errors"
    if _TIMEOUT.search(reason):
        return "timeouts"
    if _SELLER_ERROR.search(reason):
        return "seller_errors"
    if declared & set(applies_when):
        return "capability_not_observed"
    return "not_reached"


def judge(
    rows: Iterable[Mapping[str, Any]],
    *,
    kind: str,
    run: Mapping[str, Any],
    tests: Iterable[Mapping[str, Any]] = (),
    exchanges: Iterable[Mapping[str, Any]] = (),
    applies_when: Mapping[str, Iterable[str]] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """(verdict, incomplete groups) of a results document's parts.

    ``non_conformant``: a gating requirement failed. ``incomplete``: none failed, but a
    MUST / MUST NOT seller-side requirement in scope was not judged, a test errored, or the run was
    interrupted; a run stopped by an environment error is never more than incomplete.
    Each group: ``{"group", "label", "ids", "details"}``."""
    rows = list(rows)
    failed = any(r.get("status") == "fail" and row_gating(r) for r in rows)
    if kind != "seller":
        return (NON_CONFORMANT if failed else CONFORMANT), []
    tests = list(tests)
    by_ex = {str(e.get("id")): e for e in exchanges}
    caps = run.get("capabilities") or {}
    declared = {k for k, v in caps.items() if v}
    run_ids = ({rid for t in tests for rid in t.get("requirements") or []}
               if run.get("keyword") else None)
    found: dict[str, dict[str, Any]] = {}

    def add(group: str, rid: str | None, detail: str | None) -> None:
        entry = found.setdefault(group, {"group": group, "label": GROUPS[group],
                                         "ids": [], "details": []})
        if rid and rid not in entry["ids"]:
            entry["ids"].append(rid)
        if detail and detail not in entry["details"]:
            entry["details"].append(detail)

    when = applies_when or {}
    for row in rows:
        if row.get("status") != "not_tested" or not _in_scope(row, run, run_ids):
            continue
        rid, reason = str(row.get("id")), str(row.get("reason") or "")
        group = _group_of(row, by_ex, declared, when.get(rid, ()))
        detail = re.split(r" \((?:was|test skipped):", reason)[0] \
            if group == "test_data_refused" else None
        add(group, rid, detail)
    judged = {c.get("test") for r in rows for c in r.get("checks") or []
              if c.get("status") == "fail"}
    for test in tests:
        erred = test.get("outcome") == "error" or (
            test.get("outcome") == "failed" and test.get("nodeid") not in judged)
        if erred:
            first = next((ln.strip() for ln in str(test.get("longrepr") or "").splitlines()
                          if ln.strip().startswith("E ")), "")
            detail = f"{test.get('nodeid')}" + (f": {first[1:].strip()}" if first else "")
            add("test_errors", None, detail)
            for rid in test.get("requirements") or []:
                add("test_errors", str(rid), None)
    if run.get("environment_error"):
        add("seller_errors", None, str(run["environment_error"]))
    elif run.get("complete") is False:
        add("interrupted", None, f"interrupted at {run.get('interrupted') or 'an unknown time'}")
    groups = [found[g] for g in GROUPS if g in found]
    if failed and not run.get("environment_error"):  # what a gateway said is no finding
        return NON_CONFORMANT, groups
    return (INCOMPLETE if groups else CONFORMANT), groups


def describe_gaps(groups: Iterable[Mapping[str, Any]]) -> str:
    """``test data refused: 6, timeouts: 1`` (IDs per group; tests or times without IDs)."""
    return ", ".join(f"{g.get('label')}: {len(g.get('ids') or []) or len(g.get('details') or [])}"
                     for g in groups)


__all__ = ["CONFORMANT", "GROUPS", "INCOMPLETE", "NON_CONFORMANT", "TEST_DATA_REFUSED",
           "VERDICTS", "describe_gaps", "judge", "row_gating"]
