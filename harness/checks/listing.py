"""Retrieve POQ List (UC3: R78-R81, O15, alternative paths of 8.3.3.3).

A filter "really filters" when every returned row satisfies it, the POQs the buyer created
to match it are returned (when the page is not capped) and the POQs created not to match it
are not. Date ranges are inclusive: MEF 79.1 Table 24 says "the same as or later / earlier
than", and the v7 OpenAPI describes ``requestedPOQCompletionDate.gt`` as "on or after".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from harness.checks._result import Result, failed, joined, passed, untested
from schemas.dialect import Dialect


def parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = value.strip()
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _fraction_digits(value: str) -> int:
    """Digits after the seconds of an RFC 3339 date-time (0 when it stores whole seconds)."""
    head = value.upper().partition("T")[2]
    if len(head) > 8 and head[8] in ".,":
        digits = head[9:]
        return len(digits) - len(digits.lstrip("0123456789"))
    return 0


def same_instant(a: Any, b: Any) -> bool:
    """Two date-times name the same instant at the coarser precision of the two (a seller
    that stores seconds still echoes a value sent with milliseconds; MAPPING.md)."""
    first, second = parse_instant(a), parse_instant(b)
    if first is None or second is None:
        return False
    (digits, coarse), (_, fine) = sorted(
        [(_fraction_digits(a), first), (_fraction_digits(b), second)], key=lambda p: p[0])
    unit = 10 ** (6 - min(digits, 6))
    rest = fine.microsecond % unit
    truncated = fine - timedelta(microseconds=rest)
    rounded = truncated + timedelta(microseconds=unit if 2 * rest >= unit else 0)
    return coarse in (truncated, rounded)  # the seller may truncate or round


def parse_day(value: Any) -> date | None:
    """A date-only value (v7 list rows carry ``requestedPOQCompletionDate`` as ``date``)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _compare(value: Any, bound: Any, op: str) -> bool | None:
    """Inclusive range test; at day granularity when the row only carries a date."""
    got, limit = parse_instant(value), parse_instant(bound)
    if limit is None:
        return None
    if got is not None:
        return got >= limit if op == "gt" else got <= limit
    day = parse_day(value)
    if day is None:
        return None
    limit_day = limit.astimezone(timezone.utc).date()
    return day >= limit_day if op == "gt" else day <= limit_day


def same_moment(row_value: Any, sent: Any) -> bool:
    """A listed date equals the one sent (as an instant, or as the UTC day of a v7 date)."""
    sent_at = parse_instant(sent)
    if parse_instant(row_value) is not None:
        return same_instant(row_value, sent)
    day = parse_day(row_value)
    return day is not None and sent_at is not None and (
        day == sent_at.astimezone(timezone.utc).date())


def row_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> tuple[bool, str]:
    """Whether one list row satisfies the (wire) query filters, with the first reason not."""
    for name, wanted in filters.items():
        if name in ("offset", "limit", "buyerId", "sellerId"):
            continue
        field, _, op = name.partition(".")
        value = row.get(field)
        if op in ("gt", "lt"):
            inside = _compare(value, wanted, op)
            if inside is None:
                return False, f"{field}={value!r} cannot be compared with {name}={wanted}"
            if not inside:
                return False, f"{field}={value} outside {name}={wanted}"
        elif value != wanted:
            return False, f"{field}={value!r} does not equal {wanted!r}"
    return True, ""


def check_rows_match(rows: Sequence[Mapping[str, Any]], filters: Mapping[str, str]) -> Result:
    """Every returned row satisfies every filter (the filter is not ignored)."""
    if not rows:
        return untested(f"no rows returned for {dict(filters)}: nothing to hold to the filter")
    problems = []
    for row in rows:
        ok, why = row_matches(row, filters)
        if not ok:
            problems.append(f"row {row.get('id')!r}: {why}")
    return joined(problems, f"all {len(rows)} rows satisfy {dict(filters)}")


def check_membership(
    rows: Sequence[Mapping[str, Any]],
    must_include: Iterable[str],
    must_exclude: Iterable[str],
    complete: bool = True,
) -> Result:
    """Created POQs that match the filter are listed, those that do not are not.

    ``complete`` is False when the seller capped the page (``X-Pagination-Throttled``) or said
    there are more records than returned: missing matches are then not a failure."""
    must_include, must_exclude = list(must_include), list(must_exclude)
    if not must_include and not must_exclude:
        return untested("no created POQ to look for in the list")
    ids = {row.get("id") for row in rows}
    problems = [f"{i!r} matches the filter but is missing" for i in must_include
                if complete and i not in ids]
    problems += [f"{i!r} does not match the filter but is listed" for i in must_exclude
                 if i in ids]
    return joined(problems, "the filter keeps exactly the POQs it should among those created")


def check_summary_fields(
    row: Mapping[str, Any], created: Mapping[str, Any] | None, dialect: Dialect
) -> Result:
    """R81 (Table 26): id, state, create date, and the requested date / project / external
    id the buyer set when creating the POQ. v7 has no ``creationDate`` (not representable)."""
    if not row:
        return untested("no list row observed")
    problems = []
    if not isinstance(row.get("id"), str) or not row.get("id"):
        problems.append("id missing")
    if dialect.mef_poq_state(row.get("state")) is None:
        problems.append(f"state {row.get('state')!r} is not a {dialect.api} POQ state")
    if dialect.has_creation_date and parse_instant(row.get("creationDate")) is None:
        problems.append(f"creationDate {row.get('creationDate')!r} is not a date-time")
    for key in ("requestedPOQCompletionDate", "externalId", "projectId"):
        if created and created.get(key) is not None:
            if key not in row:
                problems.append(f"{key} missing (the POQ was created with one)")
            elif key == "requestedPOQCompletionDate":
                if not same_moment(row[key], created[key]):
                    problems.append(f"{key} {row[key]!r} differs from {created[key]!r}")
            elif row[key] != created[key]:
                problems.append(f"{key} {row[key]!r} differs from {created[key]!r}")
    return joined([f"row {row.get('id')!r}: {p}" for p in problems],
                  f"row {row.get('id')!r} carries the Table 26 summary fields")


def header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get(name.lower())


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = header(headers, name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def check_page(
    rows: Sequence[Any], headers: Mapping[str, str], limit: int, offset: int
) -> Result:
    """One page: count headers that agree with the body.

    Honouring ``limit`` is the API's pagination, a SHOULD of the v8 guide (its D4) and no
    MEF 79.1 requirement: a seller that ignores it is said so (not_tested), never failed."""
    if not rows and not headers:
        return untested(f"page offset={offset}: no rows and no count headers")
    problems = []
    result_count = _int_header(headers, "X-Result-Count")
    if header(headers, "X-Result-Count") is not None and result_count != len(rows):
        problems.append(f"X-Result-Count {header(headers, 'X-Result-Count')!r} "
                        f"but {len(rows)} rows")
    total = _int_header(headers, "X-Total-Count")
    if header(headers, "X-Total-Count") is not None and (
        total is None or total < offset + len(rows)
    ):
        problems.append(f"X-Total-Count {header(headers, 'X-Total-Count')!r} is less than "
                            f"offset {offset} + {len(rows)} rows")
    if not problems and len(rows) > limit:
        return untested(f"{len(rows)} rows for limit={limit}: the seller does not paginate "
                        "(a SHOULD of the API guide, not a MEF 79.1 requirement)")
    return joined(problems, f"page offset={offset} limit={limit}: {len(rows)} rows, "
                            "headers consistent")


def throttled(headers: Mapping[str, str]) -> bool:
    return str(header(headers, "X-Pagination-Throttled") or "").lower() == "true"


def check_pages(
    pages: Sequence[tuple[Sequence[Mapping[str, Any]], Mapping[str, str]]],
    whole: Sequence[Mapping[str, Any]],
    whole_complete: bool = True,
) -> Result:
    """Pages walked with offset/limit give the records of the unpaged list, each once, with
    the same total on every page. When the seller capped the unpaged list itself
    (``whole_complete`` False), the pages need only cover it."""
    if not pages:
        return untested("no page was returned")
    seen: list[Any] = [row.get("id") for rows, _ in pages for row in rows]
    problems = []
    dupes = sorted({str(i) for i in seen if seen.count(i) > 1})
    if dupes:
        problems.append(f"records on more than one page: {dupes}")
    totals = {_int_header(h, "X-Total-Count") for _, h in pages
              if header(h, "X-Total-Count") is not None}
    if len(totals) > 1:
        problems.append(f"X-Total-Count changes between pages: {sorted(map(str, totals))}")
    expected = {row.get("id") for row in whole}
    if not any(throttled(h) for _, h in pages) and (
            set(seen) != expected if whole_complete else not expected <= set(seen)):
        missing = sorted(map(str, expected - set(seen)))[:5]
        extra = sorted(map(str, set(seen) - expected))[:5]
        problems.append(f"pages differ from the unpaged list (missing {missing}, extra {extra})")
    return joined(problems, f"{len(pages)} pages cover the {len(expected)} records once each")


def check_empty(status: int | None, rows: Any) -> Result:
    """8.3.3.3 path 2 / R80: nothing matches -> success with an empty list."""
    if status is None:
        return untested("no HTTP response")
    if status != 200:
        return failed(f"HTTP {status} for a filter that matches nothing (expected 200 [])")
    if rows != []:
        return failed(f"expected an empty list, got {rows!r:.200}")
    return passed("HTTP 200 with an empty list")


__all__ = [
    "check_empty",
    "check_membership",
    "check_page",
    "check_pages",
    "check_rows_match",
    "check_summary_fields",
    "header",
    "parse_day",
    "parse_instant",
    "row_matches",
    "same_instant",
    "same_moment",
    "throttled",
]
