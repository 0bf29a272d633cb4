"""The URL adapter bound with a host kept per client equals the one Flask binds itself."""

from __future__ import annotations

import pytest
from flask import Flask, Request
from werkzeug.exceptions import BadHost

from mock_seller.app import create_app


def _environ(**extra: str) -> dict[str, object]:
    env: dict[str, object] = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/x", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8080", "wsgi.url_scheme": "http"}
    env.update(extra)
    return env


def _fields(adapter: object) -> tuple[object, ...]:
    return tuple(getattr(adapter, name) for name in (
        "server_name", "script_name", "subdomain", "url_scheme", "path_info",
        "default_method", "query_args", "websocket"))


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app()


@pytest.mark.parametrize("extra", [
    {},
    {"HTTP_HOST": "Seller.Example.COM"},
    {"HTTP_HOST": "[::1]:8080"},
    {"HTTP_HOST": "bücher.example:443", "wsgi.url_scheme": "https"},
    {"SCRIPT_NAME": "/mef", "PATH_INFO": "/caf\xc3\xa9", "QUERY_STRING": "a=%20&b=\xc3\xa9"},
    {"HTTP_CONNECTION": "keep-alive, Upgrade", "HTTP_UPGRADE": "websocket"},
])
def test_a_known_client_gets_the_adapter_flask_binds(app: Flask, extra: dict[str, str]) -> None:
    first, second = Request(_environ(**extra)), Request(_environ(**extra))
    own = Flask.create_url_adapter(app, Request(_environ(**extra)))
    assert _fields(app.create_url_adapter(first)) == _fields(own)  # learnt here
    for method, path in (("POST", "/y"), ("GET", "/z")):
        second.environ.update(REQUEST_METHOD=method, PATH_INFO=path)
        again = app.create_url_adapter(Request(second.environ))  # from what was learnt
        flask_own = Flask.create_url_adapter(app, Request(dict(second.environ)))
        assert _fields(again) == _fields(flask_own)
        assert again.path_info == path and again.default_method == method  # type: ignore[union-attr]


def test_clients_with_other_hosts_do_not_share_an_adapter(app: Flask) -> None:
    a = app.create_url_adapter(Request(_environ(HTTP_HOST="a.example")))
    app.create_url_adapter(Request(_environ(HTTP_HOST="a.example")))
    b = app.create_url_adapter(Request(_environ(HTTP_HOST="b.example")))
    assert a.server_name == "a.example" and b.server_name == "b.example"  # type: ignore[union-attr]


def test_a_bad_host_is_refused_every_time(app: Flask) -> None:
    for _ in range(2):
        with pytest.raises(BadHost):
            app.create_url_adapter(Request(_environ(HTTP_HOST="a..b")))


def test_an_app_naming_its_server_binds_as_flask_does() -> None:
    app = create_app()
    app.config["SERVER_NAME"] = "seller.example"
    for _ in range(2):
        adapter = app.create_url_adapter(Request(_environ(HTTP_HOST="other.example")))
        assert adapter.server_name == "seller.example"  # type: ignore[union-attr]
