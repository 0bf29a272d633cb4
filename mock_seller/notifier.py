"""Notification hub: subscriptions per dialect and delivery off the request thread.

Each subscription has its own FIFO; at most one worker serves a subscription at a time, so
order per subscription holds even across retries. A failed delivery is retried with
exponential backoff through the scheduler (no worker sleeps), so a dead or slow listener
never blocks the API or other subscriptions beyond the worker it occupies.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from mock_seller.scheduler import Scheduler
from schemas.dialect import CANTATA_LISTENER_BASE_PATHS, LISTENER_BASE_PATHS, get_dialect

log = logging.getLogger(__name__)


class QueryError(ValueError):
    """A subscription query this seller does not understand."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    api: str
    family: str  # sonata | cantata
    callback: str
    query: str | None
    event_types: frozenset[str] | None  # wire event types; None = all

    def wants(self, wire_type: str) -> bool:
        return self.event_types is None or wire_type in self.event_types

    def url(self, wire_type: str) -> str:
        bases = CANTATA_LISTENER_BASE_PATHS if self.family == "cantata" else LISTENER_BASE_PATHS
        return f"{self.callback.rstrip('/')}{bases[self.api]}/listener/{wire_type}"  # type: ignore[index]

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "callback": self.callback}
        if self.query is not None:
            out["query"] = self.query
        return out


def parse_query(api: str, query: str | None) -> frozenset[str] | None:
    """``eventType=a,b`` (spaces tolerated, ``&`` between terms) -> wire types; empty -> all."""
    if query is None or not query.strip():
        return None
    known = set(get_dialect(api).event_types.values())
    types: set[str] = set()
    for term in query.split("&"):
        if not term.strip():
            continue
        key, sep, value = term.partition("=")
        if not sep or key.strip() != "eventType":
            raise QueryError(f"unsupported query term {term.strip()!r}: only eventType=... is "
                             "supported")
        for name in value.split(","):
            name = name.strip()
            if name not in known:
                raise QueryError(f"unknown event type {name!r} for {api}: expected one of "
                                 f"{', '.join(sorted(known))}")
            types.add(name)
    return frozenset(types) if types else None


@dataclass(slots=True)
class _Pending:
    url: str
    body: dict[str, Any]
    attempts: int = 0
    delay: float = 0.0  # injected delay before the first attempt (mock_seller/faults.py)


class Notifier:
    def __init__(self, scheduler: Scheduler, *, workers: int = 4, retries: int = 4,
                 backoff: float = 0.2, timeout: float = 3.0) -> None:
        self._scheduler = scheduler
        self._workers_wanted = workers
        self._retries = retries
        self._backoff = backoff
        self._timeout = timeout
        self._lock = threading.Lock()
        self._subs: dict[str, Subscription] = {}
        self._queues: dict[str, deque[_Pending]] = {}
        self._active: set[str] = set()
        self._ready: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self.delivered = 0
        self.dropped = 0
        # mock_seller/control.py: (sub, wire_type, body) -> delay in s, or None to drop
        self.delivery_filter: Callable[..., float | None] | None = None

    def configure(self, *, retries: int, backoff: float, timeout: float) -> None:
        """New delivery settings (a scenario switch); queued notifications keep going."""
        self._retries, self._backoff, self._timeout = retries, backoff, timeout
        #: mock_seller/callbacks.py: why a URL may not be called now (None = allowed)
        self.guard: Callable[[str], str | None] | None = None

    # -- subscriptions --------------------------------------------------------------------
    def subscribe(self, api: str, family: str, callback: str, query: str | None) -> Subscription:
        sub = Subscription(str(uuid.uuid4()), api, family, callback, query,
                           parse_query(api, query))
        with self._lock:
            self._subs[sub.id] = sub
            self._queues[sub.id] = deque()
        return sub

    def get(self, api: str, sub_id: str) -> Subscription | None:
        with self._lock:
            sub = self._subs.get(sub_id)
        return sub if sub is not None and sub.api == api else None

    def unsubscribe(self, api: str, sub_id: str) -> bool:
        with self._lock:
            sub = self._subs.get(sub_id)
            if sub is None or sub.api != api:
                return False
            del self._subs[sub_id]
            self._queues.pop(sub_id, None)
            return True

    def has_subscribers(self, api: str) -> bool:
        with self._lock:
            return any(s.api == api for s in self._subs.values())

    # -- publishing -----------------------------------------------------------------------
    def publish(self, api: str, wire_type: str, body: dict[str, Any]) -> int:
        """Queue ``body`` for every subscription of ``api`` that wants ``wire_type``."""
        count = 0
        with self._lock:
            if self._closed:
                return 0
            for sub in self._subs.values():
                if sub.api != api or not sub.wants(wire_type):
                    continue
                delay = 0.0
                if self.delivery_filter is not None:
                    decided = self.delivery_filter(sub, wire_type, body)
                    if decided is None:
                        continue  # dropped by an injected fault
                    delay = decided
                self._queues[sub.id].append(_Pending(sub.url(wire_type), body, delay=delay))
                count += 1
                if sub.id not in self._active:
                    self._active.add(sub.id)
                    self._ready.put(sub.id)
            if count:
                self._ensure_workers()
        return count

    def _ensure_workers(self) -> None:
        while len(self._threads) < self._workers_wanted:
            t = threading.Thread(target=self._work, name=f"poq-mock-notify-{len(self._threads)}",
                                 daemon=True)
            self._threads.append(t)
            t.start()

    def _work(self) -> None:
        session = requests.Session()
        try:
            while True:
                sub_id = self._ready.get()
                if sub_id is None:
                    return
                self._serve(session, sub_id)
        finally:
            session.close()

    def _serve(self, session: requests.Session, sub_id: str) -> None:
        with self._lock:
            q = self._queues.get(sub_id)
            if not q:
                self._active.discard(sub_id)
                return
            pending = q[0]
            if pending.delay > 0:  # injected delay: hold this subscription's queue
                delay, pending.delay = pending.delay, 0.0
                self._scheduler.call_later(delay, self._ready.put, sub_id)
                return
        ok = False
        refused = self.guard(pending.url) if self.guard is not None else None
        if refused:  # the host is not (or no longer) allowed: drop, no retry
            log.warning("not delivering to %s: %s", pending.url, refused)
            pending.attempts = self._retries
        try:
            if not refused:  # redirects are not followed: they could lead anywhere
                resp = session.post(pending.url, json=pending.body, timeout=self._timeout,
                                    headers={"Content-Type": "application/json;charset=utf-8"},
                                    allow_redirects=False)
                ok = 200 <= resp.status_code < 300
        except requests.RequestException as exc:
            log.info("notification to %s failed: %s", pending.url, exc)
        with self._lock:
            q = self._queues.get(sub_id)
            if q is None:  # unsubscribed meanwhile
                self._active.discard(sub_id)
                return
            if ok:
                q.popleft()
                self.delivered += 1
            else:
                pending.attempts += 1
                if pending.attempts > self._retries:
                    q.popleft()
                    self.dropped += 1
                    log.warning("dropping notification %s after %d attempts",
                                pending.body.get("eventId"), pending.attempts)
                else:
                    delay = self._backoff * (2 ** (pending.attempts - 1))
                    self._scheduler.call_later(delay, self._ready.put, sub_id)
                    return
            if q:
                self._ready.put(sub_id)
            else:
                self._active.discard(sub_id)

    def idle(self) -> bool:
        """True when nothing is queued or in flight (used by tests and reset)."""
        with self._lock:
            return not self._active

    def reset(self) -> None:
        with self._lock:
            self._subs.clear()
            self._queues.clear()
            self._active.clear()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._subs.clear()
            self._queues.clear()
            threads = list(self._threads)
        for _ in threads:
            self._ready.put(None)
        for t in threads:
            t.join(timeout=self._timeout + 1)
