"""``--workers N`` and ``--server``: several processes are one seller over a shared store, the
memory store is refused in one line, and every mode stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from mock_helpers import eline_item, poq
from pg_helpers import postgres_admin_dsn_fixture, postgres_url_fixture  # noqa: F401

from mock_seller.serve_processes import choose_server

READY = "POQ mock seller listening on "
V7 = "/mefApi/sonata/productOfferingQualification/v7/productOfferingQualification"
BODY = poq(eline_item())


def _mock(*args: str, env: dict[str, str] | None = None,
          host: str = "127.0.0.1") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mock_seller", "--host", host,
                             "--port", "0", "--quiet", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=None if env is None else {**os.environ, **env})


def _root(proc: subprocess.Popen[str]) -> str:
    """``http://host:port`` from the ready line (what the process said instead, if not)."""
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith(READY), proc.stderr.read() if proc.poll() else line  # type: ignore[union-attr]
    return line.strip().removeprefix(READY)


def test_memory_store_refuses_several_workers() -> None:
    proc = _mock("--workers", "2")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.strip().splitlines() == [
        "Error: --workers 2: the memory store lives in one process; use --store "
        "sqlite:///mock.db (or another shared store) or --workers 1"]


def test_buyer_report_needs_one_worker(tmp_path: Path) -> None:
    proc = _mock("--workers", "2", "--store", f"sqlite:///{tmp_path / 'mock.db'}",
                 "--buyer-report", str(tmp_path / "buyer.json"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.strip().splitlines() == [
        "Error: --workers 2: --buyer-report is written by one process; use --workers 1 to "
        "keep a buyer report (GET /_mock/buyer-report merges every worker's)"]


@pytest.mark.parametrize("args", [
    ["--workers", "2", "--store", "sqlite:///{db}"],
    ["--server", "gunicorn"],
    ["--server", "gunicorn", "--workers", "2", "--store", "sqlite:///{db}"],
    ["--server", "granian"],
    ["--server", "granian", "--workers", "2", "--store", "sqlite:///{db}"],
])
def test_processes_serve_one_seller_and_stop(args: list[str], tmp_path: Path) -> None:
    _serve_one_seller_and_stop([a.format(db=tmp_path / "mock.db") for a in args])


@pytest.mark.parametrize("args", [["--workers", "3"], ["--server", "gunicorn"],
                                  ["--server", "granian", "--workers", "2"]])
def test_workers_on_postgresql_serve_one_seller_and_stop(args: list[str],
                                                         postgres_url: str) -> None:
    _serve_one_seller_and_stop([*args, "--store", postgres_url])


def _serve_one_seller_and_stop(args: list[str]) -> None:
    proc = _mock(*args)
    try:
        url = _root(proc) + V7
        with requests.Session() as first:
            created = first.post(url, json=BODY, timeout=10)
        assert created.status_code == 201, created.text
        poq_id = created.json()["id"]
        for _ in range(6):  # fresh connections land on either worker
            got = requests.get(f"{url}/{poq_id}", timeout=10)
            assert got.status_code == 200 and got.json()["id"] == poq_id
        bad = requests.post(url, data=b"{", timeout=10,
                            headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["code"] == "invalidBody"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
        assert code == 0 and out == "" and "Traceback" not in err, (code, out, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("server", ["waitress", "granian"])
def test_workers_end_with_a_killed_parent(server: str, tmp_path: Path) -> None:
    """kill -9 of the process a user started leaves no worker holding the port."""
    proc = _mock("--server", server, "--workers", "2", "--store",
                 f"sqlite:///{tmp_path / 'mock.db'}")
    try:
        url = _root(proc)
        assert requests.get(url + "/health", timeout=10).status_code == 200
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/health", timeout=1)
        except requests.ConnectionError:
            return
        time.sleep(0.1)
    pytest.fail("a worker still answers after its parent was killed")


@pytest.mark.parametrize("server", ["waitress", "granian"])
def test_the_process_environment_never_reads_as_request_headers(server: str) -> None:
    """granian copies the process environment into each request's environ: an operator's
    CONTENT_TYPE or HTTP_PROXY must not stand in for what the buyer sent."""
    proc = _mock("--server", server, env={"CONTENT_TYPE": "application/json",
                                          "HTTP_PROXY": "http://proxy.invalid:3128"})
    try:
        url = _root(proc) + V7
        sent = requests.Request("POST", url, data=json.dumps(BODY)).prepare()
        assert "Content-Type" not in sent.headers
        with requests.Session() as session:
            refused = session.send(sent, timeout=10)
        assert refused.status_code == 400, refused.text
        assert refused.json()["reason"] == "Content-Type must be application/json"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_serving_process_settles_its_collector() -> None:
    """What the start built leaves the collector's sight, and young collections run less
    often (mock_seller.server.settle_collector, called by every server once its app is
    built). Undone afterwards: this test process keeps Python's defaults."""
    import gc

    from mock_seller.server import GC_THRESHOLDS, settle_collector

    before = gc.get_threshold()
    try:
        settle_collector()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 10_000  # the modules, at least
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", "granian"), ("127.8.9.10", "granian"), ("::1", "granian"),
    ("[::1]", "granian"), ("localhost", "granian"), ("LOCALHOST", "granian"),
    ("0.0.0.0", "waitress"), ("::", "waitress"), ("192.0.2.7", "waitress"),
    ("sandbox.example.com", "waitress"), ("localhost.example.com", "waitress"),
])
def test_auto_serves_with_granian_only_where_no_other_host_connects(host: str,
                                                                    expected: str) -> None:
    assert choose_server("auto", host) == expected
    assert choose_server("auto", host, defects=True) == "waitress"  # any answer, as made
    for named in ("granian", "waitress", "gunicorn"):
        assert choose_server(named, host) == named
        assert choose_server(named, host, defects=True) == named


@pytest.mark.parametrize(("host", "server"), [("127.0.0.1", "granian"),
                                              ("0.0.0.0", "poq-mock-seller")])
def test_the_default_server_follows_the_host(host: str, server: str) -> None:
    """Without --server: the fastest on loopback, the one that bounds a body's time on an
    address other hosts reach (granian names itself in the Server header; our waitress
    says poq-mock-seller)."""
    proc = _mock(host=host)
    try:
        port = _root(proc).rsplit(":", 1)[1]
        answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Server"] == server
    finally:
        proc.terminate()
        proc.wait(timeout=30)
