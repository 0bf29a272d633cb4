"""Schema migrations (storage/migrations.py): one ``schema_version`` mechanism for SQLite and
PostgreSQL, forward only, applied once however many processes start together, adopting a
SQLite file written before the mechanism existed."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from pg_helpers import postgres_admin_dsn_fixture, postgres_url_fixture  # noqa: F401

from mock_seller.storage.migrations import MIGRATIONS, statements
from mock_seller.storage.protocol import StoreError
from mock_seller.storage.sqlite import Database, SqliteStore


def test_a_file_from_before_schema_version_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # what the store wrote before: meta + version-1 tables
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema', '2')")
        for statement in statements(MIGRATIONS["sqlite"][0]):
            conn.execute(statement)
        conn.execute("INSERT INTO outbox (sub_id, event_id, url, body, created, next_at)"
                     " VALUES ('s', 'ev-old', 'http://x', '{}', 0, 0)")
    store = SqliteStore(str(path))
    try:
        versions = store.db.query("SELECT version FROM schema_version ORDER BY version")
        assert [v for (v,) in versions] == [1, 2]
        assert store.db.query("SELECT event_id, dead_at FROM outbox") == [("ev-old", None)]
    finally:
        store.close()


def test_migrating_again_changes_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    Database(path).close()
    db = Database(path)
    try:
        assert db.query("SELECT COUNT(*) FROM schema_version") == [(len(MIGRATIONS["sqlite"]),)]
    finally:
        db.close()


def test_postgres_processes_starting_together_migrate_once(postgres_url: str) -> None:
    from mock_seller.storage.postgres import PgDatabase

    opened: list[PgDatabase] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PgDatabase(postgres_url, max_size=2))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [] and len(opened) == 4
        rows = opened[0].query("SELECT version FROM schema_version ORDER BY version")
        assert [v for (v,) in rows] == list(range(1, len(MIGRATIONS["postgresql"]) + 1))
        opened[0].run("INSERT INTO schema_version VALUES (99, 0)")
        with pytest.raises(StoreError, match="newer"):
            PgDatabase(postgres_url, max_size=1)
    finally:
        for db in opened:
            db.close()


def test_postgres_errors_never_show_the_password(postgres_url: str) -> None:
    from mock_seller.storage import display_url, open_store

    wrong = postgres_url.replace("@", "x@", 1) if ":" in postgres_url.split("@")[0] else ""
    secret = wrong.split("://", 1)[1].split("@")[0].split(":", 1)[1]
    with pytest.raises(StoreError) as caught:
        open_store(wrong)
    assert secret not in str(caught.value) and "***" in str(caught.value)
    assert secret not in display_url(wrong)
    assert display_url("postgresql://u:p4ss@h:5432/db?password=p4ss") == \
        "postgresql://u:***@h:5432/db?password=***"


def test_cli_migrates_and_exits_without_showing_the_password(postgres_url: str) -> None:
    from click.testing import CliRunner

    from mock_seller.cli import mock as mock_command

    password = postgres_url.split("://", 1)[1].split("@")[0].partition(":")[2]
    result = CliRunner().invoke(mock_command, ["--store", postgres_url, "--migrate-only"])
    assert result.exit_code == 0, result.output
    assert f"schema version {len(MIGRATIONS['postgresql'])}" in result.output
    assert password and password not in result.output and ":***@" in result.output
