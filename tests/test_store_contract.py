"""One contract for every storage back end (memory, SQLite, PostgreSQL): the ``Store`` and the
``Outbox`` protocols behave the same, and the durable ones keep what they promise (timelines,
rollback, dead letters). PostgreSQL runs when one is available (tests/pg_helpers.py)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mock_helpers import eline_item, iso, poq
from pg_helpers import postgres_admin_dsn_fixture, postgres_url_fixture  # noqa: F401

from mock_seller.core.engine import Engine
from mock_seller.core.notifier import Subscription
from mock_seller.core.scenario import load_scenario
from mock_seller.core.timeutil import parse_datetime
from mock_seller.storage import open_store, outbox_for
from mock_seller.storage.protocol import (
    DELIVERED,
    DROPPED,
    RETRY,
    ListQuery,
    Outbox,
    Store,
    retry_delay,
)
from schemas.dialect import ACKNOWLEDGED, FINAL_POQ_STATES

SLOW = dataclasses.replace(load_scenario(), in_progress_after=30, item_interval=30)
STORES = ("memory", "sqlite", "postgres")


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'contract.db'}"
    if kind == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return "memory"


@pytest.fixture(name="url", params=STORES)
def url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, request, tmp_path)


@pytest.fixture(name="engine")
def engine_fixture(url: str) -> Iterator[Engine]:
    engine = Engine(SLOW, store=open_store(url))
    try:
        yield engine
    finally:
        engine.close()


def _create(engine: Engine, owner: tuple[str | None, str | None] | None = None,
            api: str = "v8", **fields: Any) -> str:
    return str(engine.create(api, poq(eline_item(), **fields), "http://h/b", owner=owner)["id"])


def _sub(sub_id: str, api: str = "v8") -> Subscription:
    return Subscription(sub_id, api, "sonata", "http://127.0.0.1:9", None, None)


# -- Store --------------------------------------------------------------------------------
def test_records_round_trip_per_dialect(engine: Engine) -> None:
    store: Store = engine.store
    poq_id = _create(engine, projectId="p1")
    record = store.get("v8", poq_id)
    assert record is not None and record.id == poq_id and record.project_id == "p1"
    assert record.items[0].plan is not None and record.state == "READY"
    assert store.get("v7", poq_id) is None and store.get("v8", "nope") is None
    assert store.count("v8") == 1 and store.count("v7") == 0


def test_match_filters_pages_and_order(engine: Engine) -> None:
    store = engine.store
    ids = [_create(engine, projectId=f"p{i % 2}", externalId=f"e{i}") for i in range(7)]
    late = _create(engine, instant=False, requested=iso(7200))
    everything = store.match("v8", ListQuery())
    assert len(everything) == 8 and [r.id for r in everything] == [*ids, late]
    by_project = store.match("v8", ListQuery(project_id="p0"))
    assert [r.id for r in by_project] == ids[0::2]
    assert [r.id for r in by_project[1:3]] == ids[2:6:2] and by_project[-1].id == ids[6]
    assert list(by_project[10:20]) == []
    assert [r.id for r in store.match("v8", ListQuery(external_id="e3"))] == [ids[3]]
    assert [r.id for r in store.match("v8", ListQuery(state=ACKNOWLEDGED))] == [late]
    record = store.get("v8", ids[2])
    assert record is not None
    exact = store.match("v8", ListQuery(created_from=record.created, created_to=record.created))
    assert [r.id for r in exact] == [ids[2]]  # date bounds are inclusive
    window = ListQuery(requested_from=parse_datetime(iso(3600)))
    assert [r.id for r in store.match("v8", window)] == [late]
    assert len(store.match("v7", ListQuery())) == 0


def test_owner_filter_isolates_buyers(engine: Engine) -> None:
    mine = [_create(engine, owner=("b1", "s1")), _create(engine, owner=("b1", "s1"))]
    theirs = _create(engine, owner=("b2", "s1"))
    anonymous = _create(engine)
    assert [r.id for r in engine.store.match("v8", ListQuery(owner=("b1", "s1")))] == mine
    assert [r.id for r in engine.store.match("v8", ListQuery(owner=("b2", "s1")))] == [theirs]
    assert [r.id for r in engine.store.match("v8", ListQuery(owner=(None, None)))] == [anonymous]
    assert engine.retrieve("v8", theirs, owner=("b1", "s1")) is None


def test_save_keeps_a_transition(engine: Engine) -> None:
    poq_id = _create(engine, instant=False)
    record = engine.store.get("v8", poq_id)
    assert record is not None and record.state == ACKNOWLEDGED
    with engine.store.transaction():
        record = engine.store.get("v8", poq_id)
        assert record is not None
        record.state = "IN_PROGRESS"
        engine.store.state_changed(record, ACKNOWLEDGED)
        engine.store.save(record)
    again = engine.store.get("v8", poq_id)
    assert again is not None and again.state == "IN_PROGRESS"
    assert [r.id for r in engine.store.match("v8", ListQuery(state="IN_PROGRESS"))] == [poq_id]


def test_durable_stores_keep_pending_timelines(engine: Engine) -> None:
    poq_id = _create(engine, instant=False)
    done = _create(engine)
    pending = engine.store.pending()
    if not engine.store.durable:
        assert pending == []  # nothing outlives the process
        return
    assert [r.id for r, _ in pending] == [poq_id] and done not in {r.id for r, _ in pending}
    _, timeline = pending[0]
    assert timeline.start > time.time() + 20 and len(timeline.items) == 1
    assert engine.store.pending(due_before=time.time()) == []
    assert [r.id for r, _ in engine.store.pending(due_before=time.time() + 100)] == [poq_id]


def test_durable_transaction_rolls_back(engine: Engine) -> None:
    poq_id = _create(engine)
    with pytest.raises(RuntimeError), engine.store.transaction():
        engine.store.clear()
        raise RuntimeError("boom")
    if engine.store.durable:
        assert engine.store.count("v8") == 1 and engine.store.get("v8", poq_id) is not None
    engine.store.clear()
    assert engine.store.count("v8") == 0 and engine.store.get("v8", poq_id) is None


def test_deferred_poq_reaches_its_final_state(url: str) -> None:
    fast = dataclasses.replace(SLOW, in_progress_after=0.05, item_interval=0.05)
    engine = Engine(fast, store=open_store(url))
    try:
        poq_id = _create(engine, instant=False)
        deadline = time.monotonic() + 10
        while engine.state_of("v8", poq_id) not in FINAL_POQ_STATES:
            assert time.monotonic() < deadline, engine.state_of("v8", poq_id)
            time.sleep(0.02)
        record = engine.store.get("v8", poq_id)
        assert record is not None
        assert [h[0] for h in record.history] == ["ACKNOWLEDGED", "IN_PROGRESS", "READY"]
        assert engine.store.pending() == []
    finally:
        engine.close()


# -- Outbox -------------------------------------------------------------------------------
@pytest.fixture(name="outbox")
def outbox_fixture(engine: Engine) -> Outbox:
    return outbox_for(engine.store)


def test_subscriptions_per_dialect(outbox: Outbox) -> None:
    outbox.add_subscription(_sub("s8"))
    outbox.add_subscription(_sub("s7", "v7"))
    assert [s.id for s in outbox.subscriptions("v8")] == ["s8"]
    assert {s.id for s in outbox.subscriptions()} == {"s8", "s7"}
    assert outbox.subscription("s7") is not None and outbox.subscription("x") is None
    assert outbox.remove_subscription("s7", "v8") is False  # wrong dialect
    assert outbox.remove_subscription("s7", "v7") is True
    assert outbox.subscription("s7") is None


def test_fifo_per_subscription_with_stable_event_ids(outbox: Outbox) -> None:
    outbox.add_subscription(_sub("s1"))
    for n in (1, 2):
        outbox.put("s1", "http://127.0.0.1:9/x", {"eventId": f"ev-{n}", "n": n})
    first = outbox.claim("s1")
    assert first is not None and first.body == {"eventId": "ev-1", "n": 1}
    assert outbox.settle(first, False, retries=2, backoff=0.01) == (RETRY, 0.01)
    deadline = time.monotonic() + 2
    while (again := outbox.claim("s1")) is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert again.body == first.body and again.attempts == 1  # the same event, once more
    assert outbox.settle(again, True, retries=2, backoff=0.01)[0] == DELIVERED
    second = outbox.claim("s1")
    assert second is not None and second.body["eventId"] == "ev-2"


def test_one_retry_policy_then_a_dead_letter(outbox: Outbox) -> None:
    """Every store: ``retries`` retries at the scenario's backoff, then the notification
    is a dead letter (listed, out of the queue, the next one goes on)."""
    outbox.add_subscription(_sub("s1"))
    outbox.put("s1", "http://127.0.0.1:9/x?buyerId=b", {"eventId": "ev-dead"})
    outbox.put("s1", "http://127.0.0.1:9/x", {"eventId": "ev-next"})
    outcomes = []
    for _ in range(4):
        deadline = time.monotonic() + 2
        while (pending := outbox.claim("s1")) is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert pending.body["eventId"] == "ev-dead"
        outcomes.append(outbox.settle(pending, False, retries=3, backoff=0.001))
        if outcomes[-1][0] == DROPPED:
            break
    assert outcomes == [(RETRY, retry_delay(n, 3, 0.001)) for n in (1, 2, 3)] + [(DROPPED, 0.0)]
    dead = outbox.dead_letters()
    assert [(d["eventId"], d["attempts"], d["url"]) for d in dead] == [
        ("ev-dead", 4, "http://127.0.0.1:9/x")]
    assert "4 attempts" in dead[0]["reason"] and outbox.dead_count() == 1
    nxt = outbox.claim("s1")
    assert nxt is not None and nxt.body["eventId"] == "ev-next"
    assert outbox.settle(nxt, False, 3, 0.1, drop=True)[0] == DROPPED
    assert "callback policy" in outbox.dead_letters()[0]["reason"]
    if outbox.durable:  # the body is kept: a dead letter can be sent again
        assert outbox.redeliver() == 2
        again = outbox.claim("s1")
        assert again is not None and again.body["eventId"] == "ev-dead" and again.attempts == 0
    outbox.reset()
    assert outbox.dead_letters() == [] and outbox.claim("s1") is None


def test_removing_a_subscription_drops_its_queue(outbox: Outbox) -> None:
    outbox.add_subscription(_sub("s1"))
    outbox.put("s1", "http://127.0.0.1:9/x", {"eventId": "e"})
    assert outbox.recheck("s1")
    assert outbox.remove_subscription("s1", "v8")
    assert outbox.claim("s1") is None and not outbox.recheck("s1")
