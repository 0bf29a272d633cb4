"""POQ-level attributes of create and retrieve responses (Tables 12, 14, 19, 21; R29-R33,
R38-R40, R56-R61, R66-R67, R85).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from harness.checks._result import Result, failed, joined, passed
from harness.checks.listing import parse_instant
from schemas.dialect import Dialect

SELLER_CONTACT = "sellerContactInformation"


def check_poq_id(poq: Any) -> Result:
    """R29/R38/R56/R66/R85: a successful response names the POQ identifier."""
    value = poq.get("id") if isinstance(poq, dict) else None
    if not isinstance(value, str) or not value.strip():
        return failed(f"POQ identifier is {value!r}")
    return passed(f"POQ identifier {value}")


def check_poq_state_is(poq: Any, dialect: Dialect, expected: str) -> Result:
    """R30/R57 (ACKNOWLEDGED), R39 (READY): the POQ state is ``expected``."""
    wire = poq.get("state") if isinstance(poq, dict) else None
    mef = dialect.mef_poq_state(wire)
    if mef != expected:
        return failed(f"POQ state {wire!r} ({mef}), expected {expected}")
    return passed(f"POQ state {wire} ({expected})")


def check_poq_state_present(poq: Any, dialect: Dialect) -> Result:
    """R60/R67/R85: the POQ state is given and is a state of the dialect."""
    wire = poq.get("state") if isinstance(poq, dict) else None
    if dialect.mef_poq_state(wire) is None:
        return failed(f"POQ state {wire!r} is not a {dialect.api} POQ state")
    return passed(f"POQ state {wire}")


def creation_date_of(poq: Any, dialect: Dialect) -> str | None:
    """The POQ create date: v8 ``creationDate``; v7 has none, its first ``stateChange``

    entry dates the creation when the seller keeps the (optional) log."""
    if not isinstance(poq, dict):
        return None
    if dialect.has_creation_date:
        value = poq.get("creationDate")
        return value if parse_instant(value) else None
    log = poq.get("stateChange")
    if isinstance(log, list) and log and isinstance(log[0], dict):
        value = log[0].get("changeDate")
        return value if parse_instant(value) else None
    return None


def check_creation_date(poq: Any, dialect: Dialect) -> Result:
    """R33/R38/R60/R66/R85: the POQ create date is given (a date-time)."""
    value = creation_date_of(poq, dialect)
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
    items = poq.get("productOfferingQualificationItem") if isinstance(poq, dict) else None
    if not isinstance(items, list) or not items:
        return failed("productOfferingQualificationItem missing or empty")
    return passed(f"{len(items)} POQ items")


def check_expected_completion(poq: Any) -> Result:
    """Table 12/19: a deferred acknowledgement gives the expected completion date."""
    value = poq.get("expectedPOQCompletionDate") if isinstance(poq, dict) else None
    if parse_instant(value) is None:
        return failed(f"expectedPOQCompletionDate is {value!r}")
    return passed(f"expected completion {value}")


def check_unique_ids(ids: Iterable[Any]) -> Result:
    """R32/R59: POQ identifiers are unique within the seller (across every POQ created)."""
    counted = Counter(ids)
    dupes = sorted(str(i) for i, n in counted.items() if n > 1)
    if dupes:
        return failed(f"POQ ids given to more than one POQ: {dupes}")
    return passed(f"{len(counted)} POQ ids, all distinct")


def state_log(obj: Mapping[str, Any], translate: Any) -> list[str | None]:
    """MEF states of a ``stateChange`` log, in the order given."""
    log = obj.get("stateChange")
    if not isinstance(log, list):
        return []
    return [translate(entry.get("state")) for entry in log if isinstance(entry, dict)]


__all__ = [
    "SELLER_CONTACT",
    "check_creation_date",
    "check_expected_completion",
    "check_items_present",
    "check_poq_id",
    "check_poq_state_is",
    "check_poq_state_present",
    "check_seller_contact",
    "check_unique_ids",
    "contacts",
    "creation_date_of",
    "state_log",
]
