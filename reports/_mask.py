"""Mask secrets in recorded exchanges before they reach a report a vendor hands out.

The harness keeps secrets out of results.json already; this is the second lock, so a
report never shows a bearer token even from a document written by another tool.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "is_secret_name", "mask_body", "mask_headers", "mask_url"]

MASK = "***"
_SECRET_WORDS = (
    "authorization",
    "cookie",
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "signature",
    "sessionid",
)
_NORMALISE = re.compile(r"[^a-z0-9]")


def is_secret_name(name: object) -> bool:
    """True for a header, field or query name that usually carries a secret."""
    key = _NORMALISE.sub("", str(name).lower())
    return any(word in key for word in _SECRET_WORDS)


def mask_headers(headers: object) -> dict[str, Any]:
    """Headers with secret values replaced; a non-mapping yields an empty mapping."""
    if not isinstance(headers, dict):
        return {}
    return {str(k): (MASK if is_secret_name(k) else v) for k, v in headers.items()}


def mask_body(body: Any, _depth: int = 0) -> Any:
    """A JSON value with the values of secret-named keys replaced, at any depth."""
    if _depth > 64:
        return body
    if isinstance(body, dict):
        return {
            k: (MASK if is_secret_name(k) and v not in (None, "") else mask_body(v, _depth + 1))
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [mask_body(v, _depth + 1) for v in body]
    return body


def mask_url(url: object) -> str:
    """A URL with secret query parameters and any userinfo password masked."""
    text = "" if url is None else str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            query = urlencode([(k, MASK if is_secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
