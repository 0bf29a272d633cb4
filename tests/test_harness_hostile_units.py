"""The harness against a hostile Seller, piece by piece (issue 17, items 8-12): bodies
nested without bound, a Seller that drips, a token endpoint that redirects or answers
without end, notifications from strangers, the run's memory bounds, and how a run that
must stop ends (pytest status 2, one reason, results.json written; a test that raises is
an error, never a quiet failure).

Real sockets on 127.0.0.1 throughout; each test takes a few seconds at most."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from harness import evidence, safejson
from harness.auth import AuthError, TokenRedirect
from harness.client import TIMEOUTS_IN_A_ROW, SellerClient
from harness.deadline import RunGuard, RunStopped, StopReason, default_max_duration
from harness.evidence import Exchange, Notification, Recorder, read_body
from harness.listener import LOOPBACK, Listener
from harness.profile import Profile, parse_profile
from harness.session import seller_sources
from harness.transport import BoundedAdapter, Watchdog

pytest_plugins = ["pytester"]

BASE = "/mefApi/sonata/productOfferingQualification/v8"
V8_LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener"
RAW = {
    "seller": {"api": "v8", "base_url": "http://127.0.0.1:9" + BASE},
    "capabilities": {"product_specification": False, "change": False},
    "test_data": {
        "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
        "install_offering": {"product": {"productOffering": {"id": "1"}}},
    },
}


def profile(port: int, env: dict[str, str] | None = None, **seller: Any) -> Profile:
    data = copy.deepcopy(RAW)
    data["seller"].update(base_url=f"http://127.0.0.1:{port}{BASE}", **seller)
    return parse_profile(data, env=env or {})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- a scripted seller: one function per connection ------------------------------------


class Scripted:
    """A TCP server on 127.0.0.1 that hands each connection to ``script`` and counts them."""

    def __init__(self, script: Callable[[socket.socket, bytes], None]) -> None:
        self.script = script
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = conn.recv(65536)
                self.script(conn, request)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[socket.socket, bytes], None]], Scripted]]:
    servers: list[Scripted] = []

    def start(script: Callable[[socket.socket, bytes], None]) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def drip_body(conn: socket.socket, _: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n")
    for _ in range(100):
        conn.sendall(b" ")
        time.sleep(0.05)


def drip_headers(conn: socket.socket, _: bytes) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def answer(status: str, body: bytes, headers: str = "") -> Callable[[socket.socket, bytes], None]:
    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    return script


# -- depth-bounded JSON -------------------------------------------------------------------


def test_nesting_bound_refuses_deep_json_without_recursing() -> None:
    assert safejson.loads(nested(safejson.MAX_DEPTH)) is not None
    for depth in (safejson.MAX_DEPTH + 1, 900, 100_000):
        with pytest.raises(safejson.TooDeep):
            safejson.loads(nested(depth))
    with pytest.raises(safejson.TooDeep):
        safejson.loads('{"a": ' * 5000 + "1" + "}" * 5000)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 5000, "b": ['x\\"[[[', "{{{"]})
    assert safejson.loads(text)["a"] == "[" * 5000
    with pytest.raises(ValueError):
        safejson.loads('{"a": ')


def test_read_body_reports_a_deep_body_as_a_problem() -> None:
    body = read_body(nested(100_000).encode(), "application/json", 1000)
    assert body.json is None and not body.is_json
    assert body.problem and "deeper than 64" in body.problem
    assert body.truncated and len(body.recorded) < 1100


# -- the whole-response deadline ------------------------------------------------------------


@pytest.mark.parametrize(("script", "expected"), [
    (drip_body, "timeout: body not complete within 0.5 s"),
    (drip_headers, "timeout: no response within 0.5 s"),
])
def test_a_dripping_seller_is_cut_at_the_request_deadline(
    serve: Any, script: Any, expected: str
) -> None:
    seller = serve(script)
    client = SellerClient(profile(seller.port, timeout_s=0.5), Recorder())
    t0 = time.monotonic()
    ex = client.get_poq("x")
    assert time.monotonic() - t0 < 1.5
    assert ex.error == expected and ex.truncated is (script is drip_body)


def test_no_request_goes_out_once_the_deadline_passed(serve: Any) -> None:
    seller = serve(answer("200 OK", b"{}"))
    session = requests.Session()
    session.mount("http://", BoundedAdapter())
    with Watchdog(0) as dog:
        time.sleep(0.05)
        with pytest.raises(requests.RequestException):
            session.get(f"http://127.0.0.1:{seller.port}/", timeout=5)
    time.sleep(0.2)
    assert dog.fired and seller.connections == 0


def test_under_a_guard_timeouts_in_a_row_stop_the_run(serve: Any) -> None:
    """One unanswered request is the seller's finding (recorded, judged); a seller that
    leaves TIMEOUTS_IN_A_ROW requests in a row unanswered is not serving: the run stops."""
    seller = serve(drip_body)
    guard = RunGuard(60)
    client = SellerClient(profile(seller.port, timeout_s=0.3), Recorder(), guard=guard)
    for _ in range(TIMEOUTS_IN_A_ROW - 1):
        assert client.get_poq("x").error == "timeout: body not complete within 0.3 s"
    assert guard.reason is None
    with pytest.raises(RunStopped) as stopped:
        client.get_poq("x")
    assert str(stopped.value).startswith("no complete answer to GET http://127.0.0.1:")
    assert "within 0.3 s (seller.timeout_s)" in str(stopped.value)
    assert guard.reason == str(stopped.value)
    assert client.recorder.exchanges[0].error == "timeout: body not complete within 0.3 s"


def test_the_run_deadline_bounds_every_request(serve: Any) -> None:
    seller = serve(drip_body)
    stops: list[str] = []
    guard = RunGuard(0.4, on_stop=stops.append)
    client = SellerClient(profile(seller.port, timeout_s=30), Recorder(), guard=guard)
    t0 = time.monotonic()
    with pytest.raises(RunStopped):
        client.get_poq("x")
    assert time.monotonic() - t0 < 1.5
    assert stops == [f"run deadline of 0.4 s (--max-duration) passed while waiting for the "
                     f"answer to GET http://127.0.0.1:{seller.port}{BASE}/"
                     "productOfferingQualification/x"]
    with pytest.raises(RunStopped, match="waiting for a chance to send GET"):
        client.get_poq("y")


def test_default_run_deadline_follows_the_profiles_waits() -> None:
    data = copy.deepcopy(RAW)
    data.update(deferred={"max_wait_s": 10}, notifications={"max_wait_s": 5})
    assert default_max_duration(parse_profile(data, env={})) == 20 * 15 + 300


# -- bounded bodies ---------------------------------------------------------------------------


def test_an_endless_body_is_read_up_to_the_cap(serve: Any) -> None:
    def endless(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"[" + b"1," * 30_000 + b"1],"
        while True:
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")

    seller = serve(endless)
    ex = SellerClient(profile(seller.port, max_body_bytes=200_000, record_body_chars=1000),
                      Recorder()).get_poq("x")
    assert ex.error == "response body larger than 200000 bytes; not read"
    assert ex.json is None and ex.truncated
    assert "reading stopped (more than" in ex.response_body and len(ex.response_body) < 1200


def test_a_declared_huge_body_is_not_read(serve: Any) -> None:
    def declared(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 52428800\r\n\r\n" + b"[" + b"0," * 40_000)
        time.sleep(1)

    seller = serve(declared)
    t0 = time.monotonic()
    ex = SellerClient(profile(seller.port, record_body_chars=500), Recorder()).get_poq("x")
    assert time.monotonic() - t0 < 0.9
    assert "larger than" in (ex.error or "")
    assert "52428800 bytes declared" in ex.response_body and len(ex.response_body) < 700


def test_a_deep_answer_is_a_judged_error_not_a_crash(serve: Any) -> None:
    seller = serve(answer("200 OK", nested(100_000).encode()))
    ex = SellerClient(profile(seller.port), Recorder()).get_poq("x")
    assert ex.status == 200 and ex.json is None
    assert ex.error == "response body not parsed: JSON nested deeper than 64 levels; not parsed"


def test_run_budgets_cut_records_and_release_parsed_bodies(monkeypatch: Any) -> None:
    monkeypatch.setattr(evidence, "RUN_PARSED_BYTES", 300_000)
    monkeypatch.setattr(evidence, "RUN_RECORD_CHARS", 100)
    rec = Recorder()
    items = []
    for test in ("t1", "t1", "t2", "t2"):
        rec.current_test = test
        ex = Exchange(id=rec.next_id("ex"), test=test, method="GET", url="u", json=[1])
        rec.account(ex, 100_000, 50)
        items.append(ex)
    assert [e.released for e in items] == [True, False, False, False]
    assert items[0].json is None and items[0].to_dict()["note"].startswith("parsed body")
    assert "note" not in items[1].to_dict()
    assert rec.record_limit(65536) == evidence.SMALL_RECORD_CHARS
    floods = [Notification(id=f"nt-{n}", test="t2", path="/p", received="", monotonic=0.0,
                           json={}) for n in (1, 2)]
    for flood in floods:  # a finished test's body goes first, then the flood itself
        rec.account(flood, 100_000, 50)
    assert [e.released for e in items] == [True, True, False, False]
    assert [n.released for n in floods] == [False, True] and floods[1].json is None


# -- OAuth token endpoint ------------------------------------------------------------------


OAUTH = {"type": "oauth2_client_credentials", "client_id": "buyer",
         "client_secret_env": "SECRET", "client_auth": "body"}


def test_token_redirect_is_refused_and_nothing_reaches_the_other_host(serve: Any) -> None:
    other = serve(answer("200 OK", b'{"access_token": "stolen-token", "expires_in": 60}'))
    idp = serve(answer("307 Temporary Redirect", b"",
                       f"Location: http://127.0.0.1:{other.port}/token\r\n"))
    seller = serve(answer("200 OK", b"{}"))
    auth = {**OAUTH, "token_url": f"http://127.0.0.1:{idp.port}/token"}
    client = SellerClient(profile(seller.port, env={"SECRET": "s3cret-value"}, auth=auth),
                          Recorder())
    with pytest.raises(TokenRedirect, match=r"seller.auth.token_url: .* answered HTTP 307 "
                                            r"redirecting to http://127.0.0.1:\d+/token"):
        client.get_poq("x")
    time.sleep(0.2)
    assert idp.connections == 1 and other.connections == 0 and seller.connections == 0
    assert "s3cret-value" not in json.dumps([e.to_dict() for e in client.recorder.exchanges])
    guarded = SellerClient(profile(seller.port, env={"SECRET": "s3cret-value"}, auth=auth),
                           Recorder(), guard=RunGuard(60))
    with pytest.raises(RunStopped, match="not followed"):
        guarded.get_poq("x")
    assert other.connections == 0


def test_seller_redirects_are_recorded_not_followed(serve: Any) -> None:
    other = serve(answer("200 OK", b"{}"))
    seller = serve(answer("307 Temporary Redirect", b"",
                          f"Location: http://127.0.0.1:{other.port}{BASE}\r\n"))
    ex = SellerClient(profile(seller.port, auth={"type": "bearer", "token": "tok-12345"}),
                      Recorder()).create_poq({"a": 1})
    time.sleep(0.2)
    assert ex.status == 307 and other.connections == 0


def test_a_huge_token_answer_is_not_read(serve: Any) -> None:
    def huge(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        while True:
            conn.sendall(b"10000\r\n" + b" " * 0x10000 + b"\r\n")

    idp = serve(huge)
    client = SellerClient(profile(9, env={"SECRET": "s3cret-value"},
                                  auth={**OAUTH, "token_url": f"http://127.0.0.1:{idp.port}/t"}),
                          Recorder())
    ex = client.get_poq("x")
    assert ex.status is None
    assert ex.error == (f"authentication failed: token endpoint http://127.0.0.1:{idp.port}/t "
                        "answered more than 65536 bytes; not read")


def test_a_dripping_token_endpoint_is_cut(serve: Any) -> None:
    idp = serve(drip_body)
    client = SellerClient(profile(9, env={"SECRET": "s3cret-value"}, timeout_s=0.4,
                                  auth={**OAUTH, "token_url": f"http://127.0.0.1:{idp.port}/t"}),
                          Recorder())
    t0 = time.monotonic()
    ex = client.get_poq("x")
    assert time.monotonic() - t0 < 1.5
    assert ex.error and "incomplete within 0.4 s" in ex.error
    with pytest.raises(AuthError):
        client.auth.headers(client.session, 0.2)


# -- the listener: only this run's Seller counts -----------------------------------------------


def event(poq_id: str) -> dict[str, Any]:
    return {"eventId": "e1", "eventType": "poqStateChangeEvent",
            "eventTime": "2026-01-01T00:00:00Z", "event": {"id": poq_id, "state": "done"}}


def post_from(source: str, url: str, body: bytes) -> int:
    """POST ``body`` to ``url`` from the local address ``source``; returns the status."""
    parts = requests.utils.urlparse(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5,
                                  source_address=(source, 0)) as conn:
        conn.sendall(f"POST {parts.path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     f"application/json\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        return int(conn.recv(1024).split(b" ", 2)[1])


def test_posts_outside_the_run_path_are_foreign() -> None:
    with Listener(Recorder()) as listener:
        base = listener.callback_url.rsplit("/", 1)[0]
        spoof = requests.post(f"{base}{V8_LISTENER}/poqStateChangeEvent", json=event("p"),
                              timeout=5)
        real = requests.post(f"{listener.callback_url}{V8_LISTENER}/poqStateChangeEvent",
                             json=event("p"), timeout=5)
        assert (spoof.status_code, real.status_code) == (404, 204)
        [note] = listener.notifications
        assert not note.foreign and note.path == f"{V8_LISTENER}/poqStateChangeEvent"
        foreign = [n for n in listener.recorder.notifications if n.foreign]
        assert len(foreign) == 1 and foreign[0].error == "not this run's callback path"
        assert foreign[0].to_dict()["foreign"] is True and foreign[0].json is None


def test_posts_from_unknown_sources_are_foreign() -> None:
    from ipaddress import ip_network

    with Listener(Recorder(), allowed_sources=[ip_network("127.0.0.1/32")]) as listener:
        url = f"{listener.callback_url}{V8_LISTENER}/poqStateChangeEvent"
        body = json.dumps(event("p")).encode()
        assert post_from("127.0.0.2", url, body) == 403
        assert post_from("127.0.0.1", url, body) == 204
        assert [n.source for n in listener.notifications] == ["127.0.0.1"]
        [foreign] = [n for n in listener.recorder.notifications if n.foreign]
        assert foreign.source == "127.0.0.2" and "not the seller's" in (foreign.error or "")


def test_a_deep_notification_is_recorded_as_malformed() -> None:
    with Listener(Recorder()) as listener:
        url = f"{listener.callback_url}{V8_LISTENER}/poqStateChangeEvent"
        deep = requests.post(url, data=nested(100_000), timeout=5,
                             headers={"Content-Type": "application/json"})
        fine = requests.post(url, json=event("p"), timeout=5)
        assert (deep.status_code, fine.status_code) == (400, 204)
        first, second = listener.notifications
        assert first.error and "nested deeper than 64" in first.error and first.json is None
        assert second.error is None


def test_seller_sources_from_profile_or_host() -> None:
    def sources(url: str, listed: list[str] | None = None, callback: str | None = None) -> Any:
        data = copy.deepcopy(RAW)
        data["seller"]["base_url"] = url + BASE
        data["notifications"] = {"allowed_sources": listed, "callback_url": callback}
        return seller_sources(parse_profile(data, env={}))

    assert sources("http://127.0.0.1:8080") == LOOPBACK
    assert sources("http://localhost:8080") == LOOPBACK
    assert sources("http://[::1]:8080") == LOOPBACK
    assert sources("https://seller.example") is None
    assert sources("http://localhost:8080", callback="http://172.17.0.1:9000") is None
    assert [str(n) for n in sources("https://seller.example", ["203.0.113.7",
                                                               "198.51.100.0/24"])] == [
        "203.0.113.7/32", "198.51.100.0/24"]


def test_allowed_sources_must_be_addresses() -> None:
    from harness.errors import ConfigError

    data = copy.deepcopy(RAW)
    data["notifications"] = {"allowed_sources": ["seller.example"]}
    with pytest.raises(ConfigError, match="notifications.allowed_sources: 'seller.example' "
                                          "is not an IP address or CIDR block"):
        parse_profile(data, env={})


# -- a run that must stop; a test that raises -------------------------------------------

SUITE = '''
import pytest

@pytest.fixture(scope="session")
def stopped(poq_run):
    poq_run.guard.stop("the seller stopped answering")

@pytest.mark.requirements("R36", "R39")
def test_raises(verdict):
    verdict.check("R39", True, "fine so far")
    raise RuntimeError("crashed on seller data")

@pytest.mark.requirements("R84")
def test_fails(verdict):
    verdict.check("R84", False, "judged")

@pytest.mark.requirements("R92")
def test_waits(listener):
    listener.wait_for(lambda n: False, 30)

@pytest.mark.requirements("R8")
def test_stops(stopped):
    pass

def test_never_reached():
    pass
'''


@pytest.fixture
def profile_file(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "seller.yaml"
    path.write_text(yaml.safe_dump(RAW))
    return path


def run(pytester: pytest.Pytester, profile_file: Path, *args: str
        ) -> tuple[pytest.RunResult, dict[str, dict[str, object]], StopReason]:
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "results.json"
    stop = StopReason()
    result = pytester.runpytest("--seller-profile", str(profile_file), "--poq-results",
                                str(out), *args, plugins=[stop])
    tests = {str(t["nodeid"]).split("::")[-1]: t for t in json.loads(out.read_text())["tests"]}
    return result, tests, stop


def test_a_raising_test_is_an_error_and_a_failed_check_a_failure(
    pytester: pytest.Pytester, profile_file: Path
) -> None:
    _, tests, _ = run(pytester, profile_file, "-k", "raises or fails")
    assert tests["test_raises"]["outcome"] == "error"
    assert tests["test_raises"]["requirements"] == ["R36", "R39"]
    assert "crashed on seller data" in str(tests["test_raises"]["longrepr"])
    assert tests["test_fails"]["outcome"] == "failed"


def test_a_stop_ends_the_session_with_status_2(
    pytester: pytest.Pytester, profile_file: Path
) -> None:
    result, tests, stop = run(pytester, profile_file, "-k", "stops or never")
    assert result.ret == 2
    assert stop.reason == "the seller stopped answering"
    assert tests["test_stops"]["outcome"] == "error"
    assert tests["test_stops"]["longrepr"] == "run stopped: the seller stopped answering"
    assert "test_never_reached" not in tests


def test_the_run_deadline_cuts_a_long_wait(pytester: pytest.Pytester, profile_file: Path) -> None:
    t0 = time.monotonic()
    result, tests, stop = run(pytester, profile_file, "-k", "waits", "--poq-max-duration", "1")
    assert time.monotonic() - t0 < 10
    assert result.ret == 2
    assert stop.reason == ("run deadline of 1 s (--max-duration) passed while waiting for a "
                           "notification at the listener")
    assert tests["test_waits"]["outcome"] == "error"
