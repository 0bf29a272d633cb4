"""Bounded, thread-safe memory of what each Buyer sent and how it measured up.

Per buyer: the last ``max_exchanges`` exchanges (request, response, findings), per
requirement the counts and the most recent checks of each status (so a failure seen early
in a long session is still in the report), and per request kind whether a valid one was
seen (for the capability IDs R2, D1, D2). At most ``max_buyers`` buyers are kept; the one
seen longest ago goes first.

Every request a buyer sends pays for its record, so the record is kept as it came (wire
bytes, findings, references shared between requirements), counted in batches of requests
with the same outcome, and written out as report entries only when read."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from werkzeug.datastructures import EnvironHeaders

from mock_seller.buyer.checks import Finding
from mock_seller.core import wire_json
from mock_seller.core.timeutil import format_timestamp

MAX_BODY_CHARS = 8_000
MAX_URL_CHARS = 2_048  # a 250 KB query string is kept as its first 2 KB
MAX_HEADERS = 50
#: Exchanges kept over all buyers together (bodies are cut at MAX_BODY_CHARS each).
MAX_TOTAL_EXCHANGES = 2_000
_SECRET_WORDS = ("authorization", "cookie", "token", "secret", "api-key", "apikey", "password")


def now_rfc3339() -> str:
    return format_timestamp(time.time())


def exchange_id(number: int) -> str:
    """The id reports and evidence lists give the ``number``-th exchange (buyer/merge.py
    renumbers them across processes)."""
    return f"ex-{number}"


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

    headers: tuple[Any, ...]  # (name, value) pairs; for an environ (names, values)
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
            names, values = _header_names(headers)
            items: tuple[Any, ...] = (names, values(headers))
        else:
            items = tuple(headers.items() if isinstance(headers, dict) else headers)
            items = items[:MAX_HEADERS]
        if body is None:  # a GET
            return _make(cls, (items, None, 0, False, environ))
        if isinstance(body, (bytes, bytearray)):
            return _make(cls, (items, bytes(body[:MAX_BODY_CHARS * 4]), len(body), True,
                               environ))
        recorded, truncated = bounded_body(body)
        return _make(cls, (items, recorded, -1 if truncated else 0, False, environ))

    def read(self) -> tuple[dict[str, Any], bool]:
        """The message as reports show it, and whether its body was cut."""
        body, truncated = self.body, self.size < 0
        if self.raw:
            body, truncated = _decode(self.body, self.size)
        headers: Any = self.headers
        if self.environ:
            headers = EnvironHeaders(dict(zip(*headers, strict=True)))
        return {"headers": mask_headers(headers), "body": body}, truncated


_HEADER_PREFIXES = ("HTTP_", "CONTENT_TYPE", "CONTENT_LENGTH")
#: environ keys that never name a header (PEP 3333's and the servers' usual ones)
_NOT_HEADERS = frozenset({
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME",
    "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "GATEWAY_INTERFACE", "REMOTE_ADDR",
    "REMOTE_HOST", "REMOTE_PORT", "REQUEST_URI", "RAW_URI", "wsgi.version",
    "wsgi.url_scheme", "wsgi.input", "wsgi.errors", "wsgi.multithread", "wsgi.multiprocess",
    "wsgi.run_once", "wsgi.input_terminated", "wsgi.file_wrapper", "werkzeug.request"})


#: environ keys in a request's order -> its header entries, and a getter of their values;
#: one client sends the same headers on every request, so the names are picked out once per
#: client, not per request
_SHAPES: dict[tuple[str, ...], tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _header_names(environ: dict[str, Any],
                  ) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """The header entries of an environ, by name (at most MAX_HEADERS), and a getter of
    their values (one C call for all)."""
    shape = tuple(environ)
    known = _SHAPES.get(shape)
    if known is None:
        names = tuple(sorted(key for key in environ.keys() - _NOT_HEADERS
                             if key.startswith(_HEADER_PREFIXES)))[:MAX_HEADERS]
        known = (names, _getter(names))
        if len(_SHAPES) >= 256:  # many clients, or a client that varies its headers
            _SHAPES.clear()
        _SHAPES[shape] = known
    return known


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return itemgetter(*names)
    return lambda env: tuple(env[name] for name in names)  # itemgetter of one: a bare value


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


class Verdict(NamedTuple):
    """What a requirement's recent checks keep of one judged exchange: one per exchange,
    shared by every requirement it was judged under. It holds no message: a failure kept
    as evidence long after its exchange rolled out costs its findings, not its bodies."""

    number: int
    method: str
    url: str
    findings: tuple[Finding, ...]
    started: float  # time.time()

    def entry(self, buyer: str, requirement: str, status: str) -> dict[str, Any]:
        """The check of ``requirement`` on this exchange, as reports show it: its own
        findings are picked out, and its message written, only now."""
        mine = [f for f in self.findings if f.requirement == requirement]
        shown = [f for f in mine if not f.ok] or mine  # the failing ones, or all
        message = "; ".join(f"{f.pointer or '/'}: {f.message}" for f in shown[:3])
        if len(shown) > 3:
            message += f" (and {len(shown) - 3} more)"
        return {"test": f"buyer:{buyer}", "status": status,
                "message": f"{self.method} {self.url}: {message}",
                "evidence": [exchange_id(self.number)],
                "time": format_timestamp(self.started)}


class Exchange(NamedTuple):
    """One request and its answer, recorded whole when the answer is made."""

    verdict: Verdict
    request: Wire
    status: int
    response: Wire | None
    latency_ms: float
    url_cut: bool
    buyer: str  # whose log keeps it (the oldest exchange overall goes first)


_make = tuple.__new__  # the named tuples above without their Python-level __new__


#: exchanges a buyer log keeps uncounted before it counts them all (``Recorder._fold``)
FOLD_EVERY = 256


def _outcomes(findings: tuple[Finding, ...]) -> dict[str, str]:
    """Requirement -> pass, or fail if any of its findings failed."""
    outcomes: dict[str, str] = {}
    for finding in findings:
        if not finding.ok:
            outcomes[finding.requirement] = "fail"
        elif finding.requirement not in outcomes:
            outcomes[finding.requirement] = "pass"
    return outcomes


_number = attrgetter("number")


@dataclass(slots=True)
class RequirementLog:
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0})
    recent: dict[str, deque[Verdict]] = field(default_factory=dict)


@dataclass(slots=True)
class BuyerLog:
    name: str
    exchanges: deque[Exchange]
    requirements: dict[str, RequirementLog] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    apis: dict[str, int] = field(default_factory=dict)
    #: (verdict, request kinds, api) of the exchanges not counted yet, oldest first
    unfolded: list[tuple[Verdict, Any, str]] = field(default_factory=list)


class Recorder:
    """What buyers sent; ``version`` grows with every change (report writers wait for it
    in ``wait_for_change``)."""

    def __init__(self, max_exchanges: int = 500, max_buyers: int = 100,
                 checks_per_status: int = 20) -> None:
        self.max_exchanges = max_exchanges
        self.max_buyers = max_buyers
        self.checks_per_status = checks_per_status
        self.started = now_rfc3339()
        self.version = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting = 0  # readers in wait_for_change
        self._seq = itertools.count(1)
        self._buyers: OrderedDict[str, BuyerLog] = OrderedDict()
        self._order: deque[Exchange] = deque()  # oldest first, over all buyers

    # -- writing --------------------------------------------------------------------------
    def record(self, buyer: str, api: str, method: str, url: str, request: Wire,
               findings: list[Finding], kinds: set[str] | frozenset[str] = frozenset(),
               status: int = 0, response: Wire | None = None,
               latency_ms: float = 0.0) -> str:
        """Keep one exchange; its findings are counted per requirement, and the request
        kinds it exercised (valid when none of its findings failed), in batches
        (``_fold``). One call, one lock, per request: this runs on every request a buyer
        sends."""
        cut = len(url) > MAX_URL_CHARS
        if cut:
            url = url[:MAX_URL_CHARS] + "...[truncated]"
        number = next(self._seq)
        verdict = _make(Verdict, (number, method, url, tuple(findings), time.time()))
        exchange = _make(Exchange, (verdict, request, status, response, latency_ms, cut,
                                    buyer))
        with self._lock:
            log = self._buyers.get(buyer)
            if log is None:
                log = self._new_buyer(buyer)
            else:
                self._buyers.move_to_end(buyer)
            log.exchanges.append(exchange)  # a deque of max_exchanges: the oldest goes
            order = self._order
            order.append(exchange)
            if len(order) > MAX_TOTAL_EXCHANGES:
                old = order.popleft()
                old_log = self._buyers.get(old.buyer)
                if old_log is not None and old_log.exchanges and old_log.exchanges[0] is old:
                    old_log.exchanges.popleft()
            unfolded = log.unfolded
            unfolded.append((verdict, kinds, api))
            if len(unfolded) >= FOLD_EVERY:
                self._fold(log)
            self.version += 1
            if self._waiting:  # notify_all is four Python calls: only for a waiting reader
                self._changed.notify_all()
        return exchange_id(number)

    def clear(self) -> None:
        with self._lock:
            self._buyers.clear()
            self._order.clear()
            self.version += 1
            self._changed.notify_all()

    # -- reading --------------------------------------------------------------------------
    def wait_for_change(self, version: int, timeout: float) -> int:
        """Block until ``version`` is no longer current (or ``timeout`` seconds pass, or
        ``wake`` is called); returns the version now current."""
        with self._lock:
            if self.version == version:
                self._waiting += 1
                try:
                    self._changed.wait(timeout)
                finally:
                    self._waiting -= 1
            return self.version

    def wake(self) -> None:
        """End every ``wait_for_change`` now (a writer stopping)."""
        with self._lock:
            self._changed.notify_all()

    def buyers(self) -> list[str]:
        with self._lock:
            return list(self._buyers)

    def snapshot(self, buyer: str | None = None) -> list[dict[str, Any]]:
        """Copies of the logs of one buyer (or all), safe to read unlocked."""
        with self._lock:  # only references are taken here: the records never change
            for log in self._buyers.values():
                if log.unfolded and buyer in (None, log.name):
                    self._fold(log)
            logs = [(log.name, list(log.exchanges),
                     {rid: (dict(r.counts), {s: list(d) for s, d in r.recent.items()})
                      for rid, r in log.requirements.items()},
                     {k: dict(v) for k, v in log.kinds.items()}, dict(log.apis))
                    for name, log in self._buyers.items() if buyer in (None, name)]
        # written out of the lock: requests never wait for a reader
        return [{"name": name,
                 "exchanges": [_readable(name, e) for e in exchanges],
                 "requirements": {rid: {"counts": counts,
                                        "checks": [v.entry(name, rid, status)
                                                   for status, verdicts in recent.items()
                                                   for v in verdicts]}
                                  for rid, (counts, recent) in requirements.items()},
                 "kinds": {k: {key: (exchange_id(v) if key.startswith("last_") else v)
                               for key, v in seen.items()} for k, seen in kinds.items()},
                 "apis": apis}
                for name, exchanges, requirements, kinds, apis in logs]

    # -- internals ------------------------------------------------------------------------
    def _fold(self, log: BuyerLog) -> None:
        """Count the unfolded exchanges of ``log`` (lock held). A buyer's requests mostly
        repeat a few outcomes (the same passing findings, request kinds and API), so they are
        grouped by outcome first and each requirement is updated once per group, not once
        per request."""
        groups: dict[tuple[Any, ...], list[Verdict]] = {}
        for verdict, kinds, api in log.unfolded:
            key = (verdict.findings, frozenset(kinds), api)
            group = groups.get(key)
            if group is None:
                groups[key] = [verdict]
            else:
                group.append(verdict)
        log.unfolded = []
        keep = self.checks_per_status
        newest: dict[tuple[str, str], list[list[Verdict]]] = {}  # (requirement, outcome)
        for (findings, kinds, api), verdicts in groups.items():
            outcomes = _outcomes(findings)
            valid = "fail" not in outcomes.values()
            times = len(verdicts)
            for requirement, outcome in outcomes.items():
                req = log.requirements.get(requirement)
                if req is None:
                    req = log.requirements[requirement] = RequirementLog()
                req.counts[outcome] += times
                newest.setdefault((requirement, outcome), []).append(verdicts[-keep:])
            for kind in kinds:
                seen = log.kinds.get(kind)
                if seen is None:
                    seen = log.kinds[kind] = {"valid": 0, "invalid": 0, "last": None}
                seen["valid" if valid else "invalid"] += times
                last = "last_valid" if valid else "last_invalid"
                seen[last] = max(seen.get(last) or 0, verdicts[-1].number)
            log.apis[api] = log.apis.get(api, 0) + times
        for (requirement, outcome), lists in newest.items():
            recent = log.requirements[requirement].recent.get(outcome)
            if recent is None:
                recent = log.requirements[requirement].recent[outcome] = deque(maxlen=keep)
            recent.extend(sorted(itertools.chain.from_iterable(lists), key=_number)[-keep:])

    def _new_buyer(self, name: str) -> BuyerLog:
        log = self._buyers[name] = BuyerLog(name, deque(maxlen=self.max_exchanges))
        while len(self._buyers) > self.max_buyers:
            self._buyers.popitem(last=False)
        return log


def _readable(buyer: str, exchange: Exchange) -> dict[str, Any]:
    """An exchange as reports show it: its messages decoded."""
    verdict = exchange.verdict
    request, cut = exchange.request.read()
    response = None
    if exchange.response is not None:
        answer, cut_response = exchange.response.read()
        response = {"status": exchange.status, **answer}
        cut = cut or cut_response
    return {"id": exchange_id(verdict.number), "test": f"buyer:{buyer}", "method": verdict.method,
            "url": verdict.url, "request": request, "response": response,
            "latency_ms": exchange.latency_ms, "started": format_timestamp(verdict.started),
            "error": None, "truncated": exchange.url_cut or cut}
