"""Callback URL policy of the mock seller (mock_seller/sandbox/callbacks.py): registration
refusals over real HTTP with MEF Error bodies, the allow-list (scenario key and CLI option), the
re-check before every delivery, and no redirect following."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from mock_helpers import POQ, Listener, eline_item, poq, wait_for

from mock_seller.cli import mock as mock_command
from mock_seller.core.scenario import ScenarioError, load_scenario
from mock_seller.sandbox.callbacks import CallbackPolicy, CallbackRefused, parse_allow
from mock_seller.server import MockServer
from schemas.validation import validate

FAST_NOTES = {"retries": 0, "backoff": 0.05, "timeout": 2}


def _scenario(callbacks: dict[str, Any] | None = None, **notes: Any) -> dict[str, Any]:
    from importlib import resources

    import yaml

    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if callbacks is not None:
        data["callbacks"] = callbacks
    data.setdefault("notifications", {}).update(notes)
    return data  # type: ignore[no-any-return]


def _register(server: MockServer, callback: Any, api: str = "v8") -> requests.Response:
    return requests.post(server.base_url(api) + "/hub", json={"callback": callback}, timeout=10)


@pytest.fixture(scope="module", name="default_seller")
def default_seller_fixture() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


# -- registration, default policy --------------------------------------------------------

@pytest.mark.parametrize("callback, why", [
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0:8080/", "link-local"),
    ("http://224.0.0.1/", "link-local"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://0xa9fea9fe/", "link-local"),  # 169.254.169.254 spelt in hex, resolved by libc
    ("ftp://127.0.0.1/x", "http(s)"),
    ("javascript:alert(1)", "http(s)"),
    ("/relative/path", "http(s)"),
    ("http://user:secret@127.0.0.1:9/", "credentials"),
    ("http://127.0.0.1:9/x?next=http://169.254.169.254", "query"),
    ("http://127.0.0.1:9/#frag", "query or fragment"),
    ("http://127.0.0.1:99999/", "valid URL"),
    ("http://127.0.0.1:9/a b", "spaces"),
    ("http://" + "a" * 2100 + ".example/", "longer than"),
])
def test_dangerous_callbacks_are_refused_with_a_mef_error(default_seller: MockServer,
                                                          callback: str, why: str) -> None:
    for api in ("v8", "v7"):
        resp = _register(default_seller, callback, api)
        assert resp.status_code == 400, resp.text
        assert resp.headers["Content-Type"].startswith("application/json")
        body = resp.json()
        assert validate(api, "Error400", body) == []
        assert body["code"] == "invalidBody"
        assert why in body["reason"], body


@pytest.mark.parametrize("callback", [
    "http://127.0.0.1:9/listener", "https://127.0.0.1:9", "http://[::1]:9/", "http://localhost:9/",
    "http://10.1.2.3:8080/buyer", "https://buyer.mef.com/notifications",  # guide example
])
def test_ordinary_callbacks_are_accepted(default_seller: MockServer, callback: str) -> None:
    resp = _register(default_seller, callback)
    assert resp.status_code == 201, resp.text
    assert resp.json()["callback"] == callback


# -- allow-list ------------------------------------------------------------------------------

def test_allow_list_from_the_scenario_limits_hosts() -> None:
    scenario = _scenario({"allow": ["buyer.example", "*.partners.example", "10.9.0.0/16"]})
    with MockServer(scenario) as server:
        for ok in ("http://buyer.example/cb", "https://a.b.partners.example:8443",
                   "http://10.9.1.2/", "http://127.0.0.1:9/"):
            assert _register(server, ok).status_code == 201, ok
        for refused in ("http://other.example/", "http://partners.example/",
                        "http://10.8.0.1/", "http://169.254.169.254/"):
            resp = _register(server, refused)
            assert resp.status_code == 400, refused
            assert validate("v8", "Error400", resp.json()) == []


def test_listed_cidr_overrides_the_default_refusal_and_loopback_can_be_refused() -> None:
    scenario = _scenario({"allow": ["169.254.10.0/24"], "allow_loopback": False})
    with MockServer(scenario) as server:
        assert _register(server, "http://169.254.10.7/").status_code == 201
        assert _register(server, "http://169.254.169.254/").status_code == 400
        resp = _register(server, "http://127.0.0.1:9/")
        assert resp.status_code == 400
        assert "loopback" in resp.json()["reason"]


def test_bad_allow_list_entries_name_the_key() -> None:
    with pytest.raises(ScenarioError, match="/callbacks/allow"):
        load_scenario(_scenario({"allow": ["not a host!"]}))
    with pytest.raises(ScenarioError, match="/callbacks"):
        load_scenario(_scenario({"allow": "buyer.example"}))


def test_cli_callback_allow_bad_entry_is_one_line_exit_2() -> None:
    result = CliRunner().invoke(mock_command, ["--port", "0", "--callback-allow", "http://x/"])
    assert result.exit_code == 2
    assert "--callback-allow" in result.output
    assert "Traceback" not in result.output


def test_cli_callback_allow_limits_the_running_process() -> None:
    """``--callback-allow`` reaches the policy of a real ``python -m mock_seller`` process."""
    proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--host", "127.0.0.1",
                             "--port", "0", "--callback-allow", "buyer.example",
                             "--callback-allow", "10.7.0.0/16"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        hub = line.rsplit(" ", 1)[-1] + "/mefApi/sonata/productOfferingQualification/v8/hub"
        for callback, status in (("http://buyer.example/cb", 201), ("http://10.7.3.4/", 201),
                                 ("http://127.0.0.1:9/", 201), ("http://other.example/", 400),
                                 ("http://10.8.3.4/", 400)):
            resp = requests.post(hub, json={"callback": callback}, timeout=10)
            assert resp.status_code == status, (callback, resp.text)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


def test_parse_allow_splits_names_and_networks() -> None:
    names, nets = parse_allow(["Buyer.Example", "*.x.example", "10.0.0.0/8", "::1", "[fd00::]"])
    assert names == ("buyer.example", "*.x.example")
    assert [str(n) for n in nets] == ["10.0.0.0/8", "::1/128", "fd00::/128"]


def test_resolved_names_are_checked_address_by_address() -> None:
    answers = {"meta.example": ["10.0.0.5", "169.254.169.254"], "fine.example": ["10.0.0.5"]}
    policy = CallbackPolicy(resolver=lambda host: answers[host])
    assert policy.refusal("http://fine.example/") is None
    with pytest.raises(CallbackRefused, match="169.254.169.254"):
        policy.check("http://meta.example/")
    # unresolvable now: nothing to connect to, so registration is not refused
    assert CallbackPolicy(resolver=_no_such_host).refusal("http://later.example/") is None


def _no_such_host(host: str) -> list[str]:
    raise OSError("no such host")


# -- delivery --------------------------------------------------------------------------------

def test_delivery_is_rechecked_and_dropped_when_the_host_turns_bad() -> None:
    """DNS that answers loopback at registration and link-local later: no delivery."""
    answer = {"ip": "127.0.0.1"}
    base = load_scenario(_scenario(**{"retries": 3, "backoff": 5.0, "timeout": 2}))
    policy = CallbackPolicy(resolver=lambda host: [answer["ip"]])
    with Listener() as listener, MockServer(dataclasses.replace(base,
                                                                callback_policy=policy)) as server:
        port = listener.url.rsplit(":", 1)[1]
        assert _register(server, f"http://127.0.0.1:{port}", "v7").status_code == 201
        assert _register(server, f"http://rebind.invalid:{port}", "v7").status_code == 201
        answer["ip"] = "169.254.169.254"
        assert requests.post(server.base_url("v7") + POQ, json=poq(eline_item()),
                             timeout=10).status_code == 201
        wait_for(lambda: listener.events(), timeout=5)  # the loopback subscription got it
        # the rebound one is dropped at once (an ordinary failure would wait 5 s to retry)
        wait_for(lambda: server.engine.notifier.dropped == 1, timeout=3)
        assert len(listener.events()) == 1


class _Redirector:
    """A listener that answers every POST with a 307 to ``target``."""

    def __init__(self, target: str) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.hits += 1
                self.send_response(307)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _Redirector:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def test_redirects_from_a_listener_are_not_followed() -> None:
    with Listener() as target, _Redirector(target.url) as redirector, \
            MockServer(_scenario(**FAST_NOTES)) as server:
        assert _register(server, redirector.url, "v7").status_code == 201
        assert requests.post(server.base_url("v7") + POQ, json=poq(eline_item()),
                             timeout=10).status_code == 201
        wait_for(lambda: server.engine.notifier.dropped == 1, timeout=5)
        assert redirector.hits == 1
        assert target.events() == []
