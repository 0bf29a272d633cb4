"""The request log of ``/_mock/requests``, bounded whatever a client sends.

Anyone can reach the API of a shared sandbox, so what one request leaves behind is capped:
an entry keeps at most ``MAX_QUERY_KEYS`` query parameters with short names and values and a
truncated path (``truncated: true`` says so), and the log as a whole is capped by bytes as well
as by entries. Noise is counted, not kept: requests refused for missing or wrong credentials
(401) and requests to no API path.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any

from mock_seller.core.timeutil import format_datetime

MAX_ENTRIES = 1000
MAX_BYTES = 2 * 1024 * 1024
MAX_QUERY_KEYS = 20
MAX_VALUES_PER_KEY = 5
MAX_TEXT = 256
MAX_PATH = 512
SECRET_KEYS = frozenset({"client_secret", "access_token", "token", "password", "apikey",
                         "api_key"})


@dataclass(slots=True)
class ApiRequest:
    """One API request as the log keeps it: the facts, written out as a log entry (its time
    formatted) only when the log is read, which is rare; every request adds one."""

    when: datetime
    method: str
    path: str
    query: dict[str, Any]
    status: int
    endpoint: str
    buyer: str | None
    seller: str | None
    latency_ms: float | None
    truncated: bool = False

    def entry(self) -> dict[str, Any]:
        out = {"time": format_datetime(self.when), "method": self.method, "path": self.path,
               "query": self.query, "status": self.status, "endpoint": self.endpoint,
               "buyer": self.buyer, "seller": self.seller, "latency_ms": self.latency_ms}
        if self.truncated:
            out["truncated"] = True
        return out

    def cost(self) -> int:
        """``len(json.dumps(self.entry(), default=str))``, counted without writing it.
        JSON escapes a string character by character, so the strings are escaped joined,
        in one call: an entry is added on every request."""
        strings = self.method + self.path + self.endpoint
        more = 4  # the quotes of two of those three
        for party in (self.buyer, self.seller):
            if type(party) is str:
                strings += party
                more += 2
            else:
                more += 4 if party is None else _json_len(party)
        return (_ENTRY_FRAME + _TIME_LENGTH + more + len(_json_str(strings))
                + (2 if not self.query else _json_len(self.query)) + _json_len(self.status)
                + _json_len(self.latency_ms) + (_TRUNCATED_LENGTH if self.truncated else 0))


#: The entry's JSON less its values: braces, the names, ": " and ", " between them.
_ENTRY_FRAME = len(json.dumps(dict.fromkeys(("time", "method", "path", "query", "status",
                                             "endpoint", "buyer", "seller", "latency_ms"),
                                            0))) - 9
_TIME_LENGTH = len('"2024-11-07T10:39:26.245Z"')  # format_datetime: always this long
_TRUNCATED_LENGTH = len(', "truncated": true')


def _json_len(value: Any) -> int:
    if value is None:
        return 4
    if type(value) is str:
        return len(_json_str(value))
    if type(value) in (int, float):
        return len(repr(value)) if value == value and abs(value) != float("inf") else \
            len(json.dumps(value))
    if not value and type(value) is dict:
        return 2
    return len(json.dumps(value, default=str))


class RequestLog:
    """Ring buffer of the API requests served (newest last), within ``size`` entries and
    about ``max_bytes`` of JSON. ``total`` counts every request seen, ``unlogged`` those only
    counted (noise)."""

    def __init__(self, size: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries: deque[tuple[dict[str, Any] | ApiRequest, int]] = deque()
        self._lock = threading.Lock()
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.total = 0
        self.unlogged = 0

    def add(self, entry: dict[str, Any] | ApiRequest) -> None:
        cost = entry.cost() if isinstance(entry, ApiRequest) else len(json.dumps(entry,
                                                                                default=str))
        with self._lock:
            self.total += 1
            if cost > self.max_bytes:
                self.unlogged += 1
                return
            self._entries.append((entry, cost))
            self.bytes += cost
            while len(self._entries) > self.size or self.bytes > self.max_bytes:
                _, dropped = self._entries.popleft()
                self.bytes -= dropped

    def count(self) -> None:
        """A request seen and not kept (noise)."""
        with self._lock:
            self.total += 1
            self.unlogged += 1

    def entries(self, limit: int | None = None, buyer: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            kept = [entry for entry, _ in self._entries]
        rows = [e.entry() if isinstance(e, ApiRequest) else e for e in kept]
        if buyer is not None:
            rows = [r for r in rows if r.get("buyer") == buyer]
        return rows[-limit:] if limit else rows

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


def _cut(text: str, limit: int = MAX_TEXT) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit] + "...", True)


def bounded_query(pairs: Iterable[tuple[str, list[str]]]) -> tuple[dict[str, Any], bool]:
    """The first ``MAX_QUERY_KEYS`` parameters, names and values cut to ``MAX_TEXT``
    characters, secrets masked; True when anything was left out."""
    out: dict[str, Any] = {}
    truncated = False
    for key, values in pairs:
        if len(out) >= MAX_QUERY_KEYS:
            return out, True
        name, cut_name = _cut(key, 64)
        if name.lower() in SECRET_KEYS:
            kept: list[str] = ["***"]
            cut_values = False
        else:
            shown = [_cut(v) for v in values[:MAX_VALUES_PER_KEY]]
            kept = [v for v, _ in shown]
            cut_values = len(values) > MAX_VALUES_PER_KEY or any(c for _, c in shown)
        out[name] = kept[0] if len(kept) == 1 else kept
        truncated = truncated or cut_name or cut_values
    return out, truncated


def bounded_path(path: str) -> tuple[str, bool]:
    return _cut(path, MAX_PATH)


__all__ = ["MAX_BYTES", "MAX_ENTRIES", "ApiRequest", "RequestLog", "bounded_path", "bounded_query"]
