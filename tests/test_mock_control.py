"""The /_mock runtime control over real HTTP: guard (404 when off, 401 without the token),
reset, scenario switch, injected faults observed on the API, request log, health."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from mock_helpers import POQ, Listener, eline_item, poll_final, poq, wait_for

from mock_seller.sandbox.control import ControlError, LocalControl, MockControl
from mock_seller.server import MockServer

TOKEN = "control-secret-1"


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    with MockServer(control_token=TOKEN) as server:
        yield server


@pytest.fixture(name="ctl")
def ctl_fixture(seller: MockServer) -> Iterator[MockControl]:
    with MockControl(seller.root_url, TOKEN) as ctl:
        ctl.reset()
        yield ctl
        ctl.set_scenario("default")
        ctl.reset()


def _list(seller: MockServer, api: str = "v8") -> requests.Response:
    return requests.get(seller.base_url(api) + POQ, timeout=10)


def test_control_disabled_is_404() -> None:
    with MockServer() as plain:
        for method, path in (("GET", "/_mock/health"), ("POST", "/_mock/reset"),
                             ("PUT", "/_mock/faults")):
            resp = requests.request(method, plain.root_url + path, timeout=10,
                                    headers={"Authorization": f"Bearer {TOKEN}"})
            assert resp.status_code == 404, path
            assert resp.json()["code"] == "notFound"


def test_missing_or_wrong_token_is_401(seller: MockServer) -> None:
    url = seller.root_url + "/_mock/health"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    assert missing.json()["code"] == "missingCredentials"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer wrong", f"Basic {TOKEN}", "Bearer"):
        wrong = requests.get(url, headers={"Authorization": header}, timeout=10)
        assert wrong.status_code == 401, header
        assert wrong.json()["code"] == "invalidCredentials"
    with pytest.raises(ControlError) as info:
        MockControl(seller.root_url, "nope").reset()
    assert info.value.status == 401


def test_health(ctl: MockControl, seller: MockServer) -> None:
    assert requests.post(seller.base_url() + POQ, json=poq(), timeout=10).status_code == 201
    health = ctl.health()
    assert health["status"] == "ok"
    assert health["scenario"]
    assert health["poqs"] == {"v8": 1, "v7": 0}


def test_reset_forgets_poqs_and_log(ctl: MockControl, seller: MockServer) -> None:
    created = requests.post(seller.base_url() + POQ, json=poq(), timeout=10).json()
    assert ctl.requests()
    ctl.reset()
    assert requests.get(f"{seller.base_url()}{POQ}/{created['id']}",
                        timeout=10).status_code == 404
    assert ctl.health()["poqs"]["v8"] == 0
    # the GET above is the only logged request now
    assert [r["status"] for r in ctl.requests()] == [404]


def test_request_log_entries(ctl: MockControl, seller: MockServer) -> None:
    requests.get(seller.base_url() + POQ, params={"state": "done", "limit": "2"}, timeout=10)
    requests.get(f"{seller.base_url('v7')}{POQ}/nope", timeout=10)
    rows = ctl.requests()
    assert [r["status"] for r in rows] == [200, 404]
    first = rows[0]
    assert first["method"] == "GET"
    assert first["path"].endswith("/productOfferingQualification/v8/productOfferingQualification")
    assert first["query"] == {"state": "done", "limit": "2"}
    assert first["endpoint"] == "list"
    assert first["buyer"] is None
    assert first["time"].endswith("Z")
    assert rows[1]["endpoint"] == "retrieve"
    assert ctl.requests(limit=1) == rows[-1:]
    assert all(not r["path"].startswith("/_mock") for r in ctl.requests())


def test_request_log_is_bounded() -> None:
    from mock_seller.app import create_app

    app = create_app({"CONTROL_TOKEN": TOKEN, "REQUEST_LOG_SIZE": 3})
    client = app.test_client()
    for _ in range(5):
        client.get("/mefApi/sonata/productOfferingQualification/v8/productOfferingQualification")
    local = LocalControl(app)
    assert len(local.requests()) == 3
    assert local.state.log.total == 5
    local.engine.close()


def test_switch_to_bundled_and_inline_scenario(ctl: MockControl, seller: MockServer) -> None:
    requests.post(seller.base_url() + POQ, json=poq(), timeout=10)
    inline = {"name": "tiny", "response_mode": "immediate",
              "catalogue": {"specifications": [{"id": "s"}],
                            "offerings": [{"id": "X1", "specification": "s"}]}}
    assert ctl.set_scenario(inline)["name"] == "tiny"
    assert ctl.health()["poqs"]["v8"] == 0  # switching resets
    unknown = requests.post(seller.base_url() + POQ, json=poq(eline_item()), timeout=10)
    assert unknown.status_code == 422  # offering 000073 is not in the tiny catalogue
    item = {"id": "1", "action": "add", "product": {"productOffering": {"id": "X1"},
                                                  "productConfiguration": {"@type": "t"}}}
    known = requests.post(seller.base_url() + POQ, json=poq(item), timeout=10)
    assert known.status_code == 201, known.text
    assert ctl.set_scenario("default")["name"] != "tiny"
    assert requests.post(seller.base_url() + POQ, json=poq(), timeout=10).status_code == 201


def test_switch_scenario_as_yaml(ctl: MockControl, seller: MockServer) -> None:
    text = ("name: yaml-one\ncatalogue:\n  specifications: [{id: s}]\n"
            "  offerings: [{id: X1, specification: s}]\n")
    assert ctl.set_scenario_yaml(text)["name"] == "yaml-one"
    assert ctl.health()["scenario"] == "yaml-one"
    bare = requests.put(seller.root_url + "/_mock/scenario", data=b"default", timeout=10,
                        headers={"Authorization": f"Bearer {TOKEN}",
                                 "Content-Type": "text/plain"})
    assert bare.status_code == 200, bare.text
    assert ctl.health()["scenario"] != "yaml-one"


def test_request_log_masks_secrets(ctl: MockControl, seller: MockServer) -> None:
    requests.get(seller.base_url() + POQ, params={"client_secret": "hush", "state": "x"},
                 timeout=10)
    assert ctl.requests()[-1]["query"] == {"client_secret": "***", "state": "x"}


def test_bad_scenario_is_400_with_every_error(ctl: MockControl, seller: MockServer) -> None:
    with pytest.raises(ControlError) as info:
        ctl.set_scenario({"response_mode": "sometimes", "catalogue": {"offerings": []},
                          "colour": "blue"})
    assert info.value.status == 400
    problems = info.value.body["errors"]
    assert len(problems) >= 3
    assert any("/response_mode" in p for p in problems)
    assert any("colour" in p for p in problems)
    with pytest.raises(ControlError) as unknown:
        ctl.set_scenario("no-such-bundled-scenario")
    assert unknown.value.status == 400
    bad_yaml = requests.put(seller.root_url + "/_mock/scenario", data=b"a: [", timeout=10,
                            headers={"Authorization": f"Bearer {TOKEN}",
                                     "Content-Type": "application/yaml"})
    assert bad_yaml.status_code == 400
    assert ctl.health()["scenario"] == "default"  # still the old one


def test_latency_fault(ctl: MockControl, seller: MockServer) -> None:
    ctl.set_faults({"endpoints": {"list": {"latency": 0.4}}})
    t0 = time.monotonic()
    assert _list(seller).status_code == 200
    slow = time.monotonic() - t0
    t0 = time.monotonic()
    assert requests.get(f"{seller.base_url()}{POQ}/x", timeout=10).status_code == 404
    fast = time.monotonic() - t0
    assert slow >= 0.4
    assert fast < 0.4


def test_error_next_and_seeded_rate(ctl: MockControl, seller: MockServer) -> None:
    ctl.set_faults({"endpoints": {"list": {"error_next": 2, "error_status": 503}}})
    statuses = [_list(seller).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    ctl.set_faults({"endpoints": {"list": {"error_next": 1}}})
    body = _list(seller)
    assert body.status_code == 500 and body.json()["code"] == "internalError"

    def run() -> list[int]:
        ctl.set_faults({"seed": 42, "endpoints": {"*": {"error_rate": 0.5}}})
        return [_list(seller).status_code for _ in range(16)]

    first, second = run(), run()
    assert first == second  # same seed, same sequence
    assert 500 in first and 200 in first
    assert ctl.faults()["injected"]["errors"] == first.count(500)


def test_bad_fault_config_is_400(ctl: MockControl) -> None:
    with pytest.raises(ControlError) as info:
        ctl.set_faults({"endpoints": {"nowhere": {"latency": -1}, "list": {"error_rate": 2}}})
    assert info.value.status == 400
    assert len(info.value.body["errors"]) >= 2


def test_clear_faults(ctl: MockControl, seller: MockServer) -> None:
    ctl.set_faults({"endpoints": {"*": {"error_rate": 1}}})
    assert _list(seller).status_code == 500
    ctl.clear_faults()
    assert _list(seller).status_code == 200


def _subscribe(seller: MockServer, listener: Listener, api: str = "v8") -> None:
    resp = requests.post(seller.base_url(api) + "/hub", json={"callback": listener.url},
                         timeout=10)
    assert resp.status_code == 201


def test_dropped_notifications(ctl: MockControl, seller: MockServer) -> None:
    with Listener() as listener:
        _subscribe(seller, listener)
        ctl.set_faults({"notifications": {"drop_next": 1000}})
        created = requests.post(seller.base_url() + POQ, json=poq(instant=False),
                                timeout=10).json()
        poll_final(seller, created["id"])
        time.sleep(0.3)
        assert listener.events() == []
        assert ctl.faults()["injected"]["dropped_notifications"] >= 3
        ctl.clear_faults()
        second = requests.post(seller.base_url() + POQ, json=poq(instant=False),
                               timeout=10).json()
        wait_for(lambda: any(e["event"]["id"] == second["id"] for e in listener.events()))


def test_delayed_notifications(ctl: MockControl, seller: MockServer) -> None:
    with Listener() as listener:
        _subscribe(seller, listener)
        ctl.set_faults({"notifications": {"delay": 1.0}})
        created = requests.post(seller.base_url() + POQ, json=poq(instant=False),
                                timeout=10).json()
        t0 = time.monotonic()
        wait_for(lambda: listener.events(), timeout=5)
        assert time.monotonic() - t0 >= 0.9
        assert listener.events()[0]["event"]["id"] == created["id"]


@pytest.mark.parametrize(("api", "final"), [("v8", "terminatedWithError"),
                                            ("v7", "done.unableToProvide")])
def test_forced_unable_to_meet_time(ctl: MockControl, seller: MockServer, api: str,
                                    final: str) -> None:
    ctl.set_faults({"unable_to_meet_time_next": 1})
    assert ctl.faults()["unable_to_meet_time_next"] == 1
    instant = requests.post(seller.base_url(api) + POQ, json=poq(instant=True), timeout=10)
    assert instant.status_code == 201  # immediate POQs do not use up the count
    first = requests.post(seller.base_url(api) + POQ, json=poq(instant=False), timeout=10)
    second = requests.post(seller.base_url(api) + POQ, json=poq(instant=False), timeout=10)
    assert poll_final(seller, first.json()["id"], api)["state"] == final
    ready = {"v8": "done", "v7": "done.ready"}[api]
    assert poll_final(seller, second.json()["id"], api)["state"] == ready
    assert ctl.faults()["unable_to_meet_time_next"] == 0
    ctl.set_faults({"unable_to_meet_time_next": 2})
    ctl.set_faults({})  # a PUT replaces the whole set
    assert ctl.faults()["unable_to_meet_time_next"] == 0


def test_local_control_in_process(seller: MockServer) -> None:
    local = LocalControl(seller.app)
    local.reset()
    local.set_faults({"endpoints": {"retrieve": {"error_next": 1}}})
    assert requests.get(f"{seller.base_url()}{POQ}/x", timeout=10).status_code == 500
    assert local.requests()[-1]["status"] == 500
    local.set_scenario("default")
    assert local.health()["scenario"] == "default"
    local.reset()


def _control_rules(server: MockServer) -> list[tuple[str, str]]:
    """Every /_mock route of the app, including those other modules added to control_bp."""
    out = []
    for rule in server.app.url_map.iter_rules():
        if rule.rule.startswith("/_mock/"):
            path = rule.rule.replace("<", "").replace(">", "")
            out.extend((method, path) for method in sorted(rule.methods or ())
                       if method not in ("HEAD", "OPTIONS"))
    return out


def test_every_control_route_is_guarded(seller: MockServer) -> None:
    rules = _control_rules(seller)
    assert ("POST", "/_mock/reset") in rules and len(rules) >= 8
    for method, path in rules:
        resp = requests.request(method, seller.root_url + path, timeout=10)
        assert resp.status_code == 401, (method, path)
    with MockServer() as plain:
        for method, path in _control_rules(plain):
            resp = requests.request(method, plain.root_url + path, timeout=10,
                                    headers={"Authorization": f"Bearer {TOKEN}"})
            assert resp.status_code == 404, (method, path)
