"""Buyer listener: a real HTTP server that answers 204, records notifications and wakes
waiters as soon as a matching one arrives."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from harness.evidence import Recorder
from harness.listener import Listener, for_poq

V8_LISTENER = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener"


def event(poq_id: str, state: str = "done") -> dict[str, object]:
    return {"eventId": f"e-{poq_id}-{state}", "eventType": "poqStateChangeEvent",
            "eventTime": "2026-01-01T00:00:00Z", "event": {"id": poq_id, "state": state}}


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener(Recorder()) as running:
        yield running


def post(listener: Listener, path: str, **kw: object) -> requests.Response:
    return requests.post(listener.callback_url + path, timeout=5, **kw)  # type: ignore[arg-type]


def test_notification_answered_204_and_recorded(listener: Listener) -> None:
    listener.recorder.current_test = "suite::t"
    resp = post(listener, f"{V8_LISTENER}/poqStateChangeEvent?buyerId=B1",
                json=event("p1"), headers={"Authorization": "Bearer secret-x"})
    assert resp.status_code == 204 and resp.content == b""
    [note] = listener.notifications
    assert note.id == "nt-1" and note.test == "suite::t"
    assert note.path == f"{V8_LISTENER}/poqStateChangeEvent"
    assert note.query == {"buyerId": "B1"}
    assert note.event_type == "poqStateChangeEvent" and note.event == {"id": "p1", "state": "done"}
    assert note.error is None and note.received.endswith("Z")
    assert note.headers["Authorization"] == "***"
    assert listener.recorder.notifications == [note]
    assert note.to_dict()["body"]["event"]["id"] == "p1"


@pytest.mark.parametrize(
    "path",
    [
        "/mefApi/sonata/productOfferingQualificationNotification/v7/listener/poqCreateEvent",
        "/mefApi/cantata/productOfferingQualificationNotification/v2/listener/poqStateChangeEvent",
        "/mefApi/cantata/productOfferingQualificationNotification/v1/listener/x",
    ],
)
def test_other_dialects_and_cantata_accepted(listener: Listener, path: str) -> None:
    assert post(listener, path, json=event("p")).status_code == 204
    assert listener.notifications[0].error is None


def test_bad_notifications_recorded_with_error(listener: Listener) -> None:
    wrong = post(listener, "/somewhere/else", json=event("p"))
    text = post(listener, f"{V8_LISTENER}/poqStateChangeEvent", data="hello",
                headers={"Content-Type": "text/plain"})
    get = requests.get(listener.callback_url + f"{V8_LISTENER}/poqStateChangeEvent", timeout=5)
    assert (wrong.status_code, text.status_code, get.status_code) == (404, 400, 405)
    errors = [n.error for n in listener.notifications]
    assert errors == ["not a POQ notification listener path", "notification body is not JSON",
                      "method GET not allowed on the listener"]
    assert listener.wait_for(for_poq("p"), timeout=0.05) is None  # errors never match


def test_wait_for_wakes_on_arrival_not_on_timeout(listener: Listener) -> None:
    def later() -> None:
        time.sleep(0.2)
        post(listener, f"{V8_LISTENER}/poqStateChangeEvent", json=event("other"))
        post(listener, f"{V8_LISTENER}/poqStateChangeEvent", json=event("p9", "inProgress"))

    threading.Thread(target=later).start()
    t0 = time.monotonic()
    note = listener.wait_for(for_poq("p9", "poqStateChangeEvent"), timeout=10)
    elapsed = time.monotonic() - t0
    assert note is not None and note.event["state"] == "inProgress"
    assert 0.15 < elapsed < 3


def test_wait_for_times_out_and_respects_since(listener: Listener) -> None:
    post(listener, f"{V8_LISTENER}/poqStateChangeEvent", json=event("p1"))
    mark = listener.mark()
    t0 = time.monotonic()
    assert listener.wait_for(for_poq("p1"), timeout=0.3, since=mark) is None
    assert 0.25 <= time.monotonic() - t0 < 2
    assert listener.wait_for(for_poq("p1"), timeout=0.3) is not None
    both = listener.wait_for_all([for_poq("p1"), for_poq("p2")], timeout=0.2)
    assert both[0] is not None and both[1] is None


def test_callback_url_from_port_or_profile() -> None:
    recorder = Recorder()
    with Listener(recorder, host="127.0.0.1", port=0) as own:
        assert own.callback_url == f"http://127.0.0.1:{own.port}/{own.token}" and own.port > 0
        port = own.port
    with Listener(recorder, callback_url="https://buyer.example/hooks/") as fixed:
        assert fixed.callback_url == f"https://buyer.example/hooks/{fixed.token}"
        assert len(fixed.token) >= 16 and fixed.token != own.token
    with socket.socket() as s:  # stopped: the port is free again
        s.bind(("127.0.0.1", port))


def test_callback_url_needs_a_started_listener() -> None:
    with pytest.raises(RuntimeError):
        _ = Listener(Recorder()).callback_url


def test_oversized_notification_refused(listener: Listener) -> None:
    big = b'{"a": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    try:
        resp = post(listener, f"{V8_LISTENER}/poqStateChangeEvent", data=big,
                    headers={"Content-Type": "application/json"})
        assert resp.status_code == 413
    except requests.ConnectionError:
        pass  # the server may close before the client finished sending: also a refusal
    assert listener.notifications[0].error is not None
    assert "larger than" in listener.notifications[0].error


def test_chunked_notification_is_read(listener: Listener) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"eventType": "poqStateChangeEvent", '
        yield b'"event": {"id": "chunky", "state": "done"}}'

    resp = post(listener, f"{V8_LISTENER}/poqStateChangeEvent", data=chunks(),
                headers={"Content-Type": "application/json"})
    assert resp.status_code == 204
    note = listener.wait_for(for_poq("chunky"), timeout=2)
    assert note is not None and note.error is None and note.event["state"] == "done"
