"""The qualification engine: one state machine in MEF 79.1 terms for both dialects.

Create decides every item's answer up front (rules.plan_item), then either completes at once
(immediate) or walks ACKNOWLEDGED -> IN_PROGRESS -> final on the scenario's timeline, driven by
the shared scheduler. Every transition happens under one lock, so a reader never sees a POQ
state that disagrees with its items (Table 29); events are queued to the notifier in
transition order.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from mock_seller.core import wire_json
from mock_seller.core.hooks import Hooks, UnableCounter
from mock_seller.core.ids import uuid4
from mock_seller.core.model import ItemRecord, PoqRecord, derive_poq_state
from mock_seller.core.notifier import Notifier
from mock_seller.core.rules import ItemPlan, plan_item
from mock_seller.core.scenario import Scenario
from mock_seller.core.scheduler import Scheduler
from mock_seller.core.serializers import event_body, find_row, poq_to_wire
from mock_seller.core.timeutil import parse_datetime, utcnow
from mock_seller.storage import outbox_for
from mock_seller.storage.memory import MemoryStore
from mock_seller.storage.protocol import ListQuery, Store, Timeline
from schemas.dialect import (
    ABANDONED,
    ACKNOWLEDGED,
    FINAL_ITEM_STATES,
    FINAL_POQ_STATES,
    IN_PROGRESS,
    POQ_CREATE,
    POQ_ITEM_STATE_CHANGE,
    POQ_STATE_CHANGE,
    READY,
    REJECTED,
    UNABLE_TO_MEET_TIME,
    get_dialect,
)

ITEMS = "productOfferingQualificationItem"
SWEEP_INTERVAL = 1.0  # durable store: how often to look for overdue transitions (s)
SWEEP_GRACE = 2.0  # ... overdue by this much: the process that armed them is gone

log = logging.getLogger(__name__)


class TooManyRecords(Exception):
    """The list filters match more POQs than the scenario's threshold."""


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    throttled: bool


class Engine:
    def __init__(self, scenario: Scenario, store: Store | None = None,
                 hooks: Hooks | None = None) -> None:
        self.scenario = scenario
        self.hooks = hooks if hooks is not None else Hooks()  # extension points (core/hooks.py)
        self.store: Store = store or MemoryStore()
        self.scheduler = Scheduler()
        self.notifier = Notifier(self.scheduler, workers=scenario.notify_workers,
                                 retries=scenario.notify_retries,
                                 backoff=scenario.notify_backoff,
                                 timeout=scenario.notify_timeout,
                                 outbox=outbox_for(self.store), hooks=self.hooks)
        self.notifier.guard = scenario.callback_policy.refusal  # mock_seller/sandbox/callbacks.py
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._generation = 0
        if getattr(self.store, "durable", False):  # a restart: finish what was left pending
            self._resume(None)
            self.scheduler.call_later(SWEEP_INTERVAL, self._sweep, self._generation)
        self.unable = UnableCounter()  # the next N deferred POQs fail (sandbox/control.py)

    # -- lifecycle ------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every POQ, subscription and pending transition (tests call this)."""
        with self._lock:
            self._generation += 1
            self.scheduler.clear()
            self.store.clear()
            self.notifier.reset()
            if getattr(self.store, "durable", False):
                self.scheduler.call_later(SWEEP_INTERVAL, self._sweep, self._generation)
        self.unable.force(0)

    def switch_scenario(self, scenario: Scenario) -> None:
        """Reset, then answer from ``scenario`` (runtime control, sandbox/control.py)."""
        with self._lock:
            self.reset()
            self.use_scenario(scenario)

    def use_scenario(self, scenario: Scenario) -> None:
        """Answer from ``scenario`` from now on, without a reset (a peer process on the same
        database switched, and emptied the store: sandbox/shared.py)."""
        with self._lock:
            self.scenario = scenario
            self.notifier.configure(retries=scenario.notify_retries,
                                    backoff=scenario.notify_backoff,
                                    timeout=scenario.notify_timeout)
            policy = getattr(scenario, "callback_policy", None)  # mock_seller/sandbox/callbacks.py
            if policy is not None:
                self.notifier.guard = policy.refusal

    def force_unable_to_meet_time(self, count: int) -> None:
        """The next ``count`` deferred POQs end UNABLE_TO_MEET_TIME (v8 terminatedWithError,
        v7 done.unableToProvide) whatever the scenario says."""
        self.unable.force(count)

    @property
    def forced_unable_pending(self) -> int:
        return self.unable.pending

    def close(self) -> None:
        self.notifier.close()
        self.scheduler.close()
        self.store.close()

    # -- create ---------------------------------------------------------------------------
    def is_immediate(self, body: dict[str, Any]) -> bool:
        mode = self.scenario.response_mode
        return mode == "immediate" or (mode == "honour_flag"
                                       and body.get("instantSyncQualification") is True)

    def plan(self, body: dict[str, Any]) -> list[ItemPlan]:
        """Each item's answer under the scenario (``create`` takes them, so items are planned
        once per request)."""
        return [plan_item(self.scenario, item, self._inventory_offering(item))
                for item in body[ITEMS]]

    def create(self, api: str, body: dict[str, Any], href_base: str,
               owner: tuple[str | None, str | None] | None = None,
               plans: list[ItemPlan] | None = None) -> dict[str, Any]:
        """Store a validated request and return the wire response (201 body); ``owner`` is
        the (buyer, seller) it belongs to (mock_seller/sandbox/tenancy.py); ``plans``: the
        items' answers when the caller already has them (``plan``)."""
        dialect = get_dialect(api)
        immediate = self.is_immediate(body)
        now = utcnow()
        items = body[ITEMS]
        plans = plans if plans is not None else self.plan(body)
        requested = parse_datetime(body.get("requestedPOQCompletionDate"))
        forced = not immediate and self.unable.take()
        record = PoqRecord(
            id=uuid4(), api=api, seq=0, created=now, deferred=not immediate,
            state=READY if immediate else ACKNOWLEDGED, history=[], items=[],
            request_json=wire_json.dumps_to_keep(body),
            href_base=href_base,
            project_id=body.get("projectId") if isinstance(body.get("projectId"), str) else None,
            external_id=body.get("externalId") if isinstance(body.get("externalId"), str) else None,
            requested=requested,
            requested_raw=body.get("requestedPOQCompletionDate") if requested else None,
            buyer=owner[0] if owner else None, seller=owner[1] if owner else None,
        )
        start = self.scenario.in_progress_after
        step = self.scenario.item_interval
        schedule: list[tuple[float, int]] = []
        for index, (item, plan) in enumerate(zip(items, plans, strict=True)):
            if immediate:
                rec = ItemRecord(item["id"], READY, [(READY, now, None)], plan, READY, now)
            else:
                outcome = UNABLE_TO_MEET_TIME if forced else (plan.result.outcome or READY)
                due = start + step * (index + 1)
                if requested is not None and outcome == READY:
                    deadline = (requested - now).total_seconds()
                    if due > deadline:
                        outcome, due = UNABLE_TO_MEET_TIME, max(deadline, start)
                rec = ItemRecord(item["id"], ACKNOWLEDGED, [(ACKNOWLEDGED, now, None)], plan,
                                 outcome, termination=plan.result.termination_reason)
                schedule.append((due, index))
            record.items.append(rec)
        record.history.append((record.state, now, None))
        if immediate:
            record.completed = now
        else:
            record.expected = now + timedelta(seconds=start + step * len(items))
        timeline = None if immediate else Timeline(
            now.timestamp() + start, tuple((now.timestamp() + d, i) for d, i in schedule))
        # rehearsed before anything is stored, as the POQ will be when final: a request the
        # serializers cannot answer fails whole now, never later on retrieve
        rehearsed = poq_to_wire(record if immediate else _as_final(record), body, dialect,
                                self.scenario)
        with self._lock, self.store.transaction():
            record.seq = next(self._seq)
            untouched = True
            for hook in self.hooks.new_record:
                untouched = hook(record) is False and untouched
            self.store.add(record)
            if timeline is not None:
                self.store.set_timeline(record, timeline)
            generation = self._generation
            # an immediate POQ is final already: the rehearsal is the answer, unless a hook
            # (the proving kit's defects) may have changed the record
            response = rehearsed if immediate and untouched else \
                poq_to_wire(record, body, dialect, self.scenario)
            if dialect.has_create_event and self.scenario.v7_create_event:
                self._emit(record, POQ_CREATE, now)
        if not immediate:
            self.scheduler.call_later(start, self._start, generation, api, record.id)
            for due, index in schedule:
                self.scheduler.call_later(due, self._finish, generation, api, record.id, index)
        return response

    def _inventory_offering(self, item: dict[str, Any]) -> str | None:
        product_id = (item.get("product") or {}).get("id")
        return self.scenario.inventory.get(product_id) if product_id else None

    # -- timeline -------------------------------------------------------------------------
    def _start(self, generation: int, api: str, poq_id: str) -> None:
        with self._lock, self.store.transaction():
            record = self._live(generation, api, poq_id)
            if record is None:
                return
            now = utcnow()
            changed = False
            for item in record.items:
                if item.state == ACKNOWLEDGED:
                    item.move(IN_PROGRESS, now)
                    self._emit(record, POQ_ITEM_STATE_CHANGE, now, item)
                    changed = True
            self._settle(record, now)
            if changed:
                self.store.save(record)

    def _finish(self, generation: int, api: str, poq_id: str, index: int) -> None:
        with self._lock, self.store.transaction():
            record = self._live(generation, api, poq_id)
            if record is None:
                return
            item = record.items[index]
            if item.state in FINAL_ITEM_STATES:
                return
            now = utcnow()
            item.move(item.planned_final, now, None if item.planned_final == READY
                      else item.termination)
            self._emit(record, POQ_ITEM_STATE_CHANGE, now, item)
            if item.planned_final in (REJECTED, UNABLE_TO_MEET_TIME):
                for other in record.items:  # R103: the unfinished items are abandoned
                    if other.state not in FINAL_ITEM_STATES:
                        other.move(ABANDONED, now)
                        self._emit(record, POQ_ITEM_STATE_CHANGE, now, other)
            self._settle(record, now)
            self.store.save(record)

    def _resume(self, due_before: float | None) -> None:
        """Re-arm the stored timelines of unfinished POQs (after a restart, or for a process
        on the same file that died): what is already due runs at once, in order, with its
        notifications. A transition already applied is a no-op, so arming twice is harmless."""
        generation = self._generation
        now = time.time()
        for record, timeline in self.store.pending(due_before):
            self.scheduler.call_later(timeline.start - now, self._start, generation,
                                      record.api, record.id)
            for due, index in sorted(timeline.items):
                self.scheduler.call_later(due - now, self._finish, generation, record.api,
                                          record.id, index)

    def _sweep(self, generation: int) -> None:
        if generation != self._generation:
            return
        try:
            self._resume(time.time() - SWEEP_GRACE)
        except Exception:  # a busy or closing file: look again next round
            log.debug("overdue sweep failed", exc_info=True)
        self.scheduler.call_later(SWEEP_INTERVAL, self._sweep, generation)

    def _live(self, generation: int, api: str, poq_id: str) -> PoqRecord | None:
        if generation != self._generation:
            return None
        return self.store.get(api, poq_id)

    def _settle(self, record: PoqRecord, now: datetime) -> None:
        new = derive_poq_state([i.state for i in record.items])
        if new == record.state:
            return
        old = record.state
        record.state = new
        record.history.append((new, now, None))
        if new in FINAL_POQ_STATES:
            record.completed = now
        self.store.state_changed(record, old)
        self._emit(record, POQ_STATE_CHANGE, now)

    def _emit(self, record: PoqRecord, mef_type: str, now: datetime,
              item: ItemRecord | None = None) -> None:
        if mef_type != POQ_CREATE and not record.deferred:
            return  # R92: state-change notifications only for deferred responses
        if not self.notifier.listened(record.api):
            return  # v7 announces every create: most sessions have no subscriber
        dialect = get_dialect(record.api)
        wire_type = dialect.wire_event_type(mef_type)
        body = event_body(dialect, uuid4(), mef_type, now, record, item)
        self.notifier.publish(record.api, wire_type, body, owner=(record.buyer, record.seller))

    # -- read -----------------------------------------------------------------------------
    def retrieve(self, api: str, poq_id: str,
                 owner: tuple[str | None, str | None] | None = None) -> dict[str, Any] | None:
        with self._lock:
            record = self.store.get(api, poq_id)
            if record is None or (owner is not None and (record.buyer, record.seller) != owner):
                return None
            request = wire_json.loads(record.request_json)
            return poq_to_wire(record, request, get_dialect(api), self.scenario)

    def list(self, api: str, query: ListQuery, offset: int, limit: int | None,
             owner: tuple[str | None, str | None] | None = None) -> Page:
        """Matching POQs in creation order; raises TooManyRecords past the threshold."""
        dialect = get_dialect(api)
        cap = self.scenario.max_page_size
        with self._lock:
            if owner is not None:  # another buyer's POQs are not there (sandbox/tenancy.py)
                query = replace(query, owner=owner)
            matched = self.store.match(api, query)
            total = len(matched)
            threshold = self.scenario.too_many_records
            if threshold is not None and total > threshold:
                raise TooManyRecords(total)
            size = cap if limit is None else min(limit, cap)
            page = matched[offset:offset + size]
            rows = [find_row(r, dialect) for r in page]
        throttled = (limit is None or limit > cap) and offset + len(rows) < total
        return Page(rows, total, throttled)

    def state_of(self, api: str, poq_id: str) -> str | None:
        """MEF state of a stored POQ (for tests and tools)."""
        with self._lock:
            record = self.store.get(api, poq_id)
            return None if record is None else record.state

    def count(self, api: str) -> int:
        with self._lock:
            return self.store.count(api)


def _as_final(record: PoqRecord) -> PoqRecord:
    """A copy of a new deferred record with every item at its planned final state."""
    now = record.created
    items = [replace(i, state=i.planned_final, history=[*i.history, (i.planned_final, now,
                                                                      i.termination)],
                     finished=now) for i in record.items]
    state = derive_poq_state([i.state for i in items])
    return replace(record, items=items, state=state, completed=now,
                   history=[*record.history, (state, now, None)])


__all__ = ["Engine", "Page", "TooManyRecords"]
