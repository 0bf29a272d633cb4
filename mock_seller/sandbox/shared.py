"""One seller across processes: the ``/_mock`` state and what each process saw, kept in the
store's database (SQLite or PostgreSQL) so that every mock process on it behaves the same.

* **Changes** (scenario switch, faults, defects, reset, clearing the request log or the buyer
  records) are written to the ``control`` table, one row per kind, versions in one sequence;
  every process polls the table every ``POLL_INTERVAL`` s and applies newer versions locally,
  in order (a peer's reset already emptied the shared store: a process only forgets its own
  log, faults and buyer records). A process that starts adopts the stored state, so it joins
  the sandbox as it is now.
* **Shared counters**: ``unable_to_meet_time_next`` is one counter in the database, taken
  atomically, so N forced POQs are N whichever process serves them. The fault counters
  ``error_next`` / ``drop_next`` and the fault random draws stay per process.
* **What each process saw** (request log, buyer records) stays in its memory; a reader of
  ``/_mock/requests`` or ``/_mock/buyer-report`` asks every live process to publish a
  snapshot to the ``peer`` table (a ``collect`` version), waits up to ``COLLECT_WAIT`` s for
  them, and merges. A process that died leaves its last snapshot.

Installed by ``create_app`` (``install``) when the store has a SQL database.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from mock_seller.core.context import engine_of
from mock_seller.core.hooks import Shareable
from mock_seller.sandbox.sharing import SHARED_KEY, shared_of
from mock_seller.storage.sql import SqlDatabase

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.25  # s between two looks at the control table
ALIVE_WITHIN = 3.0  # s: a process that has not polled for this long is taken for gone
HEARTBEAT_EVERY = 4  # polls between two heartbeats (one write a second)
FORGET_PEERS_AFTER = 86_400.0  # s: what a process long gone saw is dropped at the next start
COLLECT_WAIT = 1.5  # s a reader waits for live processes to publish what they saw


class SharedControl:
    """The ``/_mock`` state of one app, shared with every process on the same database."""

    def __init__(self, app: Flask, db: SqlDatabase) -> None:
        self.app = app
        self.db = db
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        engine = engine_of(app)
        self._engine = engine
        self.local_unable = engine.unable
        engine.unable = _SharedUnable(self)  # type: ignore[assignment]  # one for all processes
        self._settings: dict[str, Shareable] = dict(engine.hooks.shareable)
        for key, setting in self._settings.items():  # plug-ins' settings (the kit's defects)
            setting.watch(self._publisher(key))
        self.db.run("DELETE FROM peer WHERE updated < ?", (time.time() - FORGET_PEERS_AFTER,))
        self._heartbeat()
        self.poll(adopt=True)
        self._thread = threading.Thread(target=self._run, name="poq-mock-shared", daemon=True)
        self._thread.start()

    # -- writing ----------------------------------------------------------------------------
    def publish(self, key: str, value: Any = None) -> None:
        """Store a change made in this process (already applied here). Versions are one
        sequence over every kind, so a process applies (or adopts) changes in their order.
        A reset also clears the stored faults; a reset or a switch zeroes the shared
        unable-to-meet-time counter (as they do in the process that made them)."""
        changes = [(key, value)] + ([("faults", {})] if key == "reset" else [])
        with self.db.transaction():
            for name, data in changes:
                self.db.run("INSERT INTO control (key, version, value) VALUES"
                            " (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM control), ?)"
                            " ON CONFLICT (key) DO UPDATE SET version = excluded.version,"
                            " value = excluded.value",
                            (name, json.dumps(data, separators=(",", ":"))))
            if key in ("reset", "scenario"):
                self.db.run("UPDATE control SET counter = 0 WHERE key='unable'")
            if key in ("reset", "scenario", "log", "buyers"):  # what processes saw, gone too
                keep = {"log": "buyers", "buyers": "requests"}.get(key)
                cleared = [c for c in ("requests", "buyers") if c != keep]
                self.db.run("UPDATE peer SET " + ", ".join(f"{c}=NULL" for c in cleared))
            rows = self.db.query("SELECT key, version FROM control")
        mine = {name for name, _ in changes}
        with self._lock:
            for name, version in rows:
                if name in mine:
                    self._seen[name] = int(version)

    def _publisher(self, key: str) -> Callable[[Any], None]:
        return lambda value: self.publish(key, value)

    def force_unable(self, count: int) -> None:
        self.local_unable.force(count)
        with self.db.transaction():
            self.db.run("INSERT INTO control (key, version, counter) VALUES ('unable', 1, ?)"
                        " ON CONFLICT (key) DO UPDATE SET counter = excluded.counter",
                        (max(0, count),))

    def take_unable(self) -> bool:
        """One deferred create takes one from the shared counter (a DB round trip for each
        deferred POQ: a local copy could be up to a poll late)."""
        rows = self.db.query("UPDATE control SET counter = counter - 1"
                             " WHERE key='unable' AND counter > 0 RETURNING counter")
        self.local_unable.pending = int(rows[0][0]) if rows else 0
        return bool(rows)

    # -- applying ---------------------------------------------------------------------------
    def poll(self, adopt: bool = False) -> None:
        """Apply what other processes changed since the last look (``adopt``: at start,
        take over the stored scenario, faults and defects; no reset, no collect)."""
        rows = self.db.query("SELECT key, version, value, counter FROM control ORDER BY version")
        for key, version, value, counter in rows:
            if key == "unable":
                self.local_unable.pending = int(counter)
                continue
            with self._lock:
                if self._seen.get(key, 0) >= version:
                    continue
                self._seen[key] = version
            if adopt and key in ("reset", "log", "buyers", "collect"):
                continue
            try:
                self._apply(key, json.loads(value) if value is not None else None)
            except Exception:  # a change this process cannot apply must not stop the others
                log.exception("cannot apply the shared %s change", key)

    def _apply(self, key: str, value: Any) -> None:
        from mock_seller.sandbox.control import LocalControl, scenario_from

        local = LocalControl(self.app)
        if key == "scenario":
            self._engine.use_scenario(scenario_from(value))
            local.state.log.clear()
        elif key == "faults":
            local.state.faults.configure(value)
        elif key in self._settings:
            self._settings[key].apply(value)
        elif key == "reset":
            local.forget()
        elif key == "log":
            local.state.log.clear()
        elif key == "buyers":
            from mock_seller.buyer.hooks import state_of as buyer_state_of

            buyer = buyer_state_of(self.app)
            if buyer is not None:
                buyer.recorder.clear()
        elif key == "collect":
            self._publish_seen()

    def _run(self) -> None:
        rounds = 0
        while not self._stop.wait(POLL_INTERVAL) and not self.db.closed:
            rounds += 1
            try:
                if rounds % HEARTBEAT_EVERY == 0:
                    self._heartbeat()
                self.poll()
            except Exception:  # a busy or unreachable database: try again next round
                log.debug("shared control poll failed", exc_info=True)

    def _heartbeat(self) -> None:
        self.db.run("INSERT INTO peer (owner, updated) VALUES (?, ?) ON CONFLICT (owner)"
                    " DO UPDATE SET updated = excluded.updated", (self.db.owner, time.time()))

    # -- what each process saw --------------------------------------------------------------
    def _publish_seen(self) -> None:
        from mock_seller.buyer.hooks import state_of as buyer_state_of
        from mock_seller.sandbox.control import state_of

        buyer = buyer_state_of(self.app)
        requests = state_of(self.app).log.entries()
        buyers = buyer.recorder.snapshot() if buyer is not None else []
        self.db.run("UPDATE peer SET requests=?, buyers=?, published=? WHERE owner=?",
                    (json.dumps(requests), json.dumps(buyers), time.time(), self.db.owner))

    def collect(self) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """(request log, buyer logs) of every other process, fresh from the live ones; none
        when the database does not answer (this process's own view is still worth giving)."""
        if self.db.closed:
            return []
        try:
            return self._collect()
        except Exception as exc:  # the driver's error types vary: log, go on without peers
            log.warning("what other processes saw is not available: %s", type(exc).__name__)
            return []

    def _collect(self) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        asked = time.time()
        self.publish("collect")
        deadline = time.monotonic() + COLLECT_WAIT
        while True:
            rows = self.db.query("SELECT updated, published, requests, buyers FROM peer"
                                 " WHERE owner <> ?", (self.db.owner,))
            waiting = [r for r in rows if (r[1] or 0) < asked and r[0] > asked - ALIVE_WITHIN]
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return [(json.loads(r[2]), json.loads(r[3] or "[]")) for r in rows if r[2] is not None]

    def requests(self, own: list[dict[str, Any]], limit: int | None,
                 buyer: str | None) -> list[dict[str, Any]]:
        """The request log of every process, oldest first."""
        rows = list(own)
        for peer_requests, _ in self.collect():
            rows += peer_requests
        if buyer is not None:
            rows = [r for r in rows if r.get("buyer") == buyer]
        rows.sort(key=lambda r: r.get("time") or "")
        return rows[-limit:] if limit else rows

    def buyer_logs(self, own: list[dict[str, Any]], buyer: str | None) -> list[dict[str, Any]]:
        """Buyer logs of every process, one per buyer (exchange ids renumbered per process)."""
        from mock_seller.buyer.merge import merge_logs

        peers = [[b for b in logs if buyer in (None, b["name"])] for _, logs in self.collect()]
        return merge_logs([own, *peers])

    def processes(self) -> int:
        """Processes on this database that polled within ``ALIVE_WITHIN`` s (this one too)."""
        since = time.time() - ALIVE_WITHIN
        return int(self.db.query("SELECT COUNT(*) FROM peer WHERE updated > ?", (since,))[0][0])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def install(app: Flask) -> SharedControl | None:
    """Share the ``/_mock`` state through the store's database (None for a memory store)."""
    db = getattr(app.extensions["poq_mock"].store, "db", None)
    if not isinstance(db, SqlDatabase):
        return None
    shared = SharedControl(app, db)
    app.extensions[SHARED_KEY] = shared
    return shared


__all__ = ["SharedControl", "install", "shared_of"]


class _SharedUnable:
    """The engine's unable-to-meet-time counter (``UnableCounter``), kept in the database."""

    def __init__(self, shared: SharedControl) -> None:
        self._shared = shared

    @property
    def pending(self) -> int:
        return self._shared.local_unable.pending

    def force(self, count: int) -> None:
        self._shared.force_unable(count)

    def take(self) -> bool:
        return self._shared.take_unable()
