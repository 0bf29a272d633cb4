"""POQ-level attributes of create and retrieve responses (Tables 12, 14, 19, 21; R29-R33,
R38-R40, R56-R61, R66-R67, R85).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from harness.checks._result import Result, failed, inapplicable, joined, passed, untested
from harness.checks.listing import parse_instant
from schemas.dialect import READY, Dialect

SELLER_CONTACT = "sellerContactInformation"
NO_BODY = "no POQ body observed"


def _absent(poq: Any) -> Result | None:
    return untested(NO_BODY) if poq is None else None


def check_poq_id(poq: Any) -> Result:
    """R29/R38/R56/R66/R85: a successful response names the POQ identifier."""
    if (absent := _absent(poq)) is not None:
        return absent
    value = poq.get("id") if isinstance(poq, dict) else None
    if not isinstance(value, str) or not value.strip():
        return failed(f"POQ identifier is {value!r}")
    return passed(f"POQ identifier {value}")


def check_poq_state_is(poq: Any, dialect: Dialect, expected: str) -> Result:
    """R30/R57 (ACKNOWLEDGED), R39 (READY): the POQ state is ``expected``."""
    if (absent := _absent(poq)) is not None:
        return absent
    wire = poq.get("state") if isinstance(poq, dict) else None
    mef = dialect.mef_poq_state(wire)
    if mef != expected:
        return failed(f"POQ state {wire!r} ({mef}), expected {expected}")
    return passed(f"POQ state {wire} ({expected})")


def check_poq_state_present(poq: Any, dialect: Dialect) -> Result:
    """R60/R67/R85: the POQ state is given and is a state of the dialect."""
    if (absent := _absent(poq)) is not None:
        return absent
    wire = poq.get("state") if isinstance(poq, dict) else None
    if dialect.mef_poq_state(wire) is None:
        return failed(f"POQ state {wire!r} is not a {dialect.api} POQ state")
    return passed(f"POQ state {wire}")


def chronological(log: Any) -> list[dict[str, Any]]:
    """The entries of a ``stateChange`` log oldest first. The order of the log is the
    seller's choice (MAPPING.md): a log whose dates only ever fall is read backwards, any
    other is sorted by ``changeDate`` (entries of one instant keep the seller's order). A
    log with an undated entry is kept as given."""
    entries = [e for e in log if isinstance(e, dict)] if isinstance(log, list) else []
    stamps = [d for d in (parse_instant(e.get("changeDate")) for e in entries) if d]
    if not entries or len(stamps) != len(entries):
        return entries
    if stamps[0] != stamps[-1] and all(a >= b for a, b in pairwise(stamps)):
        return entries[::-1]  # newest first
    return [entries[n] for n in sorted(range(len(entries)), key=stamps.__getitem__)]


def creation_date_of(poq: Any, dialect: Dialect) -> str | None:
    """The POQ create date: v8 ``creationDate``; v7 has none, its earliest ``stateChange``

    entry dates the creation when the seller keeps the (optional) log."""
    if not isinstance(poq, dict):
        return None
    if dialect.has_creation_date:
        value = poq.get("creationDate")
        return value if parse_instant(value) else None
    log = chronological(poq.get("stateChange"))
    if log:
        value = log[0].get("changeDate")
        return value if parse_instant(value) else None
    return None


def check_creation_date(poq: Any, dialect: Dialect) -> Result:
    """R33/R38/R60/R66/R85: the POQ create date is given (a date-time).

    v7 has no create date attribute: its record is the first entry of the optional
    ``stateChange`` log, so a v7 POQ without a log cannot show it (not_applicable)."""
    if (absent := _absent(poq)) is not None:
        return absent
    value = creation_date_of(poq, dialect)
    if value is None and not dialect.has_creation_date and isinstance(poq, dict) and (
            not poq.get("stateChange")):
        return inapplicable("v7 has no POQ create date and the seller keeps no (optional) "
                            "stateChange log to date the creation")
    if value is None:
        where = "creationDate" if dialect.has_creation_date else "stateChange[0].changeDate"
        got = poq.get("creationDate") if isinstance(poq, dict) else None
        return failed(f"no POQ create date ({where}; got {got!r})")
    return passed(f"POQ created {value}")


def contacts(poq: Any, role: str) -> list[dict[str, Any]]:
    entries = poq.get("relatedContactInformation") if isinstance(poq, dict) else None
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("role") == role]


def check_seller_contact(poq: Any) -> Result:
    """R38/R66 with R22: at least one seller contact with name, phone number and email.

    Several seller contacts are legal; each must be complete."""
    if (absent := _absent(poq)) is not None:
        return absent
    found = contacts(poq, SELLER_CONTACT)
    if not found:
        return failed("no relatedContactInformation entry with role=sellerContactInformation")
    problems = [
        f"seller contact {index} lacks {key}"
        for index, entry in enumerate(found)
        for key in ("name", "number", "emailAddress")
        if not isinstance(entry.get(key), str) or not entry.get(key)
    ]
    return joined(problems, f"{len(found)} seller contact(s) with name, number and email")


def check_items_present(poq: Any) -> Result:
    """R38/R66/R85: the response lists the POQ items."""
    if (absent := _absent(poq)) is not None:
        return absent
    items = poq.get("productOfferingQualificationItem") if isinstance(poq, dict) else None
    if not isinstance(items, list) or not items:
        return failed("productOfferingQualificationItem missing or empty")
    return passed(f"{len(items)} POQ items")


def check_expected_completion(poq: Any) -> Result:
    """Table 12/19: a deferred acknowledgement gives the expected completion date."""
    if (absent := _absent(poq)) is not None:
        return absent
    value = poq.get("expectedPOQCompletionDate") if isinstance(poq, dict) else None
    if parse_instant(value) is None:
        return failed(f"expectedPOQCompletionDate is {value!r}")
    return passed(f"expected completion {value}")


def check_unique_ids(ids: Iterable[Any]) -> Result:
    """R32/R59: POQ identifiers are unique within the seller (across every POQ created)."""
    counted = Counter(ids)
    if sum(counted.values()) < 2:
        return untested("fewer than two POQ ids: nothing to compare")
    dupes = sorted(str(i) for i, n in counted.items() if n > 1)
    if dupes:
        return failed(f"POQ ids given to more than one POQ: {dupes}")
    return passed(f"{len(counted)} POQ ids, all distinct")


def state_log(obj: Mapping[str, Any], translate: Any) -> list[str | None]:
    """MEF states of a ``stateChange`` log, oldest first (see :func:`chronological`)."""
    return [translate(entry.get("state"))
            for entry in chronological(obj.get("stateChange"))]


def check_answered_at_once(request: Mapping[str, Any], poq: Any, dialect: Dialect) -> Result:
    """O5: a request that allowed a Deferred Response answered at once (READY in the create
    response); pass only when seen."""
    if request.get("instantSyncQualification") is True:
        return untested("the request asked for an Immediate Response only")
    if (absent := _absent(poq)) is not None:
        return absent
    state = dialect.mef_poq_state(poq.get("state")) if isinstance(poq, dict) else None
    if state != READY:
        return untested(f"the create response is {state}, not an Immediate Response")
    return passed("a request that allowed a Deferred Response was answered READY at once")


__all__ = [
    "SELLER_CONTACT",
    "check_answered_at_once",
    "check_creation_date",
    "check_expected_completion",
    "check_items_present",
    "check_poq_id",
    "check_poq_state_is",
    "check_poq_state_present",
    "check_seller_contact",
    "check_unique_ids",
    "chronological",
    "contacts",
    "creation_date_of",
    "state_log",
]
