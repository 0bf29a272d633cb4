"""The shared sandbox survives any buyer (issue 17, mock side): callbacks the HTTP client
could not call are refused at registration and a delivery failure of any kind never stops
notifications for others; the request log keeps bounded entries; issued OAuth tokens are
purged and capped; IPv6 spellings of IPv4 addresses meet the callback policy; numbers out of
range are refused like NaN."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from mock_helpers import POQ, Listener, eline_item, poq, wait_for
from type_fuzz import scenario as fast_scenario

from mock_seller.app import create_app
from mock_seller.sandbox.auth import TokenIssuer
from mock_seller.sandbox.callbacks import CallbackPolicy
from mock_seller.sandbox.connections import ConnectionLimits
from mock_seller.sandbox.control import LocalControl
from mock_seller.sandbox.request_log import MAX_QUERY_KEYS, RequestLog
from mock_seller.server import MockServer


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    data = fast_scenario()
    data["callbacks"] = {"allow_loopback": True}
    data["notifications"].update({"retries": 1, "backoff": 0.05, "timeout": 2})
    with MockServer(data) as server:
        yield server


@pytest.mark.parametrize("callback, why", [
    ("http://a..b", "empty label"),
    ("http://" + "a" * 64 + ".example/", "longer than 63"),
    ("http://xn--zz.example/", "IDNA"),
    ("http://-buyer.example/", "not a valid host name label"),
    ("http://buyer%2eexample/", "'%'"),
    ("http://[", "valid URL"),
])
def test_undeliverable_callbacks_are_refused_naming_the_pointer(seller: MockServer,
                                                                callback: str, why: str) -> None:
    for api in ("v8", "v7"):
        resp = requests.post(seller.base_url(api) + "/hub", json={"callback": callback},
                             timeout=10)
        assert resp.status_code == 400, resp.text
        assert resp.json()["reason"].startswith("/callback: "), resp.json()
        assert why in resp.json()["reason"]


def test_four_bad_hubs_do_not_stop_notifications_for_others(seller: MockServer) -> None:
    """Four subscriptions whose URL makes the HTTP client raise (registered before the
    policy refused them, so put in directly, past the delivery guard): a good listener still
    gets every notification, and the failures are counted."""
    seller.engine.reset()
    notifier = seller.engine.notifier
    guard, notifier.guard = notifier.guard, None
    try:
        for bad in ("http://a..b", "http://" + "x" * 64 + ".example", "http://a..c",
                    "http://b..d"):
            assert requests.post(seller.base_url() + "/hub", json={"callback": bad},
                                 timeout=10).status_code == 400
            notifier.subscribe("v8", "sonata", bad, None)
        with Listener() as listener:
            assert requests.post(seller.base_url() + "/hub", json={"callback": listener.url},
                                 timeout=10).status_code == 201
            ids = [requests.post(seller.base_url() + POQ, json=poq(eline_item(), instant=False),
                                 timeout=10).json()["id"] for _ in range(6)]

            def all_final() -> bool:
                done = {e["event"]["id"] for e in listener.events()
                        if e["eventType"] == "poqStateChangeEvent"
                        and e["event"].get("state") == "done"}
                return done == set(ids)

            wait_for(all_final, timeout=15)
            wait_for(notifier.idle, timeout=10)
            assert len(listener.events()) == 4 * len(ids)  # 2 item and 2 POQ changes each
        assert notifier.errors >= 4 * 4  # every event to every bad hub: logged and counted
        assert LocalControl(seller.app).health()["notifications"]["errors"] == notifier.errors
    finally:
        notifier.guard = guard
        seller.engine.reset()


def test_ipv6_spellings_of_ipv4_addresses_meet_the_policy() -> None:
    policy = CallbackPolicy(allow_loopback=False, resolver=lambda host: [])
    for host in ("64:ff9b::a9fe:a9fe", "64:ff9b:1::a9fe:a9fe", "2002:a9fe:a9fe::1",
                 "::a9fe:a9fe", "::ffff:0:a9fe:a9fe", "::ffff:a9fe:a9fe"):
        assert "link-local" in (policy.refusal(f"http://[{host}]/") or ""), host
    for host in ("::127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"):
        assert "loopback" in (policy.refusal(f"http://[{host}]/") or ""), host
    assert policy.refusal("http://[2001:db8::1]/") is None
    resolving = CallbackPolicy(resolver=lambda host: ["64:ff9b::a9fe:a9fe"])
    assert "link-local" in (resolving.refusal("http://nat64.example/") or "")
    assert CallbackPolicy(allow=("169.254.0.0/16",)).refusal("http://[::a9fe:a9fe]/") is None


def test_request_log_entries_are_bounded_and_noise_is_only_counted() -> None:
    app = create_app({"CONTROL_TOKEN": "t", "REQUEST_LOG_BYTES": 64 * 1024})
    client = app.test_client()
    local = LocalControl(app)
    try:
        query = "&".join(f"k{i}={'v' * 5}" for i in range(33_000))  # about 250 KB
        base = "/mefApi/sonata/productOfferingQualification/v8" + POQ
        for _ in range(50):
            assert client.get(f"{base}?{query}").status_code == 400
        client.get(f"/no/such/path?{query}")
        rows = local.requests()
        assert len(rows) == 50
        assert all(r["truncated"] and len(r["query"]) == MAX_QUERY_KEYS for r in rows)
        assert local.state.log.bytes <= 64 * 1024
        health = local.health()
        assert health["requests_logged"] == 51 and health["requests_unlogged"] == 1
        client.get(base + "?state=" + "x" * 10_000)
        assert len(local.requests()[-1]["query"]["state"]) < 300
    finally:
        local.engine.close()


def test_request_log_is_capped_by_bytes() -> None:
    log = RequestLog(size=1000, max_bytes=10_000)
    for i in range(500):
        log.add({"n": i, "pad": "x" * 100})
    rows = log.entries()
    assert 50 < len(rows) < 100 and rows[-1]["n"] == 499
    assert log.bytes <= 10_000 and log.total == 500


def test_issued_tokens_are_purged_and_capped() -> None:
    issuer = TokenIssuer(max_tokens=100)
    short = [issuer.issue("alpha", 0.01) for _ in range(50)]
    time.sleep(0.02)
    kept = issuer.issue("alpha", 60)
    assert len(issuer) == 1 and issuer.entity_of(kept) == "alpha"
    assert all(issuer.entity_of(t) is None for t in short)
    for _ in range(300):
        issuer.issue("beta", 60)
    assert len(issuer) == 100


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400"])
def test_numbers_out_of_range_are_refused_like_nan(seller: MockServer, number: str) -> None:
    raw = json.dumps(poq(eline_item())).replace('"irValue": 1', f'"irValue": {number}')
    assert number in raw
    resp = requests.post(seller.base_url() + POQ, data=raw, timeout=10,
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert "out of range" in resp.json()["message"]


def _half_open(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    sock.sendall(b"GET /mefApi/sonata/productOfferingQualification/v8/"
                 b"productOfferingQualification HTTP/1.1\r\nHost: x\r\n")
    return sock


def test_a_request_dripping_past_its_deadline_gets_408() -> None:
    limits = ConnectionLimits(request_timeout=1.0)
    with MockServer(limits=limits) as server:
        sock = _half_open(server.port)
        started = time.monotonic()
        answer = b""
        while not answer and time.monotonic() - started < 6:
            try:
                sock.sendall(b"X")  # a byte now and then: activity, but no request
            except OSError:
                break
            sock.settimeout(0.3)
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(4096)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < 4
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=4)
        assert silent.recv(4096).startswith(b"HTTP/1.1 408")  # connected, sent nothing
        silent.close()


def test_connections_per_client_address_are_capped() -> None:
    limits = ConnectionLimits(max_connections_per_client=3)
    with MockServer(limits=limits) as server:
        held = [_half_open(server.port, "127.0.0.2") for _ in range(3)]
        extra = _half_open(server.port, "127.0.0.2")
        extra.settimeout(3)
        assert extra.recv(4096).startswith(b"HTTP/1.1 503")
        assert requests.get(server.base_url() + POQ, timeout=5).status_code == 200
        for sock in [*held, extra]:
            sock.close()
        time.sleep(0.3)  # closed ones make room again
        again = _half_open(server.port, "127.0.0.2")
        again.sendall(b"\r\n")
        again.settimeout(3)
        assert again.recv(4096).startswith(b"HTTP/1.1 200")
        again.close()


def test_the_loop_does_not_watch_a_channel_whose_thread_is_writing() -> None:
    """A running task sends its own output; polling its channel for writing only spins the
    loop (and starved the request threads under 64 connections). The loop watches it again
    once the task is done, or when the output passes the high watermark or must close."""
    with MockServer() as server:
        waitress_server = server._server
        mine, theirs = socket.socketpair()
        channel = waitress_server.channel_class(waitress_server, mine, ("127.0.0.3", 1),
                                                waitress_server.adj, map={})
        try:
            channel.total_outbufs_len = 100
            channel.requests = [object()]  # a request thread is running its task
            assert not channel.writable()
            channel.total_outbufs_len = waitress_server.adj.outbuf_high_watermark
            assert channel.writable()
            channel.total_outbufs_len = 100
            channel.close_when_flushed = True
            assert channel.writable()
            channel.close_when_flushed = False
            channel.requests = []  # the task is done: what is left is the loop's to send
            assert channel.writable()
            channel.total_outbufs_len = 0
            assert not channel.writable()
        finally:
            channel.requests = []
            channel.close()
            theirs.close()
