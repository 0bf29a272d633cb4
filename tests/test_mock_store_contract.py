"""The storage contract (mock_seller/storage/protocol.py), run against every store: what the
engine and the notifier rely on, whatever keeps the records. A new back end adds one entry
to ``STORES`` (a factory opening the store at a place; opening it again there must find
what a durable store kept)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from mock_helpers import eline_item, iso, poq, wait_for
from pg_helpers import postgres_admin_dsn_fixture, postgres_url_fixture  # noqa: F401

from mock_seller.core.engine import Engine
from mock_seller.core.notifier import Subscription
from mock_seller.core.scenario import load_scenario
from mock_seller.storage import open_store, outbox_for
from mock_seller.storage.memory import MemoryStore
from mock_seller.storage.protocol import DELIVERED, DROPPED, RETRY, ListQuery, Store, StoreError
from mock_seller.storage.sqlite import SqliteStore

STORES: dict[str, Callable[[pytest.FixtureRequest, Path], Store]] = {
    "memory": lambda request, place: MemoryStore(),
    "sqlite": lambda request, place: SqliteStore(str(place / "mock.db")),
    # one throwaway database per test (tests/pg_helpers.py; skipped without PostgreSQL)
    "postgres": lambda request, place: open_store(request.getfixturevalue("postgres_url")),
}
FAST = dataclasses.replace(load_scenario(), in_progress_after=0.05, item_interval=0.05)


@pytest.fixture(name="open_store", params=list(STORES))
def open_store_fixture(request: pytest.FixtureRequest, tmp_path: Path
                       ) -> Iterator[Callable[[], Store]]:
    opened: list[Store] = []

    def open_() -> Store:
        opened.append(STORES[request.param](request, tmp_path))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


@pytest.fixture(name="engine")
def engine_fixture(open_store: Callable[[], Store]) -> Iterator[Engine]:
    engine = Engine(FAST, store=open_store())
    yield engine
    engine.notifier.close()
    engine.scheduler.close()


def _create(engine: Engine, api: str = "v8", owner: tuple[str, str] | None = None,
            **fields: object) -> str:
    return str(engine.create(api, poq(eline_item(), **fields), "http://h/b", owner=owner)["id"])


# -- records -------------------------------------------------------------------------------
def test_a_record_is_found_by_its_dialect_and_id_only(engine: Engine) -> None:
    v8 = _create(engine)
    v7 = _create(engine, api="v7")
    assert engine.store.get("v8", v8) is not None and engine.store.get("v7", v7) is not None
    assert engine.store.get("v7", v8) is None and engine.store.get("v8", "nope") is None
    assert (engine.store.count("v8"), engine.store.count("v7")) == (1, 1)


def test_matches_come_in_creation_order_and_slice(engine: Engine) -> None:
    ids = [_create(engine, projectId=f"p{i % 2}") for i in range(5)]
    matched = engine.store.match("v8", ListQuery())
    assert [r.id for r in matched] == ids and len(matched) == 5
    assert [r.id for r in matched[1:3]] == ids[1:3] and matched[-1].id == ids[-1]
    assert [r.id for r in engine.store.match("v8", ListQuery(project_id="p0"))] == ids[0::2]
    assert list(engine.store.match("v7", ListQuery())) == []


@pytest.mark.parametrize(("query", "expected"), [
    (ListQuery(project_id="pa"), [0, 2]),
    (ListQuery(external_id="e1"), [1]),
    (ListQuery(owner=("b1", "s1")), [0, 1]),
    (ListQuery(owner=(None, None)), [2]),
    (ListQuery(state="READY"), [0, 1, 2]),
    (ListQuery(state="IN_PROGRESS"), []),
], ids=["project", "external", "owner", "no-owner", "state", "no-state"])
def test_filters(engine: Engine, query: ListQuery, expected: list[int]) -> None:
    ids = [_create(engine, owner=("b1", "s1"), projectId="pa"),
           _create(engine, owner=("b1", "s1"), externalId="e1"),
           _create(engine, projectId="pa")]
    assert [r.id for r in engine.store.match("v8", query)] == [ids[i] for i in expected]


def test_date_windows_are_inclusive(engine: Engine) -> None:
    first = _create(engine, instant=False, requested=iso(3600))
    second = _create(engine)
    record = engine.store.get("v8", first)
    assert record is not None and record.requested is not None
    exact = ListQuery(created_from=record.created, created_to=record.created)
    assert [r.id for r in engine.store.match("v8", exact)] == [first]
    later = ListQuery(created_from=record.created + timedelta(microseconds=1))
    assert first not in [r.id for r in engine.store.match("v8", later)]
    requested = ListQuery(requested_from=record.requested, requested_to=record.requested)
    assert [r.id for r in engine.store.match("v8", requested)] == [first]
    assert second in [r.id for r in engine.store.match("v8", ListQuery())]


def test_state_changes_are_kept(engine: Engine) -> None:
    poq_id = _create(engine, instant=False)
    wait_for(lambda: engine.retrieve("v8", poq_id)["state"] == "done", timeout=5)
    record = engine.store.get("v8", poq_id)
    assert record is not None and record.state == "READY"
    assert [r.id for r in engine.store.match("v8", ListQuery(state="READY"))] == [poq_id]


def test_clear_forgets_every_record(engine: Engine) -> None:
    _create(engine)
    _create(engine, api="v7")
    engine.store.clear()
    assert engine.store.count("v8") == engine.store.count("v7") == 0
    assert engine.store.get("v8", "x") is None


def test_a_durable_store_keeps_records_and_pending_timelines(
        open_store: Callable[[], Store]) -> None:
    store = open_store()
    engine = Engine(dataclasses.replace(FAST, in_progress_after=30), store=store)
    poq_id = _create(engine, instant=False)
    engine.notifier.close()
    engine.scheduler.close()
    again = open_store()
    if not store.durable:
        assert again.get("v8", poq_id) is None and again.pending() == []
        return
    record = again.get("v8", poq_id)
    assert record is not None and record.state == "ACKNOWLEDGED"
    assert [(r.id, len(t.items)) for r, t in again.pending()] == [(poq_id, 1)]
    assert again.pending(due_before=0) == []


# -- outbox --------------------------------------------------------------------------------
def _subscription(sub_id: str, api: str = "v8") -> Subscription:
    return Subscription(sub_id, api, "sonata", "http://127.0.0.1:9/listener", None, None)


def test_the_outbox_matches_the_store(open_store: Callable[[], Store]) -> None:
    store = open_store()
    outbox = outbox_for(store)
    assert outbox.durable == store.durable


def test_a_durable_store_that_declares_no_outbox_is_refused() -> None:
    class Durable(MemoryStore):
        durable = True
        outbox = None  # type: ignore[assignment]

    with pytest.raises(StoreError, match="declares no outbox"):
        outbox_for(Durable())


def test_subscriptions_are_kept_per_dialect(open_store: Callable[[], Store]) -> None:
    outbox = outbox_for(open_store())
    outbox.add_subscription(_subscription("s8"))
    outbox.add_subscription(_subscription("s7", "v7"))
    assert outbox.subscription("s8") == _subscription("s8")
    assert [s.id for s in outbox.subscriptions("v8")] == ["s8"]
    assert {s.id for s in outbox.subscriptions()} == {"s8", "s7"}
    assert not outbox.remove_subscription("s8", "v7")  # another dialect's id
    assert outbox.remove_subscription("s8", "v8") and outbox.subscription("s8") is None
    outbox.reset()
    assert outbox.subscriptions() == []


def test_notifications_are_served_in_order_until_delivered(
        open_store: Callable[[], Store]) -> None:
    outbox = outbox_for(open_store())
    outbox.add_subscription(_subscription("s"))
    for n in (1, 2):
        outbox.put("s", "http://127.0.0.1:9/x", {"eventId": f"ev-{n}"})
    first = outbox.claim("s")
    assert first is not None and first.body == {"eventId": "ev-1"}
    outcome, delay = outbox.settle(first, False, retries=3, backoff=0.01)
    assert outcome == RETRY and delay > 0
    wait_for(lambda: outbox.recheck("s"), timeout=2)
    again = outbox.claim("s")
    assert again is not None and again.body == {"eventId": "ev-1"} and again.attempts == 1
    assert outbox.settle(again, True, retries=3, backoff=0.01)[0] == DELIVERED
    second = outbox.claim("s")
    assert second is not None and second.body == {"eventId": "ev-2"}
    assert outbox.settle(second, False, retries=3, backoff=0.01, drop=True)[0] == DROPPED
    assert outbox.claim("s") is None
