"""A real PostgreSQL for the tests that need one (import the fixtures into the test module).

Where it comes from: ``$POQ_TEST_POSTGRES_DSN`` (CI starts a throwaway cluster with
``.ci/start-postgres.sh`` and exports it); else, when PostgreSQL's server binaries are on this
machine, a throwaway cluster started by the same script for this test session; else the tests
skip saying why, except under ``CI=true``, where a missing PostgreSQL fails them (they are
required there). Each test gets a database of its own, dropped afterwards."""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "POQ_TEST_POSTGRES_DSN"
SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "start-postgres.sh"


def _start_cluster() -> tuple[str, str] | None:
    """(dsn, data directory) of a cluster started for this session, or None."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return None
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    found = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines()
                 if line.startswith("export "))
    return (shlex.split(found[ENV])[0], shlex.split(found["POQ_TEST_POSTGRES_DIR"])[0])


@pytest.fixture(scope="session", name="postgres_admin_dsn")
def postgres_admin_dsn_fixture() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="psycopg is not installed (extra 'postgres')")
    dsn = os.environ.get(ENV)
    started = None
    if not dsn:
        started = _start_cluster()
        if started is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is required in CI: set {ENV} (.ci/start-postgres.sh)")
            pytest.skip(f"no PostgreSQL: set {ENV}=postgresql://... or install the server "
                        "(apt-get install postgresql) to run the PostgreSQL store tests")
        dsn = started[0]
    try:
        yield dsn
    finally:
        if started is not None:
            bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
            data = Path(started[1]) / "data"
            cmd = [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"]
            if os.geteuid() == 0:
                cmd = ["runuser", "-u", "poqtest", "--", *cmd]
            subprocess.run(cmd, capture_output=True, timeout=60, check=False)
            shutil.rmtree(started[1], ignore_errors=True)


@pytest.fixture(name="postgres_url")
def postgres_url_fixture(postgres_admin_dsn: str) -> Iterator[str]:
    """A fresh, empty database on the test cluster (its DSN)."""
    import psycopg

    name = f"poq_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = postgres_admin_dsn.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_admin_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
