"""Compare two results documents per requirement ID: status transitions and checks that
appeared or disappeared. A *new failure* is an ID that fails now and did not fail in the
baseline (including an ID the baseline did not have). *Lost coverage* is an ID that was
judged (pass or fail) in the baseline and is not now (not_tested, not_applicable, gone).
Both gate a pipeline; a different api, seller, profile or a narrower ``--uc`` set is said
out loud, since it explains (and usually causes) lost coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DiffResult", "IdChange", "diff_results", "format_diff", "format_diff_markdown"]

JUDGED = ("pass", "fail")


@dataclass(slots=True)
class IdChange:
    """What changed for one requirement ID between baseline and current."""

    id: str
    before: str | None  # None: the ID is new in the current run
    after: str | None  # None: the ID is gone from the current run
    checks_added: list[str] = field(default_factory=list)  # "test (status)"
    checks_removed: list[str] = field(default_factory=list)
    checks_changed: list[str] = field(default_factory=list)  # "test: pass -> fail"

    @property
    def new_failure(self) -> bool:
        return self.after == "fail" and self.before != "fail"

    @property
    def lost_coverage(self) -> bool:
        """Judged in the baseline, not judged now."""
        return self.before in JUDGED and self.after not in JUDGED


@dataclass(slots=True)
class DiffResult:
    """Every changed ID, in current-document order (removed IDs last)."""

    changes: list[IdChange]
    unchanged: int
    context: list[str] = field(default_factory=list)  # api / seller / profile / --uc changes

    @property
    def lost_coverage(self) -> list[IdChange]:
        return [c for c in self.changes if c.lost_coverage]

    @property
    def new_failures(self) -> list[IdChange]:
        return [c for c in self.changes if c.new_failure]

    @property
    def fixed(self) -> list[IdChange]:
        return [c for c in self.changes if c.before == "fail" and c.after not in ("fail", None)]


def _checks(req: dict[str, Any]) -> dict[str, str]:
    """Check key -> status; repeated checks from one test are numbered to stay distinct."""
    out: dict[str, str] = {}
    for check in req.get("checks") or []:
        key = str(check.get("test") or "?")
        n, unique = 1, key
        while unique in out:
            n += 1
            unique = f"{key} #{n}"
        out[unique] = str(check.get("status"))
    return out


def _by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(r.get("id")): r for r in doc.get("requirements") or [] if isinstance(r, dict)}


def diff_results(baseline: dict[str, Any], current: dict[str, Any]) -> DiffResult:
    """What changed from ``baseline`` to ``current``, per requirement ID."""
    before, after = _by_id(baseline), _by_id(current)
    changes: list[IdChange] = []
    unchanged = 0
    for rid in list(after) + [r for r in before if r not in after]:
        old, new = before.get(rid), after.get(rid)
        change = IdChange(
            rid,
            None if old is None else str(old.get("status")),
            None if new is None else str(new.get("status")),
        )
        old_checks = _checks(old) if old else {}
        new_checks = _checks(new) if new else {}
        if old is not None and new is not None:
            change.checks_added = [
                f"{k} ({v})" for k, v in new_checks.items() if k not in old_checks
            ]
            change.checks_removed = [
                f"{k} ({v})" for k, v in old_checks.items() if k not in new_checks
            ]
            change.checks_changed = [
                f"{k}: {old_checks[k]} -> {v}"
                for k, v in new_checks.items()
                if k in old_checks and old_checks[k] != v
            ]
        if (
            change.before != change.after
            or change.checks_added
            or change.checks_removed
            or change.checks_changed
        ):
            changes.append(change)
        else:
            unchanged += 1
    return DiffResult(changes, unchanged, run_context(baseline, current))


def run_context(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What makes the two runs not like for like: another api, seller or profile, a
    narrower use-case selection or a -k filter."""
    old, new = baseline.get("run") or {}, current.get("run") or {}
    # the bundled mock binds a new port each run: its URL tells nothing
    keys = ("api", "profile") if old.get("mock") and new.get("mock") else (
        "api", "seller", "profile")
    notes = [f"different {key}: {old.get(key)!r} -> {new.get(key)!r}"
             for key in keys if old.get(key) != new.get(key)]
    before, after = set(old.get("use_cases") or []), set(new.get("use_cases") or [])
    if after and (not before or after < before):
        dropped = "all" if not before else ", ".join(sorted(before - after))
        notes.append(f"narrower --uc set: {', '.join(sorted(after))} (was "
                     f"{', '.join(sorted(before)) or 'all'}; not run now: {dropped})")
    if new.get("keyword") and new.get("keyword") != old.get("keyword"):
        notes.append(f"current run filtered with -k {new['keyword']!r}")
    return notes


def format_diff(result: DiffResult) -> str:
    """Readable lines: one per changed ID, indented check details, then a count line."""
    lines: list[str] = [f"note: {n}" for n in result.context]
    for c in result.changes:
        if c.before is None:
            head = f"{c.id}: new in current run ({c.after})"
        elif c.after is None:
            head = f"{c.id}: removed (was {c.before})"
        elif c.before != c.after:
            head = f"{c.id}: {c.before} -> {c.after}"
        else:
            head = f"{c.id}: {c.after} (checks changed)"
        if c.new_failure:
            head += "  [NEW FAILURE]"
        if c.lost_coverage:
            head += "  [LOST COVERAGE]"
        lines.append(head)
        lines += [f"    + check {x}" for x in c.checks_added]
        lines += [f"    - check {x}" for x in c.checks_removed]
        lines += [f"    ~ check {x}" for x in c.checks_changed]
    if not result.changes:
        lines.append("no change")
    lines.append(_count_line(result))
    return "\n".join(lines)


def _count_line(result: DiffResult) -> str:
    return (f"{len(result.changes)} changed, {len(result.new_failures)} new failure(s), "
            f"{len(result.lost_coverage)} lost coverage, {len(result.fixed)} fixed, "
            f"{result.unchanged} unchanged")


def format_diff_markdown(result: DiffResult) -> str:
    """The diff as Markdown for a pull-request comment: what makes the runs differ, new
    failures, lost coverage (its own section), then the other changes."""
    lines = ["## poq-conformance diff", "", _count_line(result), ""]
    if result.context:
        lines += ["### Runs differ", "", *[f"- {n}" for n in result.context], ""]
    sections = [
        ("New failures", result.new_failures),
        ("Lost coverage", result.lost_coverage),
        ("Other changes", [c for c in result.changes
                           if not (c.new_failure or c.lost_coverage)]),
    ]
    for title, changes in sections:
        if not changes:
            continue
        lines += [f"### {title} ({len(changes)})", "", "| ID | Baseline | Current |",
                  "| --- | --- | --- |"]
        lines += [f"| {c.id} | {c.before or '(absent)'} | {c.after or '(absent)'} |"
                  for c in changes]
        lines.append("")
    if not result.changes:
        lines += ["No change.", ""]
    return "\n".join(lines)
