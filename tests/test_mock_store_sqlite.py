"""The SQLite store and durable outbox (``--store sqlite:...``): records round-trip through the
file, list filters match the memory store's, restarts in the same process keep POQs and
subscriptions, deliveries are retried past the memory limit with a stable eventId."""

from __future__ import annotations

import dataclasses
import gc
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from mock_helpers import POQ, Listener, create, eline_item, iso, poll_final, poq, uni_item, wait_for

from mock_seller.cli import mock as mock_command
from mock_seller.core.engine import Engine
from mock_seller.core.scenario import load_scenario
from mock_seller.core.timeutil import parse_datetime
from mock_seller.server import MockServer
from mock_seller.storage import open_store
from mock_seller.storage.codec import decode, encode
from mock_seller.storage.memory import MemoryOutbox
from mock_seller.storage.protocol import (
    DELIVERED,
    DROPPED,
    RETRY,
    ListQuery,
    StoreError,
    Timeline,
    retry_delay,
)
from mock_seller.storage.sqlite import Database, SqliteOutbox, SqliteStore, path_from_url

FAST = dataclasses.replace(load_scenario(), in_progress_after=0.05, item_interval=0.05)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"  # tmp paths are absolute: sqlite:////tmp/...


@pytest.fixture(name="db_path")
def db_path_fixture(tmp_path: Path) -> Path:
    return tmp_path / "mock.db"


@pytest.fixture(name="seller")
def seller_fixture(db_path: Path) -> Iterator[MockServer]:
    with MockServer(scenario=FAST, store=_url(db_path)) as server:
        yield server


def test_store_urls() -> None:
    assert path_from_url("sqlite:///rel/x.db") == "rel/x.db"
    assert path_from_url("sqlite:////abs/x.db") == "/abs/x.db"
    for bad in ("sqlite://x.db", "sqlite:///", "postgres:x", "mysql://u:pw@h/db"):
        with pytest.raises(StoreError):
            open_store(bad)
    assert open_store("memory").durable is False
    assert open_store(None).durable is False


def test_cli_rejects_a_bad_store_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(mock_command, ["--port", "0", "--store",
                                               f"sqlite:///{tmp_path}/missing/dir/x.db"])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_codec_round_trips_records_and_refuses_foreign_classes(db_path: Path) -> None:
    engine = Engine(FAST, store=SqliteStore(str(db_path)))
    try:
        body = poq(eline_item(eir=10), instant=False, alternatives=True, projectId="p1")
        wire = engine.create("v8", body, "http://h/base")
        stored = engine.store.get("v8", wire["id"])
        assert stored is not None
        again = decode(encode(stored))
        assert again == stored and again.items[0].plan == stored.items[0].plan
        assert stored.items[0].plan.result.alternates  # nested frozen dataclasses and tuples
        assert engine.retrieve("v8", wire["id"]) == wire  # same wire body from the file
    finally:
        engine.close()
    with pytest.raises(StoreError):
        decode({"$c": "os:system", "f": {}})


def test_codec_loads_class_names_written_before_the_modules_moved() -> None:
    """A file written when the record classes lived at the top of mock_seller still loads."""
    old = encode(Timeline(1.0, ((2.0, 0),)))
    old["$c"] = old["$c"].replace("mock_seller.storage.protocol", "mock_seller.store")
    assert decode(old) == Timeline(1.0, ((2.0, 0),))


def test_list_filters_match_the_memory_store(db_path: Path) -> None:
    """The same requests against both stores give the same rows in the same order."""
    bodies = [poq(eline_item(), projectId="pa", externalId="e1"),
              poq(eline_item(), projectId="pb"),
              poq(eline_item(), instant=False, requested=iso(-5), externalId="e1"),
              poq(uni_item(), instant=False, requested=iso(7200), projectId="pa")]
    queries = ({}, {"projectId": "pa"}, {"externalId": "e1"}, {"state": "done"},
               {"state": "terminatedWithError"}, {"limit": "2", "offset": "1"},
               {"requestedPOQCompletionDate.gt": iso(3600)},
               {"creationDate.gt": iso(-60), "creationDate.lt": iso(60)})
    results = []
    for store in (None, _url(db_path)):
        with MockServer(scenario=FAST, store=store) as server:
            ids = [create(server, b).json()["id"] for b in bodies]
            for poq_id in ids[2:]:
                poll_final(server, poq_id)
            seen = {}
            for query in queries:
                resp = requests.get(server.base_url() + POQ, params=query, timeout=10)
                assert resp.status_code == 200, resp.text
                seen[str(query)] = ([ids.index(r["id"]) for r in resp.json()],
                                    resp.headers["X-Total-Count"])
            results.append(seen)
    memory, sqlite = results
    assert sqlite == memory
    assert memory["{'projectId': 'pa'}"] == ([0, 3], "2")
    assert memory["{'limit': '2', 'offset': '1'}"] == ([1, 2], "4")


def test_list_queries_use_indexes(db_path: Path) -> None:
    store = SqliteStore(str(db_path))
    try:
        conn = store.db.conn()
        for where in ("api=? AND project_id=?", "api=? AND external_id=?", "api=? AND state=?",
                      "api=? AND created_ts >= ?"):
            plan = " ".join(str(row) for row in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT data FROM poq WHERE {where} ORDER BY seq",
                ["v8", "x"]).fetchall())
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (where, plan)
    finally:
        store.close()


def test_restart_in_process_keeps_poqs_and_subscriptions(db_path: Path) -> None:
    slow = dataclasses.replace(FAST, in_progress_after=0.3, item_interval=0.3)
    with MockServer(scenario=slow, store=_url(db_path)) as first:
        sub = requests.post(first.base_url() + "/hub", json={"callback": "http://127.0.0.1:9"},
                            timeout=5).json()
        done = create(first, poq(eline_item())).json()
        later = create(first, poq(eline_item(), eline_item("2"), instant=False)).json()
    with MockServer(scenario=slow, store=_url(db_path)) as second:
        assert requests.get(f"{second.base_url()}/hub/{sub['id']}", timeout=5).json() == sub
        again = requests.get(f"{second.base_url()}{POQ}/{done['id']}", timeout=5).json()
        assert again["state"] == "done" and again["id"] == done["id"]
        final = poll_final(second, later["id"])
        assert final["state"] == "done"
        assert [c["state"] for c in final["stateChange"]] == ["acknowledged", "inProgress",
                                                              "done"]
        assert requests.delete(f"{second.base_url()}/hub/{sub['id']}", timeout=5).status_code \
            == 204


def test_redeliveries_follow_the_scenario_policy_with_a_stable_event_id(db_path: Path) -> None:
    """retries=4: the first event is refused 4 times and goes through on the 5th attempt
    (the same policy as the memory store), every redelivery with its eventId."""
    scenario = dataclasses.replace(FAST, notify_retries=4, notify_backoff=0.02)
    with Listener(fail_first=4) as listener, \
            MockServer(scenario=scenario, store=_url(db_path)) as server:
        requests.post(server.base_url() + "/hub", json={"callback": listener.url}, timeout=5)
        created = create(server, poq(eline_item(), instant=False)).json()
        poll_final(server, created["id"])
        wait_for(lambda: len(listener.events()) == 4, timeout=10)
        events = listener.events()
        assert listener.attempts == 8  # 4 refused attempts of the first event, then 4 accepted
        assert [(e["eventType"], e["event"]["state"]) for e in events] == [
            ("poqItemStateChangeEvent", "inProgress"), ("poqStateChangeEvent", "inProgress"),
            ("poqItemStateChangeEvent", "done"), ("poqStateChangeEvent", "done")]
        assert len({e["eventId"] for e in events}) == 4
        assert server.engine.notifier.dropped == 0
        wait_for(server.engine.notifier.idle)


def test_outbox_rows_keep_their_event_id_until_delivered(db_path: Path) -> None:
    db = Database(str(db_path))
    try:
        outbox = SqliteOutbox(db)
        sub = type("Sub", (), {"id": "s1", "api": "v8"})
        db.conn().execute("INSERT INTO subscription (id, api, data) VALUES ('s1','v8','{}')")
        outbox.put(sub.id, "http://127.0.0.1:9/x", {"eventId": "ev-1", "n": 1})
        outbox.put(sub.id, "http://127.0.0.1:9/x", {"eventId": "ev-2", "n": 2})
        first = outbox.claim("s1")
        assert first is not None and first.body["eventId"] == "ev-1"
        other = SqliteOutbox(Database(str(db_path)))  # another process: lease held
        assert other.claim("s1") is None
        outcome, delay = outbox.settle(first, False, retries=2, backoff=0.01)
        assert (outcome, delay) == (RETRY, 0.01)
        wait_for(lambda: outbox.recheck("s1"), timeout=2)
        again = other.claim("s1")  # lease released: a peer may serve the retry, same event
        assert again is not None and again.body == first.body and again.attempts == 1
        assert other.settle(again, True, retries=2, backoff=0.01)[0] == DELIVERED
        nxt = outbox.claim("s1")
        assert nxt is not None and nxt.body["eventId"] == "ev-2"
    finally:
        db.close()


def test_retry_delay_and_memory_drop() -> None:
    assert [retry_delay(n, 4, 0.2) for n in (1, 2, 3, 4, 5, 9)] == pytest.approx(
        [0.2, 0.4, 0.8, 1.6, 1.6, 1.6])
    outbox = MemoryOutbox()
    sub = type("Sub", (), {"id": "s", "api": "v8"})
    outbox.add_subscription(sub)
    outbox.put("s", "u", {"eventId": "e"})
    pending = outbox.claim("s")
    assert pending is not None
    assert outbox.settle(pending, False, retries=1, backoff=0.1)[0] == RETRY
    assert outbox.settle(pending, False, retries=1, backoff=0.1)[0] == DROPPED
    assert outbox.claim("s") is None


def test_transaction_rolls_back_on_error(db_path: Path) -> None:
    store = SqliteStore(str(db_path))
    engine = Engine(FAST, store=store)
    try:
        wire = engine.create("v8", poq(eline_item()), "http://h/b")
        with pytest.raises(RuntimeError), store.transaction():
            store.clear()
            raise RuntimeError("boom")
        assert store.count("v8") == 1 and store.get("v8", wire["id"]) is not None
    finally:
        engine.close()


def test_date_filters_are_inclusive(db_path: Path) -> None:
    store = SqliteStore(str(db_path))
    engine = Engine(FAST, store=store)
    try:
        wire = engine.create("v8", poq(eline_item()), "http://h/b")
        created = parse_datetime(wire["creationDate"])
        record = store.get("v8", wire["id"])
        assert record is not None and created is not None
        exact = ListQuery(created_from=record.created, created_to=record.created)
        assert [r.id for r in store.match("v8", exact)] == [wire["id"]]
        assert len(store.match("v7", ListQuery())) == 0
    finally:
        engine.close()


def test_wal_mode_and_busy_timeout(db_path: Path) -> None:
    db = Database(str(db_path))
    try:
        assert db.conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.conn().execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    finally:
        db.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 0)")
    with pytest.raises(StoreError, match="schema version 99 .* newer"):
        Database(str(db_path))


def test_matches_page_and_iterate_in_creation_order(db_path: Path) -> None:
    store = SqliteStore(str(db_path))
    engine = Engine(FAST, store=store)
    try:
        ids = [engine.create("v8", poq(eline_item(), projectId=f"p{i % 2}"), "http://h/b")["id"]
               for i in range(7)]
        matched = store.match("v8", ListQuery(project_id="p0"))
        assert len(matched) == 4
        assert [r.id for r in matched] == ids[0::2]  # iteration: one query, in order
        assert [r.id for r in matched[1:3]] == ids[2:6:2]
        assert matched[-1].id == ids[6] and matched[0].id == ids[0]
        assert matched[10:20] == []
        with pytest.raises(IndexError):
            matched[4]  # noqa: B018 (the lookup is the test)
    finally:
        engine.close()


def test_owner_filter_is_done_by_the_store(db_path: Path) -> None:
    """Buyer isolation (tenancy.py) lists only the owner's POQs; the SQLite store filters
    in SQL (an index), not by loading every POQ."""
    seen = []
    for store in (None, SqliteStore(str(db_path))):
        engine = Engine(FAST, store=store)
        try:
            for owner in (("b1", "s1"), ("b2", "s1"), ("b1", "s1"), None):
                engine.create("v8", poq(eline_item()), "http://h/b", owner=owner)
            mine = engine.list("v8", ListQuery(), 0, None, owner=("b1", "s1"))
            anonymous = engine.store.match("v8", ListQuery(owner=(None, None)))
            seen.append((mine.total, len(mine.rows), len(anonymous)))
        finally:
            engine.close()
    assert seen == [(2, 2, 1), (2, 2, 1)]
    store = SqliteStore(str(db_path))
    try:
        plan = str(store.db.conn().execute(
            "EXPLAIN QUERY PLAN SELECT data FROM poq WHERE api=? AND buyer IS ? AND seller IS ?"
            " ORDER BY seq", ["v8", "b1", "s1"]).fetchall())
        assert "poq_owner" in plan
    finally:
        store.close()


def test_a_thread_connection_closes_when_its_thread_ends(tmp_path: Path) -> None:
    """granian starts and ends request threads on demand: no connection outlives its thread."""
    db = Database(str(tmp_path / "mock.db"))
    try:
        for _ in range(20):
            thread = threading.Thread(target=db.query, args=("SELECT 1",))
            thread.start()
            thread.join()
        gc.collect()
        assert len(db._all) == 1  # the opening thread's, still alive
        assert db.query("SELECT 1") == [(1,)]
    finally:
        db.close()
