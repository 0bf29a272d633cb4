"""Bounded, thread-safe memory of what each Buyer sent and how it measured up.

Per buyer: the last ``max_exchanges`` exchanges (request, response, findings), per
requirement the counts and the most recent checks of each status (so a failure seen early
in a long session is still in the report), and per request kind whether a valid one was
seen (for the capability IDs R2, D1, D2). At most ``max_buyers`` buyers are kept; the one
seen longest ago goes first."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from werkzeug.datastructures import EnvironHeaders

from mock_seller.buyer.checks import Finding
from mock_seller.core import wire_json
from mock_seller.core.timeutil import format_datetime, utcnow

MAX_BODY_CHARS = 8_000
MAX_URL_CHARS = 2_048  # a 250 KB query string is kept as its first 2 KB
MAX_HEADERS = 50
#: Exchanges kept over all buyers together (bodies are cut at MAX_BODY_CHARS each).
MAX_TOTAL_EXCHANGES = 2_000
_SECRET_WORDS = ("authorization", "cookie", "token", "secret", "api-key", "apikey", "password")


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


@functools.lru_cache(maxsize=512)
def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def mask_headers(headers: Any) -> dict[str, str]:
    """Request/response headers with credentials masked (they never reach a report)."""
    out: dict[str, str] = {}
    for key, value in (headers.items() if hasattr(headers, "items") else headers):
        if len(out) >= MAX_HEADERS:
            break
        key = str(key)[:200]
        out[key] = "***" if _is_secret(key) else str(value)[:500]
    return out


def bounded_body(body: Any) -> tuple[Any, bool]:
    """The body as recorded: a private copy of the JSON, or text cut at MAX_BODY_CHARS."""
    if isinstance(body, str):
        text = body
    else:
        raw = wire_json.dumps(body)
        if len(raw) <= MAX_BODY_CHARS:  # bytes >= characters: short enough either way
            return wire_json.loads(raw), False
        text = raw.decode()
    if len(text) <= MAX_BODY_CHARS:
        return (body if isinstance(body, str) else wire_json.loads(text)), False
    return _cut(text, len(text))


def _cut(text: str, length: int) -> tuple[str, bool]:
    return text[:MAX_BODY_CHARS] + f"...[truncated: {length - MAX_BODY_CHARS} more " \
                                   "characters]", True


class Wire(NamedTuple):
    """A message as it crossed the wire, kept raw and decoded only when the record is read
    (a report, ``/_mock/buyer-report``): a buyer pays for its record in copies, not in JSON
    passes. ``body`` is the wire bytes (at most ``MAX_BODY_CHARS`` characters' worth, with
    ``size`` the full length) or a value the caller already made private (``bounded_body``).
    A named tuple: two per request, cheaper to build than a frozen dataclass."""

    headers: tuple[tuple[str, str], ...]
    body: Any
    size: int = 0
    raw: bool = False
    environ: bool = False  # ``headers`` are WSGI environ entries (HTTP_USER_AGENT, ...)

    @classmethod
    def keep(cls, headers: Any, body: Any) -> Wire:
        """``headers``: a WSGI environ (its header entries are kept as they are and named
        when read), a ``Headers`` or pairs."""
        environ = isinstance(headers, dict) and "wsgi.version" in headers
        if environ:
            items = tuple([item for item in headers.items() if item[0].startswith(_ENVIRON)])
        else:
            items = tuple(headers.items() if hasattr(headers, "items") else headers)
        items = items[:MAX_HEADERS]
        if isinstance(body, (bytes, bytearray)):
            return cls(items, bytes(body[:MAX_BODY_CHARS * 4]), len(body), True, environ)
        recorded, truncated = bounded_body(body)
        return cls(items, recorded, -1 if truncated else 0, False, environ)

    def read(self) -> tuple[dict[str, Any], bool]:
        """The message as reports show it, and whether its body was cut."""
        body, truncated = self.body, self.size < 0
        if self.raw:
            body, truncated = _decode(self.body, self.size)
        headers = EnvironHeaders(dict(self.headers)) if self.environ else self.headers
        return {"headers": mask_headers(headers), "body": body}, truncated


_ENVIRON = ("HTTP_", "CONTENT_TYPE", "CONTENT_LENGTH")


def _decode(raw: bytes, size: int) -> tuple[Any, bool]:
    if not raw:
        return None, False
    text = raw.decode("utf-8", "replace")
    if size > len(raw) or len(text) > MAX_BODY_CHARS:
        return _cut(text, len(text) + size - len(raw))
    try:
        return wire_json.loads(raw), False
    except ValueError:
        return text, False


class Check(NamedTuple):
    """One request judged under one requirement. It shares the request's findings with the
    other requirements' checks; its own are picked out, and its message written, when read."""

    status: str
    where: str
    requirement: str
    findings: tuple[Finding, ...]  # every finding on the request
    ex_id: str
    time: datetime

    def entry(self, buyer: str) -> dict[str, Any]:
        mine = [f for f in self.findings if f.requirement == self.requirement]
        shown = [f for f in mine if not f.ok] or mine  # the failing ones, or all
        message = "; ".join(f"{f.pointer or '/'}: {f.message}" for f in shown[:3])
        if len(shown) > 3:
            message += f" (and {len(shown) - 3} more)"
        return {"test": f"buyer:{buyer}", "status": self.status,
                "message": f"{self.where}: {message}", "evidence": [self.ex_id],
                "time": format_datetime(self.time)}


@dataclass(slots=True)
class RequirementLog:
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0})
    recent: dict[str, deque[Check]] = field(default_factory=dict)


@dataclass(slots=True)
class BuyerLog:
    name: str
    exchanges: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    requirements: dict[str, RequirementLog] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    apis: dict[str, int] = field(default_factory=dict)


class Recorder:
    """What buyers sent; ``version`` grows with every change (report writers watch it)."""

    def __init__(self, max_exchanges: int = 500, max_buyers: int = 100,
                 checks_per_status: int = 20) -> None:
        self.max_exchanges = max_exchanges
        self.max_buyers = max_buyers
        self.checks_per_status = checks_per_status
        self.started = now_rfc3339()
        self.version = 0
        self.changed = threading.Condition()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._buyers: OrderedDict[str, BuyerLog] = OrderedDict()
        self._order: deque[tuple[str, str]] = deque()  # (buyer, exchange id), oldest first
        self._t0: dict[str, float] = {}

    # -- writing --------------------------------------------------------------------------
    def begin(self, buyer: str, api: str, method: str, url: str, headers: Any,
              body: Any) -> str:
        """Start an exchange; returns its id (``ex-N``)."""
        ex_id = f"ex-{next(self._seq)}"
        truncated = False
        if len(url) > MAX_URL_CHARS:
            url, truncated = url[:MAX_URL_CHARS] + "...[truncated]", True
        exchange = {"id": ex_id, "test": f"buyer:{buyer}", "method": method, "url": url,
                    "request": Wire.keep(headers, body), "response": None,
                    "latency_ms": None, "started": utcnow(), "error": None,
                    "truncated": truncated}  # started: formatted when read
        with self._lock:
            log = self._buyer(buyer)
            log.exchanges[ex_id] = exchange
            self._order.append((buyer, ex_id))
            while len(log.exchanges) > self.max_exchanges:
                log.exchanges.popitem(last=False)
            while len(self._order) > MAX_TOTAL_EXCHANGES:
                old_buyer, old_id = self._order.popleft()
                old_log = self._buyers.get(old_buyer)
                if old_log is not None:
                    old_log.exchanges.pop(old_id, None)
                self._t0.pop(old_id, None)
            log.apis[api] = log.apis.get(api, 0) + 1
            self._t0[ex_id] = time.perf_counter()
        return ex_id  # the version moves when the exchange is finished

    def add_findings(self, buyer: str, ex_id: str, findings: list[Finding],
                     kinds: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        """Fold one request's findings into one check per requirement, and note which
        request kinds it exercised (valid when none of its findings failed)."""
        passed: dict[str, bool] = {}  # requirement -> none of its findings failed
        for finding in findings:
            if finding.ok:
                passed.setdefault(finding.requirement, True)
            else:
                passed[finding.requirement] = False
        shared = tuple(findings)
        stamp = utcnow()
        valid = all(passed.values())
        with self._lock:
            log = self._buyer(buyer)
            exchange = log.exchanges.get(ex_id)
            where = f"{exchange['method']} {exchange['url']}" if exchange else ex_id
            requirements = log.requirements
            for requirement, ok in passed.items():
                status = "pass" if ok else "fail"
                req = requirements.get(requirement)
                if req is None:
                    req = requirements[requirement] = RequirementLog()
                req.counts[status] += 1
                recent = req.recent.get(status)
                if recent is None:
                    recent = req.recent[status] = deque(maxlen=self.checks_per_status)
                recent.append(Check(status, where, requirement, shared, ex_id, stamp))
            for kind in kinds:
                seen = log.kinds.get(kind)
                if seen is None:
                    seen = log.kinds[kind] = {"valid": 0, "invalid": 0, "last": None}
                seen["valid" if valid else "invalid"] += 1
                seen["last_valid" if valid else "last_invalid"] = ex_id

    def finish(self, ex_id: str, buyer: str, status: int, headers: Any, body: Any) -> None:
        """The response to an exchange; ``body`` as in ``begin`` (wire bytes or a value)."""
        wire = Wire.keep(headers, body)
        with self._lock:
            t0 = self._t0.pop(ex_id, None)
            exchange = self._buyer(buyer).exchanges.get(ex_id)
            if exchange is None:
                return
            exchange["response"] = (status, wire)
            if t0 is not None:
                exchange["latency_ms"] = round((time.perf_counter() - t0) * 1000, 3)
        self._bump()

    def clear(self) -> None:
        with self._lock:
            self._buyers.clear()
            self._order.clear()
            self._t0.clear()
        self._bump()

    # -- reading --------------------------------------------------------------------------
    def buyers(self) -> list[str]:
        with self._lock:
            return list(self._buyers)

    def snapshot(self, buyer: str | None = None) -> list[dict[str, Any]]:
        """Deep-enough copies of the logs of one buyer (or all), safe to read unlocked."""
        with self._lock:
            logs = [log for name, log in self._buyers.items() if buyer in (None, name)]
            copies: list[dict[str, Any]] = [{
                "name": log.name,
                # top-level copies suffice: Wire records never change and finish() replaces
                # keys, it never edits nested values
                "exchanges": [dict(e) for e in log.exchanges.values()],
                "requirements": {rid: {"counts": dict(r.counts),
                                       "checks": [c.entry(log.name) for d in r.recent.values()
                                                  for c in d]}
                                 for rid, r in log.requirements.items()},
                "kinds": {k: dict(v) for k, v in log.kinds.items()},
                "apis": dict(log.apis),
            } for log in logs]
        for copy in copies:  # decoded outside the lock: requests never wait for a reader
            copy["exchanges"] = [_readable(e) for e in copy["exchanges"]]
        return copies

    # -- internals ------------------------------------------------------------------------
    def _buyer(self, name: str) -> BuyerLog:
        log = self._buyers.get(name)
        if log is None:
            log = self._buyers[name] = BuyerLog(name)
            while len(self._buyers) > self.max_buyers:
                self._buyers.popitem(last=False)
        else:
            self._buyers.move_to_end(name)
        return log

    def _bump(self) -> None:
        with self.changed:
            self.version += 1
            self.changed.notify_all()


def _readable(exchange: dict[str, Any]) -> dict[str, Any]:
    """An exchange (a private top-level copy) as reports show it: its messages decoded."""
    out = exchange
    out["started"] = format_datetime(exchange["started"])
    out["request"], cut = exchange["request"].read()
    if exchange["response"] is not None:
        status, wire = exchange["response"]
        response, cut_response = wire.read()
        out["response"] = {"status": status, **response}
        cut = cut or cut_response
    out["truncated"] = exchange["truncated"] or cut
    return out
