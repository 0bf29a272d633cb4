"""The operations of the POQ API and the HTTP statuses each dialect's OpenAPI document
defines for them: what a Seller Response Code may be (the harness judges it; the mock seller
answers with one)."""

from __future__ import annotations

from functools import cache

# Operation name -> (method, path) of the dialect's OpenAPI document.
OPERATIONS: dict[str, tuple[str, str]] = {
    "create": ("post", "/productOfferingQualification"),
    "list": ("get", "/productOfferingQualification"),
    "retrieve": ("get", "/productOfferingQualification/{id}"),
    "register": ("post", "/hub"),
    "hub_get": ("get", "/hub/{id}"),
    "unregister": ("delete", "/hub/{id}"),
}


@cache
def response_codes(api: str, operation: str) -> frozenset[int]:
    """The HTTP statuses the dialect's API defines for ``operation`` (empty when it has no
    such operation, e.g. v7 ``hub_get``)."""
    from schemas.validation import openapi_document

    method, path = OPERATIONS[operation]
    op = openapi_document(api).get("paths", {}).get(path, {}).get(method) or {}
    return frozenset(int(code) for code in op.get("responses", {}) if str(code).isdigit())


__all__ = ["OPERATIONS", "response_codes"]
