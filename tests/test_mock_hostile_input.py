"""Hand-written hostile request bodies against the running mock seller (real HTTP): each one is
refused with 400/413/422 and a MEF Error body in JSON, never a 5xx, HTML or a traceback
(mock_seller/api/limits.py)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_helpers import POQ, eline_item, poq

from mock_seller.api.limits import Limits, parse_json
from mock_seller.server import MockServer
from schemas.validation import validate, validate_list

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    scenario = _default()
    scenario["limits"] = {"max_body_bytes": 64 * 1024, "max_depth": 32,
                          "max_string_length": 4096, "max_nodes": 5000}
    with MockServer(scenario) as server:
        yield server


def _default() -> dict[str, Any]:
    from importlib import resources

    import yaml

    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def _good(**extra: Any) -> str:
    return json.dumps(poq(eline_item(), **extra))


def _with(member: str) -> bytes:
    """A valid create body with one more raw member spliced in before the closing brace."""
    return (_good()[:-1] + "," + member + "}").encode("utf-8", "surrogatepass")


def _assert_mef_error(resp: requests.Response, api: str, statuses: tuple[int, ...],
                      contains: str = "") -> dict[str, Any]:
    assert resp.status_code in statuses, (resp.status_code, resp.text[:300])
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    body = resp.json()
    if resp.status_code == 422:
        assert validate_list(api, "Error422", body) == []
        text = json.dumps(body)
    else:
        kind = {400: "Error400", 413: "Error"}[resp.status_code]
        assert validate(api, kind, body) == [], body
        text = body["reason"] + " " + body.get("message", "")
    assert contains in text, text
    return body  # type: ignore[no-any-return]


HOSTILE_BODIES: list[tuple[str, bytes, str]] = [
    ("deep arrays", b"[" * 30_000 + b"]" * 30_000, "nested deeper"),
    ("deep objects", b'{"a":' * 3000 + b"1" + b"}" * 3000, "nested deeper"),
    ("deep but small", _with('"x":' + "[" * 40 + "]" * 40), "nested deeper"),
    ("huge string", _with('"externalId":"' + "a" * 5000 + '"'), "longer than 4096"),
    ("huge member name", _with('"' + "k" * 5000 + '":1'), "longer than 4096"),
    ("many values", _with('"x":[' + ",".join(["1"] * 6000) + "]"), "more than 5000"),
    ("invalid UTF-8", _with('"externalId":"') + b"\xff\xfe\xc3\x28\"}", "not valid UTF-8"),
    ("overlong UTF-8", _with('"externalId":"') + b"\xc0\xaf\"}", "not valid UTF-8"),
    ("UTF-16 body", _good().encode("utf-16"), "not valid UTF-8"),
    ("byte order mark", b"\xef\xbb\xbf" + _good().encode(), "byte order mark"),
    ("lone high surrogate", _with('"externalId":"\\ud800"'), "lone surrogate"),
    ("lone low surrogate", _with('"projectId":"x\\udfffy"'), "lone surrogate"),
    ("surrogate in a name", _with('"\\udc00":1'), "lone surrogate"),
    ("NaN", _with('"x":NaN'), "NaN"),
    ("Infinity", _with('"x":Infinity'), "Infinity"),
    ("-Infinity", _with('"x":[-Infinity]'), "Infinity"),
    ("duplicate member", _with('"externalId":"a","externalId":"b"'), "duplicate member"),
    ("duplicate nested", _good().replace('"id": "1"', '"id": "1", "id": "2"').encode(),
     "duplicate member"),
    ("huge integer", _with('"x":' + "9" * 5000), "not valid JSON"),
    ("truncated", _good().encode()[:-3], "not valid JSON"),
    ("trailing garbage", _good().encode() + b" {}", "not valid JSON"),
    ("empty body", b"", "not valid JSON"),
    ("NUL bytes", b"\x00" * 16, "not valid JSON"),
    ("a bare string", b'"hello"', "/"),
    ("null", b"null", "/"),
]


@pytest.mark.parametrize("api", ["v8", "v7"])
@pytest.mark.parametrize("label, raw, contains", HOSTILE_BODIES,
                         ids=[case[0] for case in HOSTILE_BODIES])
def test_hostile_create_bodies_get_a_mef_error(seller: MockServer, api: str, label: str,
                                               raw: bytes, contains: str) -> None:
    resp = requests.post(seller.base_url(api) + POQ, data=raw, headers=JSON, timeout=30)
    _assert_mef_error(resp, api, (400,), contains)


@pytest.mark.parametrize("label, raw, contains", HOSTILE_BODIES[:12],
                         ids=[case[0] for case in HOSTILE_BODIES[:12]])
def test_hostile_hub_bodies_get_a_mef_error(seller: MockServer, label: str, raw: bytes,
                                            contains: str) -> None:
    resp = requests.post(seller.base_url("v8") + "/hub", data=raw, headers=JSON, timeout=30)
    _assert_mef_error(resp, "v8", (400,), contains)


@pytest.mark.parametrize("requested", [
    "2030-02-30T10:00:00Z",            # no February 30
    "2031-02-29T10:00:00Z",            # not a leap year
    "2030-04-31T10:00:00Z",
    "2030-06-01T10:00:00",             # no time zone
    "2030-06-01",                      # a date, not a date-time
    "0000-06-01T10:00:00Z",            # year 0
    "2030-13-01T10:00:00Z",
    "2030-06-01T24:00:00Z",
    "2030-06-01T10:61:00Z",
    "2030-06-01T10:00:00+25:00",
    "10000-06-01T10:00:00Z",
    "2030-06-01T10:00:00.Z",
    "tomorrow",
    "",
])
def test_bad_dates_are_refused(seller: MockServer, requested: str) -> None:
    for api in ("v8", "v7"):
        body = poq(eline_item(), instant=False, requested=requested)
        body["requestedPOQCompletionDate"] = requested
        resp = requests.post(seller.base_url(api) + POQ, json=body, timeout=10)
        _assert_mef_error(resp, api, (400, 422), "requestedPOQCompletionDate")


@pytest.mark.parametrize("query", [
    "creationDate.gt=2030-02-30T00:00:00Z", "creationDate.lt=2030-06-01T10:00:00",
    "requestedPOQCompletionDate.gt=0000-01-01T00:00:00Z", "limit=%D9%A3", "limit=-1",
    "offset=1e3", "limit=0x10", "state=%00", "projectId=a&projectId=b",
    "limit=2147483648", "offset=99999999999999999999",  # beyond format int32 (fuzz finding)
])
def test_bad_list_queries_are_refused(seller: MockServer, query: str) -> None:
    resp = requests.get(f"{seller.base_url('v8')}{POQ}?{query}", timeout=10)
    _assert_mef_error(resp, "v8", (400,))


@pytest.mark.parametrize("content_type, contains", [
    ("text/plain", "application/json"),
    ("application/x-www-form-urlencoded", "application/json"),
    ("multipart/form-data; boundary=x", "application/json"),
    ("application/xml", "application/json"),
    ("application/json; charset=latin-1", "UTF-8"),
    ("application/json; charset=utf-16", "UTF-8"),
    ("", "application/json"),
])
def test_wrong_content_types_are_refused(seller: MockServer, content_type: str,
                                         contains: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    for api in ("v8", "v7"):
        resp = requests.post(seller.base_url(api) + POQ, data=_good().encode(), headers=headers,
                             timeout=10)
        _assert_mef_error(resp, api, (400,), contains)


def test_json_content_types_with_utf8_are_accepted(seller: MockServer) -> None:
    for content_type in ("application/json", "application/json;charset=UTF-8",
                         "application/json; charset=utf-8", "application/merge-patch+json"):
        resp = requests.post(seller.base_url("v8") + POQ, data=_good().encode(),
                             headers={"Content-Type": content_type}, timeout=10)
        assert resp.status_code == 201, (content_type, resp.text)


def test_non_ascii_but_valid_text_is_kept(seller: MockServer) -> None:
    """Paired surrogates (an emoji) and non-Latin text are fine: only broken text is refused."""
    raw = _with('"externalId":"\\ud83d\\ude00 Zürich 東京"')
    resp = requests.post(seller.base_url("v8") + POQ, data=raw, headers=JSON, timeout=10)
    assert resp.status_code == 201, resp.text
    assert resp.json()["externalId"] == "\U0001f600 Zürich 東京"


def test_body_over_the_limit_is_413_with_a_mef_error(seller: MockServer) -> None:
    raw = _with('"x":"' + "a" * 70_000 + '"')
    resp = requests.post(seller.base_url("v8") + POQ, data=raw, headers=JSON, timeout=10)
    body = _assert_mef_error(resp, "v8", (413,), "larger than")
    assert body["code"] == "invalidBody"


def test_chunked_body_over_the_limit_is_413(seller: MockServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"x":"'
        for _ in range(20):
            yield b"a" * 8192

    resp = requests.post(seller.base_url("v7") + POQ, data=chunks(), headers=JSON, timeout=10)
    _assert_mef_error(resp, "v7", (413,), "larger than")


def _raw_exchange(seller: MockServer, head: str, payload: bytes) -> tuple[bytes, dict[str, Any]]:
    """Send raw bytes; return the status line and the JSON body (the server closes)."""
    with socket.create_connection((seller.host, seller.port), timeout=10) as sock:
        sock.sendall(head.encode() + payload)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    assert b"application/json" in head_bytes.lower(), head_bytes
    return head_bytes.split(b"\r\n", 1)[0], json.loads(body)


def test_content_length_far_beyond_the_limit_is_413_json_without_reading(
        seller: MockServer) -> None:
    """A client announcing a huge body is answered by the HTTP server before it sends it:
    still a MEF Error in JSON."""
    path = "/mefApi/sonata/productOfferingQualification/v8" + POQ
    status, body = _raw_exchange(seller, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                 "application/json\r\nContent-Length: 10000000\r\n\r\n",
                                 b"{" * 1000)
    assert b" 413 " in status, status
    assert validate("v8", "Error", body) == [] and body["code"] == "invalidBody"


def test_broken_chunked_encoding_is_400_json(seller: MockServer) -> None:
    path = "/mefApi/sonata/productOfferingQualification/v7" + POQ
    status, body = _raw_exchange(seller, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                 "application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                                 b"zz\r\n{}\r\n0\r\n\r\n")
    assert b" 400 " in status, status
    assert validate("v7", "Error400", body) == []


def test_the_mock_keeps_serving_after_hostile_input(seller: MockServer) -> None:
    resp = requests.post(seller.base_url("v8") + POQ, data=_good().encode(), headers=JSON,
                         timeout=10)
    assert resp.status_code == 201
    got = requests.get(f"{seller.base_url('v8')}{POQ}/{resp.json()['id']}", timeout=10)
    assert got.status_code == 200


# -- the parser itself ------------------------------------------------------------------------

def test_limits_are_configurable_and_default_when_absent() -> None:
    assert Limits.from_config(None) == Limits()
    small = Limits(max_body_bytes=2048, max_depth=4, max_string_length=8, max_nodes=10)
    assert parse_json(b'{"a":[1,2]}', small) == {"a": [1, 2]}
    for raw in (b'{"a":[[[[1]]]]}', b'"123456789"', b"[" + b",".join([b"1"] * 12) + b"]",
                b" " * 3000):
        with pytest.raises(Exception) as info:
            parse_json(raw, small)
        assert getattr(info.value, "status", None) in (400, 413)


def test_the_cap_follows_a_scenario_switched_at_run_time() -> None:
    """The body cap is read per request from the scenario in force, not frozen at start."""
    import dataclasses

    scenario = _default()
    scenario["limits"] = {"max_body_bytes": 4096}
    raw = _with('"externalId":"' + "x" * 10_000 + '"')
    with MockServer(scenario) as server:
        url = server.base_url("v8") + POQ
        assert requests.post(url, data=raw, headers=JSON, timeout=10).status_code == 413
        engine = server.engine
        engine.scenario = dataclasses.replace(engine.scenario,
                                              limits=Limits(max_body_bytes=1024 * 1024))
        resp = requests.post(url, data=raw, headers=JSON, timeout=10)
        assert resp.status_code == 201, resp.text


@pytest.mark.parametrize("path", [POQ, "/hub"])
def test_a_body_the_limits_allow_but_validation_cannot_take_is_refused(path: str) -> None:
    """A scenario may allow bodies nested deeper than schema validation goes (64 levels):
    validation then walks the depth itself and refuses with a MEF Error, as with the
    default limits, where the parser alone bounds the depth and the walk is skipped."""
    deep = _with('"x":' + "[" * 100 + "]" * 100)
    scenario = _default()
    scenario["limits"] = {"max_depth": 200}
    with MockServer(scenario) as server:
        resp = requests.post(server.base_url("v8") + path, data=deep, headers=JSON, timeout=30)
        _assert_mef_error(resp, "v8", (400,), "nested deeper than 64 levels")
    with MockServer(_default()) as server:
        resp = requests.post(server.base_url("v8") + path, data=deep, headers=JSON, timeout=30)
        _assert_mef_error(resp, "v8", (400,), "nested deeper than 64 levels")
        ok = requests.post(server.base_url("v8") + POQ, data=_with('"x":' + "[" * 60 +
                                                                   "]" * 60), headers=JSON,
                           timeout=30)
        assert ok.status_code == 201, ok.text[:300]
