"""Optional bearer auth of the mock seller over real HTTP: Error401 with WWW-Authenticate,
static tokens, the OAuth2 client-credentials endpoint (RFC 6749 errors, expiry), and the
buyerId rules of a requesting entity that represents several buyers."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_auth_helpers import SECRETS, TOKENS, auth_scenario, call
from mock_helpers import POQ, poq

from mock_seller.server import MockServer
from schemas.validation import validate

TOKEN_URL = "/_auth/token"


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    with MockServer(scenario=auth_scenario(token_lifetime=600)) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(seller: MockServer) -> Iterator[None]:
    seller.engine.reset()
    yield


def _token(seller: MockServer, data: dict[str, str], auth: tuple[str, str] | None = None,
           **kwargs: object) -> requests.Response:
    return requests.post(seller.root_url + TOKEN_URL, data=data, auth=auth, timeout=10,
                         **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("api", ["v8", "v7"])
@pytest.mark.parametrize(("method", "path"), [("GET", POQ), ("POST", POQ),
                                               ("GET", POQ + "/x"), ("POST", "/hub"),
                                               ("DELETE", "/hub/x")])
def test_no_credentials_is_401_missing(seller: MockServer, api: str, method: str,
                                       path: str) -> None:
    resp = call(method, seller.base_url(api) + path, json=poq())
    assert resp.status_code == 401
    body = resp.json()
    assert body["code"] == "missingCredentials"
    assert validate(api, "Error401", body) == []
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="poq-test"'


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic dXNlcjpwYXNz",
                                    f"Token {TOKENS['alpha']}", "Bearer", "Bearer  "])
def test_bad_credentials_is_401_invalid(seller: MockServer, header: str) -> None:
    resp = requests.get(seller.base_url() + POQ, headers={"Authorization": header}, timeout=10)
    assert resp.status_code == 401
    assert resp.json()["code"] == "invalidCredentials"
    assert validate("v8", "Error401", resp.json()) == []
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_static_token_works(seller: MockServer) -> None:
    created = call("POST", seller.base_url() + POQ, "alpha", json=poq())
    assert created.status_code == 201
    got = call("GET", f"{seller.base_url()}{POQ}/{created.json()['id']}", "alpha")
    assert got.status_code == 200
    assert call("GET", seller.base_url("v7") + POQ, "beta").status_code == 200
    # lowercase scheme is fine (RFC 7235: the scheme is case-insensitive)
    lower = requests.get(seller.base_url() + POQ, timeout=10,
                         headers={"Authorization": f"bearer {TOKENS['alpha']}"})
    assert lower.status_code == 200


def test_oauth2_client_credentials_body_and_basic(seller: MockServer) -> None:
    by_body = _token(seller, {"grant_type": "client_credentials", "client_id": "alpha",
                              "client_secret": SECRETS["alpha"], "scope": "poq"})
    assert by_body.status_code == 200, by_body.text
    doc = by_body.json()
    assert doc["token_type"] == "Bearer" and doc["expires_in"] == 600 and doc["scope"] == "poq"
    assert by_body.headers["Cache-Control"] == "no-store"
    by_basic = _token(seller, {"grant_type": "client_credentials"},
                      auth=("alpha", SECRETS["alpha"]))
    assert by_basic.status_code == 200
    assert by_basic.json()["access_token"] != doc["access_token"]
    for access in (doc["access_token"], by_basic.json()["access_token"]):
        assert call("GET", seller.base_url() + POQ, token=access).status_code == 200


@pytest.mark.parametrize(("data", "auth", "status", "code"), [
    ({"grant_type": "client_credentials", "client_id": "alpha", "client_secret": "wrong"},
     None, 401, "invalid_client"),
    ({"grant_type": "client_credentials"}, ("alpha", "wrong"), 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
     None, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_id": "beta", "client_secret": "x"},
     None, 401, "invalid_client"),  # beta has static tokens only
    ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
    ({"grant_type": "password", "client_id": "alpha", "client_secret": SECRETS["alpha"]},
     None, 400, "unsupported_grant_type"),
    ({"client_id": "alpha", "client_secret": SECRETS["alpha"]}, None, 400, "invalid_request"),
    ({"grant_type": "client_credentials", "client_secret": SECRETS["alpha"]},
     ("alpha", SECRETS["alpha"]), 400, "invalid_request"),  # two client auth methods
    ({"grant_type": "client_credentials", "client_id": "alpha",
      "client_secret": SECRETS["alpha"], "scope": "poq admin"}, None, 400, "invalid_scope"),
])
def test_oauth2_errors(seller: MockServer, data: dict[str, str],
                       auth: tuple[str, str] | None, status: int, code: str) -> None:
    resp = _token(seller, data, auth)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == code
    assert resp.json()["error_description"]
    assert resp.headers["Cache-Control"] == "no-store"
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_oauth2_needs_form_encoding(seller: MockServer) -> None:
    resp = requests.post(seller.root_url + TOKEN_URL, timeout=10,
                         json={"grant_type": "client_credentials", "client_id": "alpha",
                               "client_secret": SECRETS["alpha"]})
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"


def test_oauth2_basic_credentials_are_form_decoded(seller: MockServer) -> None:
    scenario = auth_scenario()
    scenario["auth"]["entities"][0]["client_secret"] = "p@ss word+1"
    with MockServer(scenario=scenario) as other:
        encoded = base64.b64encode(b"alpha:p%40ss+word%2B1").decode()
        resp = requests.post(other.root_url + TOKEN_URL, data={"grant_type":
                                                               "client_credentials"},
                             headers={"Authorization": f"Basic {encoded}"}, timeout=10)
        assert resp.status_code == 200, resp.text


def test_issued_tokens_expire() -> None:
    with MockServer(scenario=auth_scenario(token_lifetime=0.6)) as seller:
        doc = _token(seller, {"grant_type": "client_credentials"},
                     auth=("alpha", SECRETS["alpha"])).json()
        assert doc["expires_in"] == 0.6
        assert call("GET", seller.base_url() + POQ, token=doc["access_token"]).status_code == 200
        time.sleep(0.8)
        expired = call("GET", seller.base_url() + POQ, token=doc["access_token"])
        assert expired.status_code == 401
        assert expired.json()["code"] == "invalidCredentials"


def test_token_endpoint_is_404_without_auth() -> None:
    with MockServer() as plain:
        resp = _token(plain, {"grant_type": "client_credentials"}, auth=("alpha", "x"))
        assert resp.status_code == 404
        assert requests.get(plain.base_url() + POQ, timeout=10).status_code == 200


# -- buyerId / sellerId rules -------------------------------------------------------------
@pytest.mark.parametrize("api", ["v8", "v7"])
@pytest.mark.parametrize(("method", "path"), [("GET", POQ), ("POST", POQ),
                                               ("GET", POQ + "/x"), ("POST", "/hub")])
def test_multi_buyer_entity_must_send_buyer_id(seller: MockServer, api: str, method: str,
                                               path: str) -> None:
    resp = call(method, seller.base_url(api) + path, "broker",
                json={"callback": "http://127.0.0.1:9/cb"} if path == "/hub" else poq())
    assert resp.status_code == 400
    assert resp.json()["code"] == "missingQueryParameter"
    assert validate(api, "Error400", resp.json()) == []


def test_buyer_id_must_be_represented(seller: MockServer) -> None:
    url = seller.base_url() + POQ
    ok = call("GET", url, "broker", params={"buyerId": "BUYER-C"})
    assert ok.status_code == 200
    for who, buyer in (("broker", "BUYER-B"), ("alpha", "BUYER-B"), ("alpha", "NOBODY")):
        refused = call("GET", url, who, params={"buyerId": buyer})
        assert refused.status_code == 403, (who, buyer)
        assert refused.json()["code"] == "forbiddenRequester"
        assert validate("v8", "Error403", refused.json()) == []
    # a single-buyer entity may repeat its own buyer
    assert call("GET", url, "alpha", params={"buyerId": "BUYER-A"}).status_code == 200
    created = call("POST", url, "broker", params={"buyerId": "BUYER-C"}, json=poq())
    assert created.status_code == 201


def test_buyer_id_malformed(seller: MockServer) -> None:
    url = seller.base_url() + POQ + "?buyerId=BUYER-A&buyerId=BUYER-C"
    twice = call("GET", url, "broker")
    assert twice.status_code == 400 and twice.json()["code"] == "invalidQuery"
    empty = call("GET", seller.base_url() + POQ + "?buyerId=", "broker")
    assert empty.status_code == 400 and empty.json()["code"] == "missingQueryValue"


def test_request_log_names_the_buyer() -> None:
    from mock_seller.sandbox.control import MockControl

    with MockServer(scenario=auth_scenario(), control_token="ctl-token-1") as seller, \
            MockControl(seller.root_url, "ctl-token-1") as ctl:
        call("GET", seller.base_url() + POQ, "beta")
        call("GET", seller.base_url() + POQ, "broker", params={"buyerId": "BUYER-C"})
        call("GET", seller.base_url() + POQ)
        rows = ctl.requests()
        assert [(r["buyer"], r["status"]) for r in rows] == [("BUYER-B", 200),
                                                            ("BUYER-C", 200)]
        assert ctl.health()["requests_unlogged"] == 1  # the 401: counted, not kept
        assert [r["status"] for r in ctl.requests(buyer="BUYER-B")] == [200]
        # the control API has its own token: the API tokens do not open it
        assert call("GET", seller.root_url + "/_mock/health", "alpha").status_code == 401


def test_cantata_paths_are_guarded_too(seller: MockServer) -> None:
    url = seller.base_url("v8", "cantata") + POQ
    assert call("GET", url).status_code == 401
    assert call("GET", url, "alpha").status_code == 200


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a["entities"].append({"id": "alpha", "buyers": ["X"]}), "duplicate entity id"),
    (lambda a: a["entities"][1]["tokens"].append(TOKENS["alpha"]), "one entity only"),
    (lambda a: a.update(sellers=["S1"], entities=[{**a["entities"][0], "sellers": ["S2"]}]),
     "not in /auth/sellers"),
    (lambda a: a.update(entities=[]), "no entity can authenticate"),
    (lambda a: a["entities"][0].update(buyers=[]), "/auth/entities/0/buyers"),
    (lambda a: a["entities"][0].update(tokens=["short"]), "/auth/entities/0/tokens/0"),
])
def test_bad_auth_keys_name_the_key(change: Any, message: str) -> None:
    from mock_seller.core.scenario import ScenarioError, load_scenario

    scenario = auth_scenario()
    change(scenario["auth"])
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario)
    assert message in str(info.value)
    assert "/auth" in str(info.value)


def test_disabled_auth_key_means_anonymous() -> None:
    with MockServer(scenario=auth_scenario(enabled=False)) as seller:
        assert requests.get(seller.base_url() + POQ, timeout=10).status_code == 200


def test_scenario_switch_changes_credentials() -> None:
    from mock_seller.sandbox.control import MockControl

    with MockServer(control_token="ctl-token-2") as seller, \
            MockControl(seller.root_url, "ctl-token-2") as ctl:
        assert requests.get(seller.base_url() + POQ, timeout=10).status_code == 200
        ctl.set_scenario(auth_scenario())
        assert requests.get(seller.base_url() + POQ, timeout=10).status_code == 401
        issued = _token(seller, {"grant_type": "client_credentials"},
                        auth=("alpha", SECRETS["alpha"])).json()["access_token"]
        assert call("GET", seller.base_url() + POQ, token=issued).status_code == 200
        without_alpha = auth_scenario()
        without_alpha["auth"]["entities"] = without_alpha["auth"]["entities"][1:]
        ctl.set_scenario(without_alpha)
        assert call("GET", seller.base_url() + POQ, token=issued).status_code == 401
        assert call("GET", seller.base_url() + POQ, "beta").status_code == 200
