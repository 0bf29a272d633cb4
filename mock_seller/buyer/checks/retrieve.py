"""Retrieve by identifier (R82) and list (O15, permitted filters)."""

from __future__ import annotations

from collections.abc import Iterable

from mock_seller.buyer.checks.findings import Finding, failed, is_text, passed

LIST_FILTERS = ("state", "projectId", "externalId", "requestedPOQCompletionDate.gt",
                "requestedPOQCompletionDate.lt", "creationDate.gt", "creationDate.lt",
                "buyerId", "sellerId")


def check_retrieve(poq_id: str | None) -> list[Finding]:
    """R82: the POQ identifier is named (not blank). An id the seller never issued, or one
    with odd characters, is still named: the 404 that follows is information, not a buyer
    violation."""
    if not is_text(poq_id):
        return [failed("R82", "/id", "GET /productOfferingQualification/{id} names the POQ "
                       "identifier", "missingProperty", blocking=True)]
    return [_NAMED]


#: the same finding for every id (the id is in the URL a report shows with it): the record
#: counts exchanges with equal findings together, so a finding naming the id would make
#: each POQ retrieved a group of its own
_NAMED = passed("R82", "/id", "the POQ identifier is named")


def check_list(keys: Iterable[str]) -> list[Finding]:
    """O15: filters used when listing (permitted, never a failure)."""
    used = sorted({k for k in keys if k in LIST_FILTERS})
    if not used:
        return []
    return [passed("O15", "", "list filters used: " + ", ".join(used))]
