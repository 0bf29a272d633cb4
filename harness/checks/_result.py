"""The shape every check returns."""

from __future__ import annotations

from collections.abc import Iterable

Result = tuple[bool, str]


def passed(message: str) -> Result:
    return True, message


def failed(message: str) -> Result:
    return False, message


def joined(problems: Iterable[str], success: str, limit: int = 8) -> Result:
    """Fold a list of problems into one result (pass when the list is empty)."""
    found = list(problems)
    if not found:
        return True, success
    shown = "; ".join(found[:limit])
    more = f" (+{len(found) - limit} more)" if len(found) > limit else ""
    return False, shown + more
