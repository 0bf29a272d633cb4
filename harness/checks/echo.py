"""Echo of the buyer's request in the seller's response (R34, R37, R62, R65, UC4 details).

Reading of the spec: the seller MUST echo back every attribute the buyer sent, unchanged.
The seller MAY add attributes (ids, states, its own contact entry, ``product.productOffering``
chosen for a use case 2b item, extension fields). So the comparison is one-sided: every
value of the request must be found, equal, in the response; extra response content is legal.

Tolerances that follow the definitions, not our mock's habits:
- ``href`` sent by the buyer MUST be ignored by the seller (v8 guide), so it is not compared;
- lists are compared as multisets (order is not a business attribute), POQ items by ``id``;
- RFC 3339 date-times are compared as instants (``Z`` vs ``+00:00``) at the coarser
  precision of the two (a seller that stores seconds still echoes a value sent with
  milliseconds: the precision is the seller's choice);
- numbers compare by value (``1`` equals ``1.0``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harness.checks._result import Result, joined, untested
from harness.checks.listing import parse_instant, same_instant

IGNORED_KEYS = frozenset({"href"})
_KEYED_LISTS = frozenset({"productOfferingQualificationItem"})


def _as_instant(value: str) -> datetime | None:
    """A full date-time (not a bare date or other text) as an instant, for echo comparison."""
    if len(value) < 19 or value[4] != "-" or "T" not in value.upper():
        return None
    return parse_instant(value)


def _scalars_equal(sent: Any, got: Any) -> bool:
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent is got
    if isinstance(sent, (int, float)) and isinstance(got, (int, float)):
        return float(sent) == float(got)
    if isinstance(sent, str) and isinstance(got, str):
        if sent == got:
            return True
        a, b = _as_instant(sent), _as_instant(got)
        return a is not None and b is not None and same_instant(sent, got)
    return bool(sent == got)


def echo_differences(sent: Any, got: Any, pointer: str = "") -> list[str]:
    """Every place where ``got`` drops or changes something of ``sent`` (JSON Pointers)."""
    where = pointer or "/"
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [f"{where}: expected an object, got {type(got).__name__}"]
        problems: list[str] = []
        for key, value in sent.items():
            if key in IGNORED_KEYS:
                continue
            child = f"{pointer}/{_escape(key)}"
            if key not in got:
                problems.append(f"{child}: missing in the response")
                continue
            if key in _KEYED_LISTS and isinstance(value, list):
                problems.extend(_keyed_list_differences(value, got[key], child))
            else:
                problems.extend(echo_differences(value, got[key], child))
        return problems
    if isinstance(sent, list):
        if not isinstance(got, list):
            return [f"{where}: expected an array, got {type(got).__name__}"]
        return _multiset_differences(sent, got, pointer)
    if not _scalars_equal(sent, got):
        return [f"{where}: sent {sent!r}, got {got!r}"]
    return []


def _keyed_list_differences(sent: list[Any], got: Any, pointer: str) -> list[str]:
    if not isinstance(got, list):
        return [f"{pointer}: expected an array, got {type(got).__name__}"]
    by_id: dict[Any, list[Any]] = {}
    for entry in got:
        if isinstance(entry, dict):
            by_id.setdefault(entry.get("id"), []).append(entry)
    problems: list[str] = []
    for index, entry in enumerate(sent):
        key = entry.get("id") if isinstance(entry, dict) else None
        matches = by_id.get(key, [])
        if len(matches) != 1:
            problems.append(
                f"{pointer}/{index}: {len(matches)} response entries with id {key!r} (expected 1)"
            )
            continue
        problems.extend(echo_differences(entry, matches[0], f"{pointer}/{index}"))
    return problems


def _multiset_differences(sent: list[Any], got: list[Any], pointer: str) -> list[str]:
    """Each sent element must echo into a distinct response element (any order)."""
    free = list(range(len(got)))
    problems: list[str] = []
    for index, element in enumerate(sent):
        hit = next((j for j in free if not echo_differences(element, got[j])), None)
        if hit is None:
            # Report against the same position when it exists: the most readable guess.
            detail = (
                echo_differences(element, got[index], f"{pointer}/{index}")
                if index < len(got)
                else [f"{pointer}/{index}: missing in the response"]
            )
            problems.extend(detail or [f"{pointer}/{index}: no matching element"])
        else:
            free.remove(hit)
    return problems


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def check_echo(sent: Any, got: Any, what: str = "response") -> Result:
    """Judge R34/R37/R62/R65-style echo: every buyer attribute back, unchanged."""
    if not sent:
        return untested(f"nothing was sent, so nothing can be echoed in the {what}")
    if got is None:
        return untested(f"no {what} body observed")
    return joined(
        echo_differences(sent, got),
        f"every buyer attribute is echoed unchanged in the {what}",
    )


__all__ = ["IGNORED_KEYS", "check_echo", "echo_differences"]
