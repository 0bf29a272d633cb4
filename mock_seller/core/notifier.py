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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from mock_seller.core.hooks import Hooks, around
from mock_seller.core.scheduler import Scheduler
from mock_seller.storage.memory import MemoryOutbox
from mock_seller.storage.protocol import DELIVERED, DROPPED, RETRY, Outbox
from schemas.dialect import CANTATA_LISTENER_BASE_PATHS, LISTENER_BASE_PATHS, get_dialect

log = logging.getLogger(__name__)
Owner = tuple[str | None, str | None]  # (buyer, seller) of a POQ or a subscription


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
    owner: tuple[str | None, str | None] = (None, None)  # (buyer, seller): tenancy.py
    named: tuple[tuple[str, str], ...] = ()  # buyerId/sellerId given at registration

    def wants(self, wire_type: str) -> bool:
        return self.event_types is None or wire_type in self.event_types

    def url(self, wire_type: str) -> str:
        bases = CANTATA_LISTENER_BASE_PATHS if self.family == "cantata" else LISTENER_BASE_PATHS
        url = f"{self.callback.rstrip('/')}{bases[self.api]}/listener/{wire_type}"  # type: ignore[index]
        if self.named and get_dialect(self.api).registration_ids_in == "query":
            url += ("&" if "?" in url else "?") + urlencode(self.named)
        return url

    def decorate(self, body: dict[str, Any]) -> dict[str, Any]:
        """The registration's buyerId/sellerId in ``event`` where the dialect puts them
        there (v7 guide R6)."""
        if not self.named or get_dialect(self.api).registration_ids_in != "event":
            return body
        return {**body, "event": {**body.get("event", {}), **dict(self.named)}}

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


class Notifier:
    """Delivery workers over an outbox (mock_seller/storage/: in memory, or durable in the
    SQLite store, then a poller also picks up what was left by a restart or another process)."""

    POLL_INTERVAL = 0.3

    def __init__(self, scheduler: Scheduler, *, workers: int = 4, retries: int = 4,
                 backoff: float = 0.2, timeout: float = 3.0, outbox: Outbox | None = None,
                 hooks: Hooks | None = None) -> None:
        self.hooks = hooks if hooks is not None else Hooks()  # publish/subscribe/unsubscribe
        self._scheduler = scheduler
        self._workers_wanted = workers
        self._retries = retries
        self._backoff = backoff
        self._timeout = timeout
        self._lock = threading.Lock()
        self._outbox: Outbox = outbox if outbox is not None else MemoryOutbox()
        self._active: set[str] = set()
        self._ready: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self.delivered = 0
        self.dropped = 0
        self.errors = 0  # unexpected failures in delivery (logged; the event is kept)
        #: mock_seller/sandbox/callbacks.py: why a URL may not be called now (None = allowed)
        self.guard: Callable[[str], str | None] | None = None
        # mock_seller/sandbox/control.py: (sub, wire_type, body) -> delay in s, or None to drop
        self.delivery_filter: Callable[..., float | None] | None = None
        self._stop_polling = threading.Event()
        self._poller: threading.Thread | None = None
        if self._outbox.durable:  # deliver what a previous run (or a peer) left behind
            self._poller = threading.Thread(target=self._poll, name="poq-mock-outbox-poll",
                                            daemon=True)
            self._poller.start()

    @property
    def outbox(self) -> Outbox:
        """Where notifications wait (``/_mock/outbox`` shows its backlog and dead letters)."""
        return self._outbox

    def configure(self, *, retries: int, backoff: float, timeout: float) -> None:
        """New delivery settings (a scenario switch); queued notifications keep going."""
        self._retries, self._backoff, self._timeout = retries, backoff, timeout

    # -- subscriptions --------------------------------------------------------------------
    def subscribe(self, api: str, family: str, callback: str, query: str | None,
                  owner: Owner = (None, None), named: tuple[tuple[str, str], ...] = ()
                  ) -> Subscription:
        """Register ``callback`` for ``owner`` (buyer, seller; sandbox/tenancy.py) with the
        buyerId/sellerId the registration ``named``, through the subscribe hooks."""

        def add(api: str, family: str, callback: str, query: str | None) -> Subscription:
            sub = Subscription(str(uuid.uuid4()), api, family, callback, query,
                               parse_query(api, query), owner, named)
            self._outbox.add_subscription(sub)
            return sub

        sub: Subscription = around(self.hooks.subscribe, add)(api, family, callback, query)
        return sub

    def get(self, api: str, sub_id: str,
            owner: tuple[str | None, str | None] | None = None) -> Subscription | None:
        sub = self._outbox.subscription(sub_id)
        if sub is None or sub.api != api or (owner is not None and sub.owner != owner):
            return None
        return sub  # type: ignore[no-any-return]

    def unsubscribe(self, api: str, sub_id: str) -> bool:
        return bool(around(self.hooks.unsubscribe, self._remove)(api, sub_id))

    def _remove(self, api: str, sub_id: str) -> bool:
        return self._outbox.remove_subscription(sub_id, api)

    def listened(self, api: str) -> bool:
        """Whether an event of ``api`` can reach anyone: events are queued for subscriptions
        only (publish hooks included), so one with no subscription is not worth building."""
        return bool(self._outbox.subscriptions(api))

    # -- publishing -----------------------------------------------------------------------
    def publish(self, api: str, wire_type: str, body: dict[str, Any],
                owner: Owner | None = None) -> int:
        """Queue ``body`` for every subscription of ``api`` that wants ``wire_type`` and
        belongs to ``owner`` (None: any), through the publish hooks (inside the caller's store
        transaction: the workers wake once it commits)."""
        events = [(api, wire_type, body)]
        for hook in self.hooks.publish:
            events = [out for event in events for out in hook(*event)]
        return sum(self._queue(*event, owner) for event in events)

    def _queue(self, api: str, wire_type: str, body: dict[str, Any], owner: Owner | None) -> int:
        if self._closed:
            return 0
        woken: list[str] = []
        for sub in self._outbox.subscriptions(api):
            if not sub.wants(wire_type):
                continue
            if owner is not None and sub.owner != owner:
                continue  # another buyer's subscription (mock_seller/sandbox/tenancy.py)
            delay = 0.0
            if self.delivery_filter is not None:
                decided = self.delivery_filter(sub, wire_type, body)
                if decided is None:
                    continue  # dropped by an injected fault
                delay = decided
            self._outbox.put(sub.id, sub.url(wire_type), sub.decorate(body), delay)
            woken.append(sub.id)
        if woken:
            self._outbox.on_commit(lambda: self._wake(woken))
        return len(woken)

    def _wake(self, sub_ids: list[str]) -> None:
        with self._lock:
            if self._closed:
                return
            for sub_id in sub_ids:
                if sub_id not in self._active:
                    self._active.add(sub_id)
                    self._ready.put(sub_id)
            self._ensure_workers()

    def _poll(self) -> None:
        while not self._stop_polling.wait(self.POLL_INTERVAL):
            try:
                due = self._outbox.due_subscriptions()
            except Exception:  # a busy or closing file: try again next round
                log.debug("outbox poll failed", exc_info=True)
                continue
            if due:
                self._wake(due)

    def _rest(self, sub_id: str) -> None:
        """Nothing to send now: leave the subscription idle, unless a notification arrived
        between the last look and now (then go on)."""
        with self._lock:
            self._active.discard(sub_id)
        if not self._closed and self._outbox.recheck(sub_id):
            self._wake([sub_id])

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
                try:
                    self._serve(session, sub_id)
                except Exception:  # noqa: BLE001 - a worker never dies: log, count, retry
                    log.exception("delivery to subscription %s failed; retrying", sub_id)
                    self._count_error()
                    self._scheduler.call_later(max(self._backoff, 0.05), self._ready.put,
                                               sub_id)
        finally:
            session.close()

    def _count_error(self) -> None:
        with self._lock:
            self.errors += 1

    def _serve(self, session: requests.Session, sub_id: str) -> None:
        pending = self._outbox.claim(sub_id)
        if pending is None:
            self._rest(sub_id)
            return
        if pending.delay > 0:  # injected delay: hold this subscription's queue
            delay, pending.delay = pending.delay, 0.0
            self._scheduler.call_later(delay, self._ready.put, sub_id)
            return
        ok = False
        target = pending.url.partition("?")[0]  # minus our own buyerId/sellerId (tenancy.py)
        refused = self.guard(target) if self.guard is not None else None
        if refused:  # the host is not (or no longer) allowed: drop, no retry
            log.warning("not delivering to %s: %s", pending.url, refused)
        try:
            if not refused:  # redirects are not followed: they could lead anywhere
                resp = session.post(pending.url, json=pending.body, timeout=self._timeout,
                                    headers={"Content-Type": "application/json;charset=utf-8"},
                                    allow_redirects=False)
                ok = 200 <= resp.status_code < 300
        except requests.RequestException as exc:
            log.info("notification to %s failed: %s", pending.url, exc)
        except Exception:  # noqa: BLE001 - e.g. urllib3's LocationParseError: a failed try
            log.exception("notification to %s failed unexpectedly", pending.url)
            self._count_error()
        outcome, delay = self._outbox.settle(pending, ok, self._retries, self._backoff,
                                             drop=bool(refused))
        with self._lock:
            if outcome == DELIVERED:
                self.delivered += 1
            elif outcome == DROPPED:
                self.dropped += 1
        if outcome == DROPPED and not refused:
            log.warning("dropping notification %s after %d attempts",
                        pending.body.get("eventId"), pending.attempts)
        if outcome == RETRY:
            self._scheduler.call_later(delay, self._ready.put, sub_id)
        else:
            self._ready.put(sub_id)  # the next one, or rest when there is none

    def idle(self) -> bool:
        """True when nothing is queued or in flight (used by tests and reset)."""
        with self._lock:
            return not self._active

    def reset(self) -> None:
        self._outbox.reset()
        with self._lock:
            self._active.clear()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        self._stop_polling.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        for _ in threads:
            self._ready.put(None)
        for t in threads:
            t.join(timeout=self._timeout + 1)
        self._outbox.close()
