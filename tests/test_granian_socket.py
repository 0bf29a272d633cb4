"""How granian calls the mock's app (mock_seller/granian_socket.py), without a server: the
environ carries the request and nothing of the process environment, and the answer leaves in
one piece, its iterable closed. tests/test_mock_processes.py serves through it for real."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mock_seller.granian_socket import wsgi_callback


class Proto:
    """What granian's Rust side hands the callback: it takes the answer's bytes."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, list[tuple[str, str]], bytes]] = []

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.sent.append((status, headers, body))


def test_the_environ_is_the_request_not_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("CONTENT_TYPE", "application/json")
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ)
        start_response("204 No Content", [])
        return []

    proto = Proto()
    scope = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/x", "HTTP_ACCEPT": "*/*"}
    assert wsgi_callback(app, {"url_path_prefix": "/api"})(proto, scope) == 204
    [environ] = seen
    assert "HTTP_PROXY" not in environ and "CONTENT_TYPE" not in environ
    assert "PATH" not in environ and "HOME" not in environ
    assert environ["HTTP_ACCEPT"] == "*/*" and environ["wsgi.version"] == (1, 0)
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/api", "/x")
    assert proto.sent == [(204, [], b"")]


def test_the_answer_leaves_whole_and_its_iterable_is_closed() -> None:
    """granian writes a list in one go but an iterator chunk by chunk from Python (44 ms
    p50 against 15 ms on one request thread)."""
    closed = []

    class Chunks:
        def __iter__(self) -> Any:
            return iter([b'{"a":', b"1}"])

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Chunks:
        start_response("200 OK", [("Content-Type", "application/json")])
        return Chunks()

    proto = Proto()
    wsgi_callback(app, {})(proto, {"PATH_INFO": "/"})
    assert proto.sent == [(200, [("Content-Type", "application/json")], b'{"a":1}')]
    assert closed == [True]


@pytest.mark.parametrize("status", ["1000 Garbled", "99 Too Low"])
def test_a_status_granian_cannot_write_is_a_500_not_a_dead_worker(status: str) -> None:
    """granian's HTTP layer panics on a status outside 100-999, and its worker with it: the
    mock stopped answering anyone after one garbled_create_errors answer."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [b"{}"]

    proto = Proto()
    assert wsgi_callback(app, {})(proto, {"PATH_INFO": "/"}) == 500
    [(sent, headers, body)] = proto.sent
    assert sent == 500 and dict(headers)["Content-Type"].startswith("application/json")
    code = status.split()[0]
    assert json.loads(body) == {"code": "internalError", "reason": f"status {code} cannot be "
                                "sent by granian; serve with --server waitress"}
