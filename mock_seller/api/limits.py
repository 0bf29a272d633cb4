"""Hostile-input limits of the mock seller's request bodies.

A sandbox seller faces buyers' bugs and fuzzers, so every body is read strictly before any
business logic sees it: a size cap (413), UTF-8 only, RFC 8259 JSON only (no NaN/Infinity
literals, no duplicate member names, no lone surrogates), and bounded depth, string length and
node count (400 ``invalidBody``). Each refusal is a MEF Error body naming what is wrong, never a
traceback or an HTML page. The caps come from the scenario's optional ``limits`` key.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request
from flask.ctx import _AppCtxGlobals
from werkzeug.http import parse_options_header

from mock_seller.api.current import current_g
from mock_seller.api.errors import ApiError, bad_request

#: Defaults: generous for real POQs (a 1,000-item request is ~1 MB), tight for abuse.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_STRING_LENGTH = 65_536
DEFAULT_MAX_NODES = 200_000


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on one request body (scenario key ``limits``)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_string_length: int = DEFAULT_MAX_STRING_LENGTH
    max_nodes: int = DEFAULT_MAX_NODES

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> Limits:
        raw = raw or {}
        return cls(
            max_body_bytes=int(raw.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            max_depth=int(raw.get("max_depth", DEFAULT_MAX_DEPTH)),
            max_string_length=int(raw.get("max_string_length", DEFAULT_MAX_STRING_LENGTH)),
            max_nodes=int(raw.get("max_nodes", DEFAULT_MAX_NODES)),
        )


class BodyTooLarge(ApiError):
    """413 with a MEF Error body (the app-wide handler maps werkzeug's 413 the same way)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_body(limit))


def too_large_body(limit: int | None) -> dict[str, str]:
    size = f" of {limit} bytes" if limit else ""
    return {"code": "invalidBody", "reason": f"The request body is larger than the limit{size}",
            "message": "Send a smaller body (scenario key limits.max_body_bytes)"}


def install(app: Flask, limits: Limits) -> None:
    """Let werkzeug enforce the size cap while reading (also for chunked bodies)."""
    app.config["MAX_CONTENT_LENGTH"] = limits.max_body_bytes


def transport_cap(limit: int | None) -> int:
    """The waitress body cap: above ours, so a moderately oversized body still reaches the app;
    absurd ones are cut off by waitress without being read (``json_transport_errors``)."""
    base = limit or DEFAULT_MAX_BODY_BYTES
    return max(4 * base, base + 1024 * 1024)


def json_transport_errors(ident: str) -> None:
    """Waitress answers a few errors itself, before the app runs (a body far over the cap,
    broken chunked encoding, oversized headers): for the server named ``ident`` those become
    MEF Error JSON too. Other waitress servers in the process keep the plain-text answers."""
    from waitress import utilities

    original = utilities.Error.to_response
    if getattr(original, "poq_idents", None) is not None:
        original.poq_idents.add(ident)  # type: ignore[attr-defined]
        return
    idents = {ident}

    def to_response(self: Any, ident: str | None = None) -> tuple[str, list[Any], bytes]:
        if ident not in idents:
            return original(self, ident)  # type: ignore[no-any-return]
        code = ("invalidBody" if self.code in (400, 413)
                else "internalError" if self.code >= 500 else "invalidRequest")
        body = json.dumps({"code": code, "reason": str(self.reason)[:255],
                           "message": str(self.body)[:500]}).encode()
        return (f"{self.code} {self.reason}",
                [("Content-Type", "application/json;charset=utf-8")], body)

    to_response.poq_idents = idents  # type: ignore[attr-defined]
    utilities.Error.to_response = to_response  # type: ignore[method-assign]


_JSON_SUBTYPES = ("application/json",)


def check_content_type(request: Request) -> None:
    """JSON media type, and UTF-8 if a charset is given (RFC 8259 section 8.1)."""
    problem = _content_type_problem(request.headers.get("Content-Type"))
    if problem is not None:
        raise bad_request("invalidBody", *problem)


@functools.lru_cache(maxsize=64)
def _content_type_problem(content_type: str | None) -> tuple[str, str] | None:
    """(reason, message) of a refused Content-Type, parsed as ``request.mimetype`` and
    ``mimetype_params`` parse it; cached, as clients send the same few headers over and over."""
    parsed, params = parse_options_header(content_type or "")
    mimetype = parsed.lower()
    if mimetype not in _JSON_SUBTYPES and not mimetype.endswith("+json"):
        return "Content-Type must be application/json", f"got {content_type or 'no Content-Type'}"
    charset = (params.get("charset") or "utf-8").strip().lower()
    if charset not in ("utf-8", "utf8"):
        return "JSON bodies must be UTF-8", f"Content-Type names charset {charset!r}"
    return None


def read_body(request: Request, limits: Limits) -> bytes:
    """The raw body, read under the cap of the scenario in force now (it may have been switched
    at run time; ``install`` only set the app-wide default)."""
    request.max_content_length = limits.max_body_bytes
    raw = request.get_data(cache=False)
    current_g().poq_raw_body = raw
    return raw


def body_read(request_g: _AppCtxGlobals | None = None) -> bytes | None:
    """The bytes ``read_body`` read for this request, if it ran (the buyer record keeps them
    rather than a re-serialised copy). ``request_g``: the request's ``g``, when the caller
    holds it already."""
    return vars(current_g() if request_g is None else request_g).get("poq_raw_body")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate member name {key[:60]!r} in one object")
            seen.add(key)
    return out


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: would be echoed as Infinity, which is not JSON
        raise ValueError(f"number {text[:40]} is out of range (RFC 8259 section 6)")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite,
                            object_pairs_hook=_no_duplicates)


def parse_json(raw: bytes, limits: Limits) -> Any:
    """Decode ``raw`` strictly, or raise a 400/413 ApiError saying what is wrong."""
    if len(raw) > limits.max_body_bytes:
        raise BodyTooLarge(limits.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("invalidBody", "The body is not valid UTF-8",
                          f"invalid byte at offset {exc.start}") from None
    if text.startswith("\ufeff"):
        raise bad_request("invalidBody", "The body starts with a byte order mark",
                          "JSON over HTTP is UTF-8 without a BOM")
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise _too_deep(limits) from None
    except ValueError as exc:  # JSONDecodeError, our hooks, integers too long to convert
        raise bad_request("invalidBody", "The body is not valid JSON", str(exc)[:300]) from None
    if _may_break_limits(raw, limits):
        problem = shape_problem(value, limits)
        if problem is not None:
            raise problem
    return value


def _may_break_limits(raw: bytes, limits: Limits) -> bool:
    """False when the raw size alone proves the walk would find nothing (the usual small body):
    no string or node count can exceed the byte count, lone surrogates need a ``\\u`` escape,
    and nesting needs as many brackets."""
    return (len(raw) > min(limits.max_string_length, limits.max_nodes)
            or b"\\u" in raw
            or raw.count(b"[") + raw.count(b"{") >= limits.max_depth)


def _too_deep(limits: Limits) -> ApiError:
    return bad_request("invalidBody", f"JSON nested deeper than {limits.max_depth} levels")


def shape_problem(value: Any, limits: Limits) -> ApiError | None:
    """Depth, node count, string length and lone surrogates, in one iterative walk."""
    nodes = 0
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, at = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            return bad_request("invalidBody", f"The body has more than {limits.max_nodes} JSON "
                               "values")
        if isinstance(node, str):
            bad = _string_problem(node, limits)
            if bad:
                return bad_request("invalidBody", f"{at or '/'}: {bad}")
        elif isinstance(node, (dict, list)):
            if depth >= limits.max_depth:
                return _too_deep(limits)
            if isinstance(node, dict):
                for key, child in node.items():
                    bad = _string_problem(key, limits)
                    where = f"{at}/{_escape(key)}"
                    if bad:
                        return bad_request("invalidBody", f"{where[:120]}: member name {bad}")
                    stack.append((child, depth + 1, where))
            else:
                stack.extend((child, depth + 1, f"{at}/{i}") for i, child in enumerate(node))
    return None


def _string_problem(text: str, limits: Limits) -> str | None:
    if len(text) > limits.max_string_length:
        return f"string longer than {limits.max_string_length} characters"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "string holds a lone surrogate (\\uD800-\\uDFFF escape without its pair)"
    return None


def _escape(key: str) -> str:
    return key[:60].replace("~", "~0").replace("/", "~1")


__all__ = [
    "BodyTooLarge",
    "body_read",
    "Limits",
    "check_content_type",
    "install",
    "json_transport_errors",
    "parse_json",
    "read_body",
    "shape_problem",
    "too_large_body",
    "transport_cap",
]
