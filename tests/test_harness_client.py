"""Seller client: recording, auth, party ids, and every way a Seller can misbehave
(down, slow, HTML, non-JSON, huge bodies) ending in a recorded exchange, never a crash."""

from __future__ import annotations

import copy
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from harness.client import SellerClient
from harness.evidence import MASK, Recorder
from harness.profile import Profile, parse_profile

URL = "http://seller.test/mefApi/sonata/productOfferingQualification/v8"
POQ_URL = f"{URL}/productOfferingQualification"
RAW = {
    "seller": {"api": "v8", "base_url": URL},
    "capabilities": {"product_specification": False, "change": False},
    "test_data": {
        "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
        "install_offering": {"product": {"productOffering": {"id": "1"}}},
    },
}


def profile(env: dict[str, str] | None = None, **seller: Any) -> Profile:
    data = copy.deepcopy(RAW)
    data["seller"].update(seller)
    return parse_profile(data, env=env or {})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@responses.activate
def test_exchange_recorded_with_ids_bodies_and_latency(recorder: Recorder) -> None:
    responses.post(POQ_URL, json={"id": "p1", "state": "done"}, status=201)
    responses.get(f"{POQ_URL}/p1", json={"id": "p1"}, status=200)
    client = SellerClient(profile(), recorder)
    recorder.current_test = "t::a"
    created = client.create_poq({"instantSyncQualification": True})
    got = client.get_poq("p1")
    assert (created.id, got.id) == ("ex-1", "ex-2")
    assert created.ok and created.status == 201 and created.json == {"id": "p1", "state": "done"}
    assert created.error is None and created.test == "t::a"
    assert created.latency_ms is not None and created.latency_ms >= 0
    doc = created.to_dict()
    assert doc["request"]["body"] == {"instantSyncQualification": True}
    assert doc["response"]["status"] == 201 and doc["response"]["body"]["id"] == "p1"
    assert doc["method"] == "POST" and doc["url"] == POQ_URL
    assert recorder.exchanges == [created, got]


@responses.activate
def test_buyer_and_seller_ids_are_query_parameters(recorder: Recorder) -> None:
    responses.get(POQ_URL, json=[])
    client = SellerClient(profile(buyer_id="B1", seller_id="S 2"), recorder)
    ex = client.list_poqs({"state": "done"})
    sent = responses.calls[0].request.url
    assert "buyerId=B1" in sent and "sellerId=S+2" in sent and "state=done" in sent
    assert ex.url == sent


@responses.activate
def test_bearer_token_sent_but_masked_everywhere(recorder: Recorder) -> None:
    responses.post(POQ_URL, json={"echo": "tok-abcdef123"}, status=201,
                   headers={"Set-Cookie": "session=zzz"})
    client = SellerClient(profile(auth={"type": "bearer", "token": "tok-abcdef123"}), recorder)
    ex = client.create_poq({"note": "tok-abcdef123"})
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-abcdef123"
    text = json.dumps(ex.to_dict())
    assert "tok-abcdef123" not in text
    assert ex.request_headers["Authorization"] == MASK
    assert ex.response_headers["Set-Cookie"] == MASK


@responses.activate
def test_oauth2_token_is_cached_and_refreshed_after_401(recorder: Recorder) -> None:
    token_url = "https://idp.test/token"
    tokens = iter(["tok-one-1111", "tok-two-2222"])
    responses.add_callback(
        responses.POST, token_url,
        callback=lambda req: (200, {}, json.dumps(
            {"access_token": next(tokens), "expires_in": 3600, "token_type": "Bearer"})),
    )
    responses.get(f"{POQ_URL}/a", json={"id": "a"})
    responses.get(f"{POQ_URL}/b", json={"code": "unauthorized"}, status=401)
    responses.get(f"{POQ_URL}/c", json={"id": "c"})
    auth = {"type": "oauth2_client_credentials", "token_url": token_url, "client_id": "buyer",
            "client_secret_env": "SECRET", "scope": "poq"}
    client = SellerClient(profile(env={"SECRET": "client-secret-9"}, auth=auth), recorder)
    client.get_poq("a")
    client.get_poq("b")  # 401: forget the token
    client.get_poq("c")
    token_calls = [c for c in responses.calls if c.request.url == token_url]
    assert len(token_calls) == 2
    assert "grant_type=client_credentials" in token_calls[0].request.body
    assert token_calls[0].request.headers["Authorization"].startswith("Basic ")
    seller_calls = [c for c in responses.calls if c.request.url != token_url]
    assert [c.request.headers["Authorization"] for c in seller_calls] == [
        "Bearer tok-one-1111", "Bearer tok-one-1111", "Bearer tok-two-2222"]
    dumped = json.dumps([e.to_dict() for e in recorder.exchanges])
    assert "tok-one-1111" not in dumped and "client-secret-9" not in dumped


@responses.activate
def test_token_endpoint_down_is_a_recorded_error(recorder: Recorder) -> None:
    responses.post("https://idp.test/token", status=503)
    auth = {"type": "oauth2_client_credentials", "token_url": "https://idp.test/token",
            "client_id": "buyer", "client_secret_env": "SECRET"}
    client = SellerClient(profile(env={"SECRET": "s3cret"}, auth=auth), recorder)
    ex = client.get_poq("x")
    assert ex.status is None and "authentication failed" in (ex.error or "")


@responses.activate
def test_html_error_page(recorder: Recorder) -> None:
    responses.get(f"{POQ_URL}/x", body="<html><body>Bad Gateway</body></html>", status=502,
                  content_type="text/html")
    ex = SellerClient(profile(), recorder).get_poq("x")
    assert ex.status == 502 and ex.json is None
    assert ex.error is not None and "HTML page" in ex.error
    assert ex.response_body.startswith("<html>")


@responses.activate
def test_non_json_and_mislabelled_bodies(recorder: Recorder) -> None:
    responses.get(f"{POQ_URL}/t", body="all good", status=200, content_type="text/plain")
    responses.get(f"{POQ_URL}/j", body='{"id": "j"}', status=200, content_type="text/plain")
    responses.get(f"{POQ_URL}/broken", body='{"id": ', status=200,
                  content_type="application/json")
    client = SellerClient(profile(), recorder)
    text = client.get_poq("t")
    assert text.error and "not JSON" in text.error and text.response_body == "all good"
    mislabelled = client.get_poq("j")
    assert mislabelled.error is None and mislabelled.json == {"id": "j"}
    broken = client.get_poq("broken")
    assert broken.json is None and broken.error and "not JSON" in broken.error


@responses.activate
def test_large_body_recorded_truncated_but_parsed_in_full(recorder: Recorder) -> None:
    big = {"id": "p", "items": ["x" * 100] * 100}
    responses.get(f"{POQ_URL}/p", json=big)
    ex = SellerClient(profile(record_body_chars=1024), recorder).get_poq("p")
    assert ex.error is None and ex.json == big
    assert ex.truncated and isinstance(ex.response_body, str)
    assert len(ex.response_body) < 1200 and "truncated" in ex.response_body


@responses.activate
def test_huge_body_stops_reading(recorder: Recorder) -> None:
    responses.get(f"{POQ_URL}/huge", body=b"[" + b"1," * 600_000 + b"1]",
                  content_type="application/json")
    ex = SellerClient(profile(max_body_bytes=100_000), recorder).get_poq("huge")
    assert ex.status == 200 and ex.json is None and ex.truncated
    assert ex.error and "larger than 100000 bytes" in ex.error
    assert len(ex.response_body) < 70_000


@responses.activate
@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "timeout: no response within"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "connect timeout"),
        (requests.exceptions.ConnectionError("Connection refused"), "seller unreachable"),
    ],
)
def test_transport_errors_become_recorded_exchanges(
    recorder: Recorder, exc: Exception, expected: str
) -> None:
    responses.post(POQ_URL, body=exc)
    ex = SellerClient(profile(), recorder).create_poq({})
    assert ex.status is None and ex.error and expected in ex.error
    assert ex.to_dict()["response"] is None and recorder.exchanges == [ex]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_seller_down_real_socket(recorder: Recorder) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/mefApi/sonata/productOfferingQualification/v8"
    client = SellerClient(profile(base_url=url, connect_retries=1), recorder)
    ex = client.create_poq({"a": 1})
    assert ex.status is None and ex.error == "seller unreachable: connection refused"


class _RawServer:
    """A TCP server with scripted misbehaviour: counts requests, then ``mode`` decides."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    _read_request(conn)
                except OSError:
                    continue
                self.requests += 1
                if self.mode == "hang":
                    self.stop.wait(1.5)
                # "close": drop the connection without an answer

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def _read_request(conn: socket.socket) -> None:
    """The whole request, body included: a socket closed with unread data sends a reset,
    which the client rightly reports as a reset, not as a close without a response."""
    with conn.makefile("rb") as stream:
        stream.readline()  # the request line
        headers = http.client.parse_headers(stream)
        stream.read(int(headers.get("Content-Length") or 0))


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Iterator[_RawServer]:
    server = _RawServer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("raw_server", ["close"], indirect=True)
def test_post_that_reached_the_seller_is_never_retried(
    raw_server: _RawServer, recorder: Recorder
) -> None:
    url = f"http://127.0.0.1:{raw_server.port}/mefApi/sonata/productOfferingQualification/v8"
    client = SellerClient(profile(base_url=url, connect_retries=3), recorder)
    ex = client.create_poq({"a": 1})
    assert ex.status is None and ex.error and "connection closed without a response" in ex.error
    assert raw_server.requests == 1


@pytest.mark.parametrize("raw_server", ["hang"], indirect=True)
def test_slow_seller_times_out(raw_server: _RawServer, recorder: Recorder) -> None:
    url = f"http://127.0.0.1:{raw_server.port}/mefApi/sonata/productOfferingQualification/v8"
    client = SellerClient(profile(base_url=url, timeout_s=0.3), recorder)
    ex = client.get_poq("x")
    assert ex.status is None and ex.error == "timeout: no response within 0.3 s"
    assert ex.latency_ms is not None and 250 <= ex.latency_ms < 1500
    assert raw_server.requests == 1


@responses.activate
def test_raw_body_and_hub_operations(recorder: Recorder) -> None:
    responses.post(POQ_URL, json=[{"code": "invalidBody"}], status=400)
    responses.post(f"{URL}/hub", json={"id": "h1", "callback": "http://b"}, status=201)
    responses.delete(f"{URL}/hub/h1", status=204)
    client = SellerClient(profile(), recorder)
    bad = client.request("POST", "productOfferingQualification", raw_body="{not json")
    assert responses.calls[0].request.body == b"{not json"
    assert bad.request_body == "{not json" and bad.status == 400
    reg = client.register("http://b", query="eventType=poqStateChangeEvent")
    assert json.loads(responses.calls[1].request.body) == {
        "callback": "http://b", "query": "eventType=poqStateChangeEvent"}
    gone = client.unregister("h1")
    assert reg.status == 201 and gone.status == 204 and gone.error is None
    assert gone.response_body is None
