"""Bounded, thread-safe memory of what each Buyer sent and how it measured up.

Per buyer: the last ``max_exchanges`` exchanges (request, response, findings), per
requirement the counts and the most recent checks of each status (so a failure seen early
in a long session is still in the report), and per request kind whether a valid one was
seen (for the capability IDs R2, D1, D2). At most ``max_buyers`` buyers are kept; the one
seen longest ago goes first.

Every request a buyer sends pays for its record, so an exchange is appended as it came (wire
bytes, findings, the answer's headers), without a lock; exchanges are counted in batches,
once per outcome (``Recorder._fold``), and written out as report entries only when read."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections import Counter, OrderedDict, deque
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
MAX_WIRE_BYTES = MAX_BODY_CHARS * 4  # enough bytes for MAX_BODY_CHARS characters
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


def _cut(text: str, length: int) -> tuple[str, bool]:
    return text[:MAX_BODY_CHARS] + f"...[truncated: {length - MAX_BODY_CHARS} more " \
                                   "characters]", True


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


def _pairs(headers: Any) -> tuple[tuple[str, Any], ...]:
    """At most MAX_HEADERS (name, value) pairs of a ``Headers``, a mapping or pairs."""
    if hasattr(headers, "items"):
        headers = headers.items()
    return tuple(itertools.islice(headers, MAX_HEADERS))


def _readable_headers(names: tuple[str, ...] | None, headers: Any) -> dict[str, str]:
    """``names`` given: ``headers`` are the values of those WSGI environ entries."""
    if names is not None:
        headers = EnvironHeaders(dict(zip(names, headers, strict=True)))
    return mask_headers(headers)


class _Head(NamedTuple):
    """A body not kept as it came (longer than MAX_WIRE_BYTES, or not bytes): its first
    MAX_WIRE_BYTES wire bytes, and how many it had."""

    head: bytes
    size: int

    @classmethod
    def of(cls, body: Any) -> _Head:
        """``body``: bytes, text, or a JSON value (what a view parsed: written back)."""
        if isinstance(body, (bytes, bytearray, memoryview)):
            raw = bytes(body)
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = wire_json.dumps_to_keep(body)
        return cls(raw[:MAX_WIRE_BYTES], len(raw))


def _decode(body: bytes | _Head | None) -> tuple[Any, bool]:
    """A kept body as reports show it (JSON, else text, cut at MAX_BODY_CHARS characters),
    and whether it was cut."""
    if isinstance(body, _Head):
        raw, size = body
    elif not body:
        return None, False
    else:
        raw, size = body, len(body)
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
    """One request and its answer, kept as they crossed the wire when the answer is made:
    counted (``Recorder._fold``) in batches and decoded (``_readable``) when read. Recorded
    as a plain tuple of these fields (a tuple subclass costs three times as much to build),
    and read through this class."""

    # the outcome it is counted under (``_OUTCOME``): a buyer's requests mostly repeat a few
    buyer: str
    api: str
    kinds: frozenset[str]
    findings: tuple[Finding, ...]
    number: int
    started: float  # time.time()
    method: str
    url: str
    url_cut: bool
    header_names: tuple[str, ...] | None  # the environ entries ``headers`` holds, if any
    headers: tuple[Any, ...]  # their values, else (name, value) pairs
    body: bytes | _Head | None  # the wire bytes
    status: int
    response_headers: Any  # as given (the answer's ``Headers``); None: no answer
    answer: bytes | _Head | None
    seconds: float  # from the buyer checks' judgement to the answer

    def verdict(self) -> Verdict:
        return _make(Verdict, (self.number, self.method, self.url, self.findings,
                               self.started))


_make = tuple.__new__  # the named tuples above without their Python-level __new__
_as_exchange = functools.partial(_make, Exchange)
_OUTCOME = itemgetter(0, 1, 2, 3)  # (buyer, api, kinds, findings) of an Exchange
_NUMBER = Exchange._fields.index("number")
_number_of = itemgetter(_NUMBER)  # of a recorded exchange (a plain tuple)

#: exchanges recorded uncounted before the next record counts them all (``Recorder._fold``)
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
    since: int  # the first exchange number counted here (a buyer dropped and seen again)
    requirements: dict[str, RequirementLog] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    apis: dict[str, int] = field(default_factory=dict)


class Recorder:
    """What buyers sent; ``version`` changes with every change (report writers wait for it
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
        self._unfolded: deque[tuple[Any, ...]] = deque()  # recorded, not counted yet
        #: counted exchanges over all buyers, oldest first; a buyer's log shows its last
        #: max_exchanges of them
        self._order: deque[tuple[Any, ...]] = deque(maxlen=MAX_TOTAL_EXCHANGES)
        self._buyers: OrderedDict[str, BuyerLog] = OrderedDict()

    # -- writing --------------------------------------------------------------------------
    def record(self, buyer: str, api: str, method: str, url: str, headers: Any, body: Any,
               findings: list[Finding] | tuple[Finding, ...],
               kinds: set[str] | frozenset[str] = frozenset(), status: int = 0,
               response_headers: Any = None, answer: Any = None, seconds: float = 0.0,
               ) -> int:
        """Keep one exchange and return its number. ``headers``: the request's WSGI environ
        (or its headers); bodies: wire bytes, or a JSON value; ``response_headers`` None:
        no answer. This runs on every request a buyer sends, so it only appends what it was
        given, without a lock: the exchanges are counted per requirement, per request kind
        (valid when none of its findings failed) and per API in batches (``_fold``), every
        FOLD_EVERY exchanges and before any read."""
        number = next(self._seq)
        cut = len(url) > MAX_URL_CHARS
        if cut:
            url = url[:MAX_URL_CHARS] + "...[truncated]"
        if body is not None and (type(body) is not bytes or len(body) > MAX_WIRE_BYTES):
            body = _Head.of(body)
        if answer is not None and (type(answer) is not bytes or len(answer) > MAX_WIRE_BYTES):
            answer = _Head.of(answer)
        if type(headers) is dict and "wsgi.version" in headers:
            names, values = _header_names(headers)
            headers = values(headers)
        else:
            names, headers = None, _pairs(headers)
        unfolded = self._unfolded
        unfolded.append((  # an Exchange's fields
            buyer, api, frozenset(kinds), tuple(findings), number, time.time(), method, url,
            cut, names, headers, body, status, response_headers, answer, seconds))
        self.version = number
        if len(unfolded) >= FOLD_EVERY:
            with self._lock:
                self._fold()
        if self._waiting:  # notify_all is four Python calls: only for a waiting reader
            with self._lock:
                self._changed.notify_all()
        return number

    def clear(self) -> None:
        with self._lock:
            self._unfolded.clear()
            self._order.clear()
            self._buyers.clear()
            self.version = next(self._seq)  # a number no exchange takes
            self._changed.notify_all()

    # -- reading --------------------------------------------------------------------------
    def wait_for_change(self, version: int, timeout: float) -> int:
        """Block until ``version`` is no longer current (or ``timeout`` seconds pass, or
        ``wake`` is called); returns the version now current."""
        with self._lock:
            self._waiting += 1  # before the test: a record in between sees a reader waiting
            try:
                if self.version == version:
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
            self._fold()
            return list(self._buyers)

    def snapshot(self, buyer: str | None = None) -> list[dict[str, Any]]:
        """Copies of the logs of one buyer (or all), safe to read unlocked."""
        with self._lock:  # only references are taken here: the records never change
            self._fold()
            shown = {name: log for name, log in self._buyers.items() if buyer in (None, name)}
            exchanges: dict[str, list[Exchange]] = {name: [] for name in shown}
            for exchange in map(_as_exchange, self._order):
                mine = exchanges.get(exchange.buyer)
                if mine is not None and exchange.number >= shown[exchange.buyer].since:
                    mine.append(exchange)
            logs = [(name, exchanges[name][-self.max_exchanges:],
                     {rid: (dict(r.counts), {s: list(d) for s, d in r.recent.items()})
                      for rid, r in log.requirements.items()},
                     {k: dict(v) for k, v in log.kinds.items()}, dict(log.apis))
                    for name, log in shown.items()]
        # written out of the lock: requests never wait for a reader
        return [{"name": name,
                 "exchanges": [_readable(e) for e in exchanges],
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
    def _fold(self) -> None:
        """Count the exchanges recorded since the last fold (lock held). They are grouped by
        outcome first (buyer, API, findings, request kinds), and each group updates its
        requirements once, with its newest ``checks_per_status`` exchanges as recent checks."""
        unfolded: deque[Any] = self._unfolded
        batch = [unfolded.popleft() for _ in range(len(unfolded))]  # records may go on
        if not batch:
            return
        self._order.extend(batch)
        keep = self.checks_per_status
        groups = _groups(batch, keep)
        first = min(map(_number_of, batch))
        recent: dict[tuple[str, str, str], tuple[RequirementLog, list[Verdict]]] = {}
        # the group seen last goes last: the buyer seen last is the one dropped last
        for (buyer, api, kinds, findings), (times, members) in sorted(
                groups.items(), key=lambda group: _number_of(group[1][1][0])):  # its newest
            log = self._log(buyer, first)
            verdicts = [_as_exchange(exchange).verdict() for exchange in reversed(members)]
            outcomes = _outcomes(findings)
            for requirement, outcome in outcomes.items():
                req = log.requirements.get(requirement)
                if req is None:
                    req = log.requirements[requirement] = RequirementLog()
                req.counts[outcome] += times
                recent.setdefault((buyer, requirement, outcome), (req, []))[1].extend(verdicts)
            valid = "fail" not in outcomes.values()
            for kind in kinds:
                seen = log.kinds.get(kind)
                if seen is None:
                    seen = log.kinds[kind] = {"valid": 0, "invalid": 0, "last": None}
                seen["valid" if valid else "invalid"] += times
                last = "last_valid" if valid else "last_invalid"
                seen[last] = max(seen.get(last) or 0, _number_of(members[0]))
            log.apis[api] = log.apis.get(api, 0) + times
        for (_, _, outcome), (req, verdicts) in recent.items():
            kept = req.recent.get(outcome)
            if kept is None:
                kept = req.recent[outcome] = deque(maxlen=keep)
            kept.extend(sorted(verdicts, key=_number)[-keep:])

    def _log(self, name: str, since: int) -> BuyerLog:
        """The log of buyer ``name``, now the one seen last (lock held)."""
        log = self._buyers.get(name)
        if log is not None:
            self._buyers.move_to_end(name)
            return log
        log = self._buyers[name] = BuyerLog(name, since)
        while len(self._buyers) > self.max_buyers:
            self._buyers.popitem(last=False)
        return log


def _groups(batch: list[tuple[Any, ...]], keep: int,
            ) -> dict[tuple[Any, ...], tuple[int, list[tuple[Any, ...]]]]:
    """The outcomes of a batch of exchanges (``_OUTCOME``): how many had each, and its
    newest ``keep`` exchanges, newest first."""
    sizes = Counter(map(_OUTCOME, batch))
    newest: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {key: [] for key in sizes}
    short = len(sizes)  # outcomes that may still take a newer exchange
    for exchange in reversed(batch):
        key = exchange[:4]
        members = newest[key]
        if len(members) < keep:
            members.append(exchange)
            if len(members) == keep or len(members) == sizes[key]:
                short -= 1
                if not short:
                    break
    return {key: (sizes[key], members) for key, members in newest.items()}


def _readable(exchange: Exchange) -> dict[str, Any]:
    """An exchange as reports show it: its messages decoded."""
    body, cut = _decode(exchange.body)
    response = None
    if exchange.response_headers is not None:
        answer, cut_answer = _decode(exchange.answer)
        response = {"status": exchange.status,
                    "headers": _readable_headers(None, exchange.response_headers),
                    "body": answer}
        cut = cut or cut_answer
    return {"id": exchange_id(exchange.number), "test": f"buyer:{exchange.buyer}",
            "method": exchange.method, "url": exchange.url,
            "request": {"headers": _readable_headers(exchange.header_names, exchange.headers),
                        "body": body},
            "response": response, "latency_ms": round(exchange.seconds * 1000, 3),
            "started": format_timestamp(exchange.started), "error": None,
            "truncated": exchange.url_cut or cut}
