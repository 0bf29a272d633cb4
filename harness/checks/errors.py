"""Seller Response Codes and failure responses (R8, R27, R36, R55, R64, R78, R84; R35, R41,
R63, R69, R79, R86; 8.3.1.3 and 8.3.3.3 alternative paths).

MEF 79.1's "Seller Response Code" is the HTTP status (2xx success, 4xx/5xx failure), one of
the codes the dialect's API defines for the operation. A failure carries a MEF Error body
(``code`` and ``reason``; a 422 body is a list of them) and none of the attributes a success
would carry. A gateway's HTML 502 is no Seller Response Code at all.
"""

from __future__ import annotations

from typing import Any

from harness.checks._result import Result, failed, joined, passed, untested
from schemas.operations import OPERATIONS, response_codes

# Attributes of a successful create / retrieve (Tables 12, 14, 19, 21) that must not leak
# into a failure. ``code``, ``reason``, ``message``, ``referenceError``, ``propertyPath``
# belong to the Error types.
POQ_SUCCESS_ATTRIBUTES = (
    "id",
    "href",
    "state",
    "creationDate",
    "expectedPOQCompletionDate",
    "stateChange",
    "productOfferingQualificationItem",
    "relatedContactInformation",
)
LIST_ROW_ATTRIBUTES = ("id", "state", "creationDate", "requestedPOQCompletionDate")
HUB_SUCCESS_ATTRIBUTES = ("id", "callback", "query")


_SUCCESS_BODY: dict[str, type] = {"list": list, "unregister": type(None)}  # others: a JSON object

NO_RESPONSE = "no HTTP response: no Seller Response Code to judge"


# Transport errors (harness.client) that say nothing about the seller's answer: the
# environment or the profile's timeout, not a missing Seller Response Code.
SETUP_ERRORS = ("seller unreachable", "timeout", "authentication failed", "TLS error")


def check_seller_response_code(api: str, operation: str, status: int | None,
                               body: Any, error: str | None = None) -> Result:
    """R8/R27/R36/R55/R64/R78/R84: the answer is a Seller Response Code: a status the
    dialect defines for the operation, with the body that status requires (a MEF Error body
    for a failure, the resource for a success, nothing for 204).

    ``error`` is the client's transport error when no status came: an answer without a
    valid status line (a connection error) fails, an unreachable seller or a timeout is a
    set-up matter (not_tested)."""
    if status is None:
        if error and not error.startswith(SETUP_ERRORS):
            return failed(f"the answer carried no valid response code ({error})")
        return untested(f"{NO_RESPONSE}{f' ({error})' if error else ''}")
    codes = response_codes(api, operation)
    if status not in codes:
        return failed(f"HTTP {status} is not a response code of {api} {operation} "
                      f"(defined: {sorted(codes)})")
    if status >= 400:
        ok, why = check_error_body(status, body)
        return passed(f"failure code HTTP {status} with a MEF Error body") if ok else failed(
            f"HTTP {status} without a MEF Error body: {why}")
    wanted = _SUCCESS_BODY.get(operation, dict)
    if not isinstance(body, wanted):
        shape = "no body" if wanted is type(None) else f"a JSON {wanted.__name__}"
        return failed(f"success code HTTP {status} with {type(body).__name__} "
                      f"(expected {shape})")
    return passed(f"success code HTTP {status}")


def check_is_failure(status: int | None) -> Result:
    """The seller answered with a failure response code (4xx), not success or a crash."""
    if status is None:
        return untested(NO_RESPONSE)
    if 200 <= status < 300:
        return failed(f"HTTP {status}: the request was accepted")
    if status >= 500:
        return failed(f"HTTP {status}: server error instead of a client error")
    if 400 <= status < 500:
        return passed(f"HTTP {status}")
    return failed(f"HTTP {status}: not a failure response code")


def check_rejected_as_invalid(status: int | None, allowed: tuple[int, ...] = (400, 422)) -> Result:
    """Schema-invalid or rule-breaking requests get 400/422, never 2xx or 5xx."""
    result = check_is_failure(status)
    if not result.ok:
        return result
    if status not in allowed:
        return failed(f"HTTP {status}, expected one of {list(allowed)}")
    return passed(f"rejected with HTTP {status}")


def _error_entries(body: Any) -> list[Any]:
    return body if isinstance(body, list) else [body]


def check_error_body(status: int | None, body: Any) -> Result:
    """A failure response carries a MEF Error body: ``code`` and ``reason`` (422: a list)."""
    if status is None or status < 400:
        return untested(f"HTTP {status}: not a failure response, no Error body due")
    if status == 422 and not isinstance(body, list):
        return failed(f"HTTP 422 body is {type(body).__name__}, expected a list of Error422")
    entries = _error_entries(body)
    if not entries:
        return failed(f"HTTP {status}: empty error list")
    problems = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"entry {index} is {type(entry).__name__}, not an Error object")
            continue
        for key in ("code", "reason"):
            if not isinstance(entry.get(key), str) or not entry.get(key):
                problems.append(f"entry {index}: missing {key}")
    return joined(problems, f"HTTP {status} carries a MEF Error body")


def leaked_attributes(body: Any, attributes: tuple[str, ...] = POQ_SUCCESS_ATTRIBUTES) -> list[str]:
    """Success attributes present in a failure body (in any Error entry)."""
    found: list[str] = []
    for entry in _error_entries(body):
        if isinstance(entry, dict):
            found.extend(k for k in attributes if k in entry and k not in found)
    return found


def check_no_success_attributes(
    body: Any, attributes: tuple[str, ...] = POQ_SUCCESS_ATTRIBUTES, what: str = "failure",
    status: int | None = None,
) -> Result:
    """R35/R41/R63/R69/R86 (create, retrieve), R79 (list): nothing but the response code.

    ``status`` (when known) must be a failure code: these IDs say nothing about successes,
    so an accepted request is no breach of them. With neither a status nor a body nothing
    was observed."""
    if status is not None and status < 400:
        return untested(f"HTTP {status}: not a failure response (these IDs judge failures)")
    if status is None and body is None:
        return untested(f"no {what} response body observed")
    leaked = leaked_attributes(body, attributes)
    if leaked:
        return failed(f"the {what} response carries success attributes {leaked}")
    if isinstance(body, list) and any(
        isinstance(e, dict) and "code" not in e and ("id" in e or "state" in e) for e in body
    ):
        return failed(f"the {what} response carries POQ records")
    return passed(f"the {what} response carries no success attributes")


def check_too_many_records(status: int | None, body: Any, agreed_limit: int | None) -> Result:
    """8.3.3.3 path 3 (R80/R78): too many records gives an empty list, an agreed number of

    records, or (v8 R58) an Error422 ``tooManyRecords``."""
    if status is None:
        return untested(NO_RESPONSE)
    if status == 422:
        codes = [e.get("code") for e in _error_entries(body) if isinstance(e, dict)]
        if "tooManyRecords" in codes:
            return passed("HTTP 422 tooManyRecords")
        return failed(f"HTTP 422 with codes {codes}, expected tooManyRecords")
    if status == 200 and isinstance(body, list):
        if not body:
            return passed("empty list for too many records")
        if agreed_limit is None or len(body) <= agreed_limit:
            return passed(f"{len(body)} records (within the agreed number)")
        return failed(f"{len(body)} records, more than the agreed {agreed_limit}")
    return failed(f"HTTP {status} for too many records")


__all__ = [
    "HUB_SUCCESS_ATTRIBUTES",
    "LIST_ROW_ATTRIBUTES",
    "OPERATIONS",
    "POQ_SUCCESS_ATTRIBUTES",
    "SETUP_ERRORS",
    "check_error_body",
    "check_is_failure",
    "check_no_success_attributes",
    "check_rejected_as_invalid",
    "check_seller_response_code",
    "check_too_many_records",
    "leaked_attributes",
    "response_codes",
]
