"""Evidence of a run: every HTTP exchange with the Seller (``ex-N``) and every notification
the Buyer listener received (``nt-N``), recorded without secrets, bodies bounded in size.

Checks cite evidence by id; the results document carries the records.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from harness import safejson

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
SENSITIVE_KEYS = frozenset(
    {"access_token", "refresh_token", "id_token", "client_secret", "password", "token"}
)
DEFAULT_RECORD_CHARS = 65536
# Per run: body characters recorded as evidence before each further body is cut short, and
# bytes of large bodies (from RELEASE_MIN_BYTES up) kept parsed for checks before those of
# finished tests are let go, oldest first.
RUN_RECORD_CHARS = 32 * 1024 * 1024
SMALL_RECORD_CHARS = 2048
RUN_PARSED_BYTES = 8 * 1024 * 1024
RELEASE_MIN_BYTES = 64 * 1024
RELEASED = "parsed body released (run memory bound); the record above is what remains"


def now_rfc3339() -> str:
    """Current UTC time, RFC 3339 with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def truncation_marker(dropped: int) -> str:
    return f"...[truncated: {dropped} more characters]"


@dataclass(slots=True)
class Body:
    """A body as recorded (``recorded``) and as parsed for checks (``json``); ``text`` is
    the decoded body up to the recording limit; ``problem`` says why JSON was not parsed."""

    recorded: Any = None
    json: Any = None
    text: str | None = None
    is_json: bool = False
    truncated: bool = False
    problem: str | None = None


def read_body(raw: bytes | None, content_type: str | None, limit_chars: int) -> Body:
    """Parse JSON when the body is JSON (whatever the header says), else keep text; cap the
    recorded form at ``limit_chars`` with a marker so huge bodies cannot bloat results.
    JSON nested deeper than :data:`harness.safejson.MAX_DEPTH` is not parsed (``problem``)."""
    if not raw:
        return Body()
    text = raw.decode("utf-8", errors="replace")
    kept, truncated = _bounded(text, limit_chars)
    ctype = (content_type or "").lower()
    if "json" in ctype or _JSON_START.match(text):
        try:
            parsed = safejson.loads(text)
        except safejson.TooDeep as exc:
            return Body(recorded=kept, text=kept, truncated=truncated, problem=str(exc))
        except ValueError:
            pass
        else:
            return Body(recorded=kept if truncated else parsed, json=parsed, text=kept,
                        is_json=True, truncated=truncated)
    return Body(recorded=kept, text=kept, truncated=truncated)


_JSON_START = re.compile(r"\s*[\[{]")


def _bounded(text: str, limit_chars: int) -> tuple[str, bool]:
    if len(text) <= limit_chars:
        return text, False
    return text[:limit_chars] + truncation_marker(len(text) - limit_chars), True


@dataclass(slots=True)
class Exchange:
    """One request to the Seller and what came back (or why nothing did)."""

    id: str
    test: str | None
    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None
    latency_ms: float | None = None
    started: str = ""
    error: str | None = None
    truncated: bool = False
    json: Any = None  # full parsed response body for checks; not serialized
    text: str | None = None  # decoded response text up to the recording limit; not serialized
    released: bool = False  # ``json`` dropped to bound the run's memory

    @property
    def ok(self) -> bool:
        """A 2xx answer arrived."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def is_json(self) -> bool:
        return self.json is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "test": self.test,
            "method": self.method,
            "url": self.url,
            "request": {"headers": self.request_headers, "body": self.request_body},
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "headers": self.response_headers,
                "body": self.response_body,
            },
            "latency_ms": self.latency_ms,
            "started": self.started,
            "error": self.error,
            "truncated": self.truncated,
            **({"note": RELEASED} if self.released else {}),
        }


@dataclass(slots=True)
class Notification:
    """One notification POSTed to the Buyer listener."""

    id: str
    test: str | None
    path: str
    received: str
    monotonic: float
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    error: str | None = None
    truncated: bool = False
    source: str | None = None  # the sender's IP address
    foreign: bool = False  # not from this run's Seller: kept as evidence, never judged
    json: Any = None  # full parsed body; not serialized
    released: bool = False

    @property
    def event_type(self) -> str | None:
        return self.json.get("eventType") if isinstance(self.json, dict) else None

    @property
    def event(self) -> dict[str, Any]:
        ev = self.json.get("event") if isinstance(self.json, dict) else None
        return ev if isinstance(ev, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "test": self.test,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "received": self.received,
            "headers": self.headers,
            "body": self.body,
            "error": self.error,
            "truncated": self.truncated,
            "source": self.source,
            "foreign": self.foreign,
            **({"note": RELEASED} if self.released else {}),
        }


class Recorder:
    """Thread-safe store of exchanges and notifications with run-wide ids; scrubs secrets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters = {"ex": 0, "nt": 0}
        self.exchanges: list[Exchange] = []
        self.notifications: list[Notification] = []
        self._secrets: set[str] = set()
        self.current_test: str | None = None
        self.recorded_chars = 0
        self.parsed_bytes = 0
        self._parsed: deque[tuple[Exchange | Notification, int]] = deque()

    def record_limit(self, wanted: int) -> int:
        """Characters of a body to record now: ``wanted`` until the run's recording budget
        is spent, then a short prefix (the marker says how much was cut)."""
        return wanted if self.recorded_chars < RUN_RECORD_CHARS else min(wanted,
                                                                         SMALL_RECORD_CHARS)

    def account(self, item: Exchange | Notification, size: int, recorded_chars: int) -> None:
        """Count a body of ``size`` bytes against the run's budgets. Past the parsed-body
        budget, large bodies of finished tests give up their parsed form, oldest first; a
        large notification beyond it (a flood within one test) keeps only its record."""
        with self._lock:
            self.recorded_chars += recorded_chars
            if item.json is None or size < RELEASE_MIN_BYTES:
                return
            self._parsed.append((item, size))
            self.parsed_bytes += size
            kept: deque[tuple[Exchange | Notification, int]] = deque()
            while self.parsed_bytes > RUN_PARSED_BYTES and self._parsed:
                old, old_size = self._parsed.popleft()
                if old is not item and old.test is not None and old.test == self.current_test:
                    kept.append((old, old_size))
                    continue
                if old is item and isinstance(item, Exchange):
                    kept.append((old, old_size))  # a check is about to read it
                    continue
                old.json, old.released = None, True
                self.parsed_bytes -= old_size
            self._parsed.extendleft(reversed(kept))

    def add_secret(self, value: str | None) -> None:
        """Remember a secret value so it is masked wherever it would be recorded."""
        if value and len(value) >= 4:
            self._secrets.add(value)

    def next_id(self, prefix: str) -> str:
        with self._lock:
            self._counters[prefix] += 1
            return f"{prefix}-{self._counters[prefix]}"

    def add_exchange(self, exchange: Exchange) -> Exchange:
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def add_notification(self, notification: Notification) -> Notification:
        with self._lock:
            self.notifications.append(notification)
        return notification

    def exchange(self, ex_id: str) -> Exchange | None:
        return next((e for e in self.exchanges if e.id == ex_id), None)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with credentials masked."""
        out: dict[str, str] = {}
        for name, value in headers.items():
            low = name.lower()
            sensitive = low in SENSITIVE_HEADERS or "token" in low or "secret" in low
            out[name] = MASK if sensitive else self.scrub(value)
        return out

    def scrub(self, value: Any) -> Any:
        """Mask secret keys and known secret values in strings, dicts and lists."""
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {
                k: MASK if str(k).lower() in SENSITIVE_KEYS else self.scrub(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value

    def snapshot(self) -> tuple[list[Exchange], list[Notification]]:
        with self._lock:
            return list(self.exchanges), list(self.notifications)


def evidence_ids(items: Iterable[Any]) -> list[str]:
    """Normalise evidence (Exchange, Notification, id strings, None) to a list of ids."""
    ids: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, str):
            ids.append(item)
        elif hasattr(item, "id") and isinstance(item.id, str):
            ids.append(item.id)
        else:
            raise TypeError(f"evidence must be an exchange, a notification or an id: {item!r}")
    return ids


__all__ = [
    "MASK",
    "Body",
    "Exchange",
    "Notification",
    "Recorder",
    "evidence_ids",
    "now_rfc3339",
    "read_body",
    "truncation_marker",
]
