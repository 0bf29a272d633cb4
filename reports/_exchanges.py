"""Turn recorded exchanges and notifications into the compact, masked, size-bounded records
the HTML report embeds as JSON and expands on demand.

A run with thousands of exchanges must still open quickly, so bodies share a character
budget: the largest are cut first (with a marker saying how much was kept), the rest stay
whole.
"""

from __future__ import annotations

import json
from typing import Any

from reports._mask import mask_body, mask_headers, mask_url

__all__ = ["BODY_BUDGET", "MAX_BODY", "embed_json", "prepare_records"]

TOTAL_BUDGET = 16_000_000  # characters of embedded records (the page stays under 20 MB)
BODY_BUDGET = 12_000_000  # at most this much of it body text, all exchanges together
MAX_BODY = 200_000  # no single body shows more than this
MIN_BODY = 1_024  # and the budget never cuts one below this


def _body_text(body: Any) -> tuple[str | None, bool]:
    """(text, is_json) of a recorded body; strings that are not JSON documents stay raw."""
    if body is None:
        return None, False
    if isinstance(body, str):
        return body, False
    return json.dumps(mask_body(body), ensure_ascii=False, separators=(",", ":")), True


def _cap_for(sizes: list[int], overhead: int = 0) -> int:
    """The largest per-body cap (within MIN..MAX) whose total fits the budget, once the
    rest of the records (``overhead``: URLs, headers, ...) has taken its share."""
    budget = max(min(BODY_BUDGET, TOTAL_BUDGET - overhead), BODY_BUDGET // 6)
    if sum(min(s, MAX_BODY) for s in sizes) <= budget:
        return MAX_BODY
    lo, hi = MIN_BODY, MAX_BODY
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(s, mid) for s in sizes) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _overhead(item: dict[str, Any]) -> int:
    """Rough size of a record without its bodies (headers, URL, fixed fields)."""
    size = 300 + len(str(item.get("url") or item.get("path") or "")) + len(str(item.get("test")))
    for part in (item.get("request"), item.get("response"), item):
        if isinstance(part, dict) and isinstance(part.get("headers"), dict):
            size += sum(len(str(k)) + len(str(v)) + 6 for k, v in part["headers"].items())
    return size


def _part(texts: dict[int, tuple[str | None, bool]], key: int, cap: int) -> dict[str, Any]:
    text, is_json = texts[key]
    if text is None:
        return {"body": None, "json": False, "size": 0, "cut": False}
    cut = len(text) > cap
    return {"body": text[:cap] if cut else text, "json": is_json, "size": len(text), "cut": cut}


def prepare_records(
    exchanges: list[dict[str, Any]], notifications: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Masked records of every exchange and notification, bodies truncated to the budget."""
    texts: dict[int, tuple[str | None, bool]] = {}
    sources: list[tuple[str, dict[str, Any]]] = []
    for ex in exchanges:
        sources.append(("ex", ex))
    for nt in notifications:
        sources.append(("nt", nt))
    for n, (kind, item) in enumerate(sources):
        if kind == "ex":
            texts[2 * n] = _body_text((item.get("request") or {}).get("body"))
            texts[2 * n + 1] = _body_text((item.get("response") or {}).get("body"))
        else:
            texts[2 * n] = _body_text(item.get("body"))
            texts[2 * n + 1] = (None, False)
    overhead = sum(_overhead(item) for _, item in sources)
    cap = _cap_for([len(t) for t, _ in texts.values() if t is not None], overhead)
    out_ex: list[dict[str, Any]] = []
    out_nt: list[dict[str, Any]] = []
    for n, (kind, item) in enumerate(sources):
        if kind == "ex":
            request = item.get("request") or {}
            response = item.get("response") or {}
            out_ex.append(
                {
                    "id": str(item.get("id", "")),
                    "test": item.get("test"),
                    "method": item.get("method"),
                    "url": mask_url(item.get("url")),
                    "started": item.get("started"),
                    "latency_ms": item.get("latency_ms"),
                    "error": item.get("error"),
                    "truncated": bool(item.get("truncated")),
                    "request": {
                        "headers": mask_headers(request.get("headers")),
                        **_part(texts, 2 * n, cap),
                    },
                    "response": {
                        "status": response.get("status"),
                        "headers": mask_headers(response.get("headers")),
                        **_part(texts, 2 * n + 1, cap),
                    },
                }
            )
        else:
            out_nt.append(
                {
                    "id": str(item.get("id", "")),
                    "test": item.get("test"),
                    "path": mask_url(item.get("path")),
                    "received": item.get("received"),
                    "headers": mask_headers(item.get("headers")),
                    **_part(texts, 2 * n, cap),
                }
            )
    return {"exchanges": out_ex, "notifications": out_nt}


def embed_json(value: Any) -> str:
    """JSON that is inert inside a <script type="application/json"> element.

    Escaping <, > and & means no body can close the element or open a comment; the
    browser's JSON.parse turns the escapes back into the original characters.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
