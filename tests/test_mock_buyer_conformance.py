"""Buyer-side conformance of the mock seller, over real HTTP.

For every buyer-side requirement: a request that breaks it is refused with a 422 naming it
in strict mode, accepted (when it can be processed at all) and recorded as a failure in
lenient mode, left as the seller's own answer (and recorded) in default mode; a conformant
request records a pass and is never refused. The buyer report is read through
GET /_mock/buyer-report and, for a real ``python -m mock_seller`` process, from the file it
keeps current and rewrites on SIGTERM."""

from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import requests
import yaml
from mock_helpers import UNI_TYPE, eline_item, iso, modify_item, poq, spec_item, uni_item

from mock_seller.buyer.checks import places
from mock_seller.core.scenario import load_scenario
from mock_seller.server import MockServer
from schemas.results import validate_document

TOKEN = "buyer-report-test-token"
POQ_PATH = "/productOfferingQualification"
Body = dict[str, Any]


# -- request builders (each breaks exactly the named requirement) -------------------------
def _without(key: str, **kw: Any) -> Callable[[], Body]:
    def build() -> Body:
        body = poq(**kw)
        del body[key]
        return body
    return build


def _no_buyer_contact() -> Body:
    body = poq()
    body["relatedContactInformation"][0]["role"] = "technicalContact"
    return body


def _contact_without_email() -> Body:
    body = poq()
    del body["relatedContactInformation"][0]["emailAddress"]
    return body


def _no_items() -> Body:
    return poq() | {"productOfferingQualificationItem": []}


def _item_without(key: str) -> Callable[[], Body]:
    def build() -> Body:
        item = eline_item()
        del item["product"][key]
        return poq(item)
    return build


def _item_without_id() -> Body:
    item = eline_item()
    del item["id"]
    return poq(item)


def _uni_without_place() -> Body:
    item = uni_item()
    del item["product"]["place"]
    return poq(item)


def _uni_place_without_contact() -> Body:
    item = uni_item()
    del item["product"]["place"][0]["contact"]
    return poq(item)


def _eline_with_place() -> Body:
    item = eline_item()
    item["product"]["place"] = uni_item()["product"]["place"]
    return poq(item)


def _uni_ref_without_id() -> Body:
    item = uni_item()
    del item["product"]["place"][0]["place"]["id"]
    return poq(item)


def _v7_uni_without_place_contact() -> Body:
    return poq(uni_item(api="v7"))


def _v7_uni() -> Body:
    item = uni_item(api="v7")
    item["relatedContactInformation"] = [{"role": "siteContact", "name": "Site", "number": "1",
                                          "emailAddress": "s@example.com"}]
    return poq(item)


def _related(action: str, *, product_rel: dict[str, Any] | None = None,
             item_rel: dict[str, Any] | None = None) -> Body:
    """Item 1 (add or modify) with the given relationships; item 2 a plain E-Line."""
    first = modify_item("1") if action == "modify" else eline_item("1")
    if product_rel is not None:
        first["product"]["productRelationship"] = [product_rel]
    if item_rel is not None:
        first["qualificationItemRelationship"] = [item_rel]
    return poq(first, eline_item("2"))


def _relations(action: str) -> dict[str, Callable[[], Body]]:
    """Breaking builders for the four relationship IDs of ``action``."""
    return {
        "product_link": lambda: _related(action, item_rel={"id": "SP1_UNI",
                                                           "relationshipType": "CONNECTS"}),
        "item_link": lambda: _related(action, product_rel={"id": "2",
                                                           "relationshipType": "CONNECTS"}),
        "product_attrs": lambda: _related(action, product_rel={"id": "SP1_UNI"}),
        "item_attrs": lambda: _related(action, item_rel={"id": "2"}),
    }


def _modify_without_configuration() -> Body:
    item = modify_item()
    del item["product"]["productConfiguration"]
    return poq(item)


def _modify_other_specification() -> Body:
    item = modify_item()  # AccessElineOVC-0001 is an Access E-Line (offering 000073)
    item["product"]["productOffering"] = {"id": "000074"}  # an Operator UNI offering
    item["product"]["productConfiguration"] = {"@type": UNI_TYPE}
    item["product"]["place"] = uni_item()["product"]["place"]
    return poq(item)


def _modify_without_product_id() -> Body:
    item = modify_item()
    del item["product"]["id"]
    return poq(item)


@dataclass(frozen=True)
class Case:
    requirement: str
    build: Callable[[], Body]
    pointer: str
    lenient: tuple[int, ...] = (201,)  # what a lenient seller answers
    api: str = "v8"


I0 = "/productOfferingQualificationItem/0"
REL_ADD, REL_MOD = _relations("add"), _relations("modify")
CASES = [
    Case("R9", _without("provideAlternative"), "/provideAlternative"),
    Case("R9", _without("instantSyncQualification"), "/instantSyncQualification"),
    Case("R9", _no_buyer_contact, "/relatedContactInformation"),
    Case("R10", lambda: poq(spec_item(), alternatives=False), "/provideAlternative"),
    Case("R11", _without("requestedPOQCompletionDate", instant=False),
         "/requestedPOQCompletionDate"),
    Case("R11", _without("requestedPOQCompletionDate", instant=False),
         "/requestedPOQCompletionDate", api="v7"),
    Case("R12", _no_items, "/productOfferingQualificationItem", lenient=(400, 422)),
    Case("R17", _item_without("productConfiguration"), f"{I0}/product/productConfiguration"),
    Case("R17", _item_without_id, f"{I0}/id", lenient=(400,)),
    Case("R18", _uni_without_place, f"{I0}/product/place"),
    Case("R19", _uni_place_without_contact, f"{I0}/product/place/0/contact"),
    Case("R19", _v7_uni_without_place_contact, f"{I0}/relatedContactInformation", api="v7"),
    Case("R20", _eline_with_place, f"{I0}/product/place"),
    Case("R21", _uni_ref_without_id, f"{I0}/product/place/0/place"),
    Case("R22", _contact_without_email, "/relatedContactInformation/0/emailAddress"),
    Case("R23", REL_ADD["product_link"], f"{I0}/qualificationItemRelationship/0/id"),
    Case("R24", REL_ADD["item_link"], f"{I0}/product/productRelationship/0/id"),
    Case("R25", REL_ADD["product_attrs"],
         f"{I0}/product/productRelationship/0/relationshipType"),
    Case("R26", REL_ADD["item_attrs"], f"{I0}/qualificationItemRelationship/0/relationshipType"),
    Case("R48", _modify_without_configuration, f"{I0}/product/productConfiguration"),
    Case("R49", _modify_other_specification, f"{I0}/product/productOffering/id"),
    Case("R50", _modify_without_product_id, f"{I0}/product/id"),
    Case("R51", REL_MOD["product_link"], f"{I0}/qualificationItemRelationship/0/id"),
    Case("R52", REL_MOD["item_link"], f"{I0}/product/productRelationship/0/id"),
    Case("R53", REL_MOD["product_attrs"],
         f"{I0}/product/productRelationship/0/relationshipType"),
    Case("R54", REL_MOD["item_attrs"], f"{I0}/qualificationItemRelationship/0/relationshipType"),
]


def _case_id(case: Case) -> str:
    return f"{case.requirement}-{case.api}-{case.pointer.rsplit('/', 1)[-1] or 'root'}"


# -- servers ------------------------------------------------------------------------------
def _server(mode: str) -> MockServer:
    scenario = dataclasses.replace(load_scenario("default"), buyer_conformance={"mode": mode})
    server = MockServer(scenario)
    server.app.config["CONTROL_TOKEN"] = TOKEN
    return server.start()


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    started = {mode: _server(mode) for mode in ("strict", "lenient", "default")}
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


def _control(server: MockServer, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, f"{server.root_url}/_mock{path}", timeout=10,
                            headers={"Authorization": f"Bearer {TOKEN}"}, **kw)


def _report(server: MockServer) -> dict[str, Any]:
    resp = _control(server, "GET", "/buyer-report")
    assert resp.status_code == 200, resp.text[:300]
    return resp.json()  # type: ignore[no-any-return]


def _row(doc: dict[str, Any], requirement: str) -> dict[str, Any]:
    return next(r for r in doc["requirements"] if r["id"] == requirement)


def _fresh(server: MockServer) -> None:
    assert _control(server, "DELETE", "/buyer-report").status_code == 204


def _post(server: MockServer, body: Body, api: str = "v8") -> requests.Response:
    return requests.post(server.base_url(api) + POQ_PATH, json=body, timeout=10)


def _recorded(server: MockServer, requirement: str, status: str) -> dict[str, Any]:
    """The report row of ``requirement`` after one request; asserts its status and that
    the check's evidence is a recorded exchange."""
    doc = _report(server)
    row = _row(doc, requirement)
    assert row["status"] == status, row
    exchanges = {e["id"]: e for e in doc["exchanges"]}
    check = next(c for c in row["checks"] if c["status"] == status)
    assert check["evidence"] and all(e in exchanges for e in check["evidence"]), check
    return exchanges[check["evidence"][0]]


# -- strict / lenient / default per requirement ---------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_strict_refuses_naming_the_requirement(servers: dict[str, MockServer],
                                               case: Case) -> None:
    server = servers["strict"]
    _fresh(server)
    resp = _post(server, case.build(), case.api)
    assert resp.status_code == 422, resp.text[:300]
    entries = resp.json()
    assert isinstance(entries, list)
    named = [e for e in entries if e["reason"].startswith(f"{case.requirement}: ")]
    assert named, entries
    assert case.pointer in [e["propertyPath"] for e in named], entries
    exchange = _recorded(server, case.requirement, "fail")
    assert exchange["response"]["status"] == 422


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_lenient_accepts_and_records(servers: dict[str, MockServer], case: Case) -> None:
    server = servers["lenient"]
    _fresh(server)
    resp = _post(server, case.build(), case.api)
    assert resp.status_code in case.lenient, resp.text[:300]
    exchange = _recorded(server, case.requirement, "fail")
    assert exchange["response"]["status"] == resp.status_code
    assert exchange["method"] == "POST" and exchange["request"]["body"]


def test_default_mode_keeps_todays_answers(servers: dict[str, MockServer]) -> None:
    """Today's refusals, today's wording; the findings are recorded all the same."""
    server = servers["default"]
    _fresh(server)
    resp = _post(server, _without("requestedPOQCompletionDate", instant=False)())
    assert resp.status_code == 422
    assert resp.json()[0]["reason"] == ("requestedPOQCompletionDate is required when "
                                        "instantSyncQualification is false")
    resp = _post(server, _without("provideAlternative")())
    assert resp.status_code == 400  # a schema violation stays a 400 invalidBody
    resp = _post(server, _uni_place_without_contact())
    assert resp.status_code == 201  # accepted today, so accepted in default mode
    doc = _report(server)
    assert {r["id"]: r["status"] for r in doc["requirements"]
            if r["id"] in ("R9", "R11", "R19")} == {"R9": "fail", "R11": "fail", "R19": "fail"}


# -- conformant requests ------------------------------------------------------------------
def _conformant_requests(server: MockServer) -> list[requests.Response]:
    """One conformant request of every kind: 2a, 2b, 2c, places, relationships, hub,
    retrieve, list."""
    base = server.base_url("v8")
    related = eline_item("2")
    related["product"]["productRelationship"] = [{"id": "SP1_UNI", "relationshipType": "ENDS"}]
    related["qualificationItemRelationship"] = [{"id": "1", "relationshipType": "ENDS_AT"}]
    changed = modify_item("1")
    changed["product"]["productRelationship"] = [{"id": "SP1_UNI", "relationshipType": "ENDS"}]
    changed["qualificationItemRelationship"] = [{"id": "2", "relationshipType": "WITH"}]
    sub_unit = uni_item()
    sub_unit["product"]["place"][0]["subUnit"] = [{"subUnitType": "FLOOR",
                                                   "subUnitNumber": "3"}]
    out = [
        _post(server, poq(eline_item("1"), related, instant=False, projectId="p-1")),
        _post(server, poq(spec_item(), alternatives=True)),
        _post(server, poq(changed, eline_item("2"))),
        _post(server, poq(sub_unit)),
        _post(server, _v7_uni(), "v7"),
        requests.post(base + "/hub", json={"callback": "http://127.0.0.1:9/listener"},
                      timeout=10),
    ]
    created = out[0].json()["id"]
    out.append(requests.get(f"{base}{POQ_PATH}/{created}", timeout=10))
    out.append(requests.get(f"{base}{POQ_PATH}", params={"projectId": "p-1"}, timeout=10))
    hub_id = out[5].json()["id"]
    out.append(requests.delete(f"{base}/hub/{hub_id}", timeout=10))
    return out


BUYER_IDS = ["R7", "R9", "R10", "R11", "R12", "R17", "R18", "R19", "R20", "R21", "R22",
             "R23", "R24", "R25", "R26", "R48", "R49", "R50", "R51", "R52", "R53", "R54",
             "R82", "R2", "D1", "D2", "O1", "O4", "O15"]


@pytest.mark.parametrize("mode", ["strict", "lenient", "default"])
def test_conformant_session_records_passes(servers: dict[str, MockServer], mode: str) -> None:
    server = servers[mode]
    _fresh(server)
    for resp in _conformant_requests(server):
        assert resp.status_code in (200, 201, 204), (resp.request.method, resp.request.url,
                                                     resp.text[:300])
    doc = _report(server)
    statuses = {r["id"]: r["status"] for r in doc["requirements"]}
    assert {i: statuses[i] for i in BUYER_IDS} == dict.fromkeys(BUYER_IDS, "pass")
    assert validate_document(doc) == []


def test_capabilities_not_tested_until_seen(servers: dict[str, MockServer]) -> None:
    server = servers["strict"]
    _fresh(server)
    assert _post(server, poq()).status_code == 201
    doc = _report(server)
    r2 = _row(doc, "R2")
    assert r2["status"] == "not_tested"
    assert "change (UC2c)" in r2["reason"] and "retrieve by id (UC4)" in r2["reason"]
    assert _row(doc, "D1")["status"] == "not_tested"
    assert _row(doc, "O4")["status"] == "not_tested"
    assert "never used" in _row(doc, "O4")["reason"]
    seller_side = _row(doc, "R39")
    assert seller_side["status"] == "not_applicable"
    assert seller_side["reason"] == "seller-side requirement; this is a buyer report"


# -- hub and retrieve ---------------------------------------------------------------------
def test_hub_and_retrieve_requirements(servers: dict[str, MockServer]) -> None:
    strict, lenient = servers["strict"], servers["lenient"]
    for server, expected in ((strict, 422), (lenient, 400)):
        _fresh(server)
        resp = requests.post(server.base_url("v8") + "/hub", json={"query": "x"}, timeout=10)
        assert resp.status_code == expected, resp.text[:200]
        if expected == 422:
            assert resp.json()[0]["reason"].startswith("R7: ")
            assert resp.json()[0]["propertyPath"] == "/callback"
        _recorded(server, "R7", "fail")
    # strict refusals use a code the dialect defines for the operation: v7 unregister and
    # retrieve define no 422, so they are refused with a 400 naming the requirement
    for server, expected in ((strict, 400), (lenient, 405)):
        _fresh(server)
        resp = requests.delete(server.base_url("v7") + "/hub", timeout=10)
        assert resp.status_code == expected, resp.text[:200]
        if expected == 400:
            assert ": R7: " in resp.json()["reason"]  # "<pointer>: R7: ..."
        _recorded(server, "R7", "fail")
    for server, expected in ((strict, 400), (lenient, 404)):
        _fresh(server)
        resp = requests.get(server.base_url("v8") + POQ_PATH + "/%20", timeout=10)
        assert resp.status_code == expected, resp.text[:200]
        if expected == 400:
            assert ": R82: " in resp.json()["reason"]
        _recorded(server, "R82", "fail")
    _fresh(strict)
    resp = requests.get(strict.base_url("v8") + POQ_PATH + "/never-issued", timeout=10)
    assert resp.status_code == 404  # an unknown id is the seller's 404, not a violation
    _recorded(strict, "R82", "pass")


# -- scenario keys ------------------------------------------------------------------------
def _default_yaml() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def test_specification_place_key_mandates_a_place() -> None:
    data = _default_yaml()
    spec = next(s for s in data["catalogue"]["specifications"]
                if s["id"] == "carrier-ethernet-operator-uni")
    spec["place"] = "required"
    for offering in data["catalogue"]["offerings"]:
        if offering["specification"] == spec["id"]:
            offering["place"] = "optional"
    data["buyer_conformance"] = {"mode": "strict"}
    scenario = load_scenario(data)
    assert places.place_policy(scenario, {"productOffering": {"id": "000074"}}) == "required"
    server = MockServer(scenario).start()
    try:
        resp = _post(server, _uni_without_place())
        assert resp.status_code == 422
        assert resp.json()[0]["reason"].startswith("R18: ")
        assert _post(server, poq(uni_item())).status_code == 201
    finally:
        server.stop()


def test_scenario_rejects_an_unknown_mode() -> None:
    data = _default_yaml() | {"buyer_conformance": {"mode": "picky"}}
    with pytest.raises(ValueError, match="buyer_conformance"):
        load_scenario(data)


def test_off_mode_records_nothing() -> None:
    server = _server("off")
    try:
        resp = _post(server, _uni_place_without_contact())
        assert resp.status_code == 201
        statuses = {r["id"]: r["status"] for r in _report(server)["requirements"]}
        assert statuses["R19"] == "not_tested" and statuses["R12"] == "not_tested"
    finally:
        server.stop()


def test_buyers_are_kept_apart() -> None:
    """With authentication on, each buyer gets its own findings (tenancy.current_buyer)."""
    data = _default_yaml() | {"buyer_conformance": {"mode": "lenient"}, "auth": {"entities": [
        {"id": "acme", "buyers": ["ACME"], "tokens": ["acme-static-token-1"]},
        {"id": "globex", "buyers": ["GLOBEX"], "tokens": ["globex-static-token-1"]}]}}
    server = MockServer(load_scenario(data))
    server.app.config["CONTROL_TOKEN"] = TOKEN
    server.start()
    try:
        for token, body in (("acme-static-token-1", poq()),
                            ("globex-static-token-1", _without("provideAlternative")())):
            resp = requests.post(server.base_url("v8") + POQ_PATH, json=body, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 201, resp.text[:200]
        acme = _control(server, "GET", "/buyer-report", params={"buyer": "ACME"}).json()
        globex = _control(server, "GET", "/buyer-report", params={"buyer": "GLOBEX"}).json()
        merged = _report(server)
    finally:
        server.stop()
    assert _row(acme, "R9")["status"] == "pass" and acme["run"]["buyer"] == "ACME"
    assert _row(globex, "R9")["status"] == "fail"
    assert sorted(merged["run"]["buyers"]) == ["ACME", "GLOBEX"]
    assert _row(merged, "R9")["status"] == "fail"
    assert "static-token" not in json.dumps(merged)  # credentials never reach the report


# -- report formats over HTTP ---------------------------------------------------------------
def test_report_formats_render(servers: dict[str, MockServer]) -> None:
    server = servers["lenient"]
    _fresh(server)
    _post(server, _without("requestedPOQCompletionDate", instant=False)())
    html = _control(server, "GET", "/buyer-report", params={"format": "html"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert "R11" in html.text and "<html" in html.text.lower()
    junit = _control(server, "GET", "/buyer-report", params={"format": "junit"})
    assert junit.status_code == 200
    root = ET.fromstring(junit.content)
    assert int(root.get("failures") or sum(int(s.get("failures", 0)) for s in root)) >= 1
    md = _control(server, "GET", "/buyer-report", params={"format": "md"})
    assert md.status_code == 200 and "R11" in md.text
    bad = _control(server, "GET", "/buyer-report", params={"format": "pdf"})
    assert bad.status_code == 400
    assert requests.get(f"{server.root_url}/_mock/buyer-report", timeout=10).status_code == 401


# -- the report file of a real process ------------------------------------------------------
def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "mock_seller", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://[\d.]+:\d+", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"no ready line: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, match.group(0)


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_bad_buyer_mode_is_a_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "mock_seller", "--buyer-mode", "picky"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "picky" in proc.stderr


# -- no false failures, no hidden seller refusals -------------------------------------------
def test_lenient_keeps_the_sellers_own_refusals(servers: dict[str, MockServer]) -> None:
    """Waivers cover refusals a recorded buyer violation explains, nothing else."""
    server = servers["lenient"]
    body = _without("provideAlternative")()
    body["productOfferingQualificationItem"][0]["product"]["productOffering"]["id"] = "nope"
    resp = _post(server, body)
    assert resp.status_code == 422
    assert [e["code"] for e in resp.json()] == ["referenceNotFound"]


def test_legal_choices_are_not_refused(servers: dict[str, MockServer]) -> None:
    server = servers["strict"]
    _fresh(server)
    v7 = _v7_uni()
    del v7["provideAlternative"]  # v7 defaults it to false: accepted, noted
    assert _post(server, v7, "v7").status_code == 201
    plain = poq(eline_item(), externalId="ext-1")  # optional attributes (O1)
    assert _post(server, plain).status_code == 201
    doc = _report(server)
    assert _row(doc, "R9")["status"] == "pass"
    assert any("v7 defaults it" in c["message"] for c in _row(doc, "R9")["checks"])
    assert _row(doc, "O1")["status"] == "pass"


def test_recorder_is_bounded_and_keeps_early_failures() -> None:
    from mock_seller.buyer.checks import failed, passed
    from mock_seller.buyer.recorder import Recorder, exchange_id

    recorder = Recorder(max_exchanges=10, checks_per_status=3)
    first = exchange_id(recorder.record(
        "acme", "v8", "POST", "http://x/poq", {"Authorization": "t"}, {},
        [failed("R11", "/requestedPOQCompletionDate", "x")], {"2a"}, 422))
    for _ in range(50):
        recorder.record("acme", "v8", "POST", "http://x/poq", {}, {"a": 1},
                        [passed("R11", "/requestedPOQCompletionDate", "y")], {"2a"}, 201,
                        {}, {"id": "1"})
    log = recorder.snapshot("acme")[0]
    assert len(log["exchanges"]) == 10
    assert log["exchanges"][-1]["id"] == "ex-51"
    assert log["exchanges"][-1]["response"] == {"status": 201, "headers": {}, "body": {"id": "1"}}
    r11 = log["requirements"]["R11"]
    assert r11["counts"] == {"pass": 50, "fail": 1}
    [failure] = [c for c in r11["checks"] if c["status"] == "fail"]
    assert failure["evidence"] == [first]
    assert failure["message"] == "POST http://x/poq: /requestedPOQCompletionDate: x"
    assert len(r11["checks"]) == 4  # 3 newest passes + the one failure
    assert first not in [e["id"] for e in log["exchanges"]]  # the oldest went first
    assert log["kinds"]["2a"] == {"valid": 50, "invalid": 1, "last": None,
                                  "last_valid": "ex-51", "last_invalid": first}


def test_recorder_counts_batches_of_mixed_outcomes_as_one_by_one() -> None:
    """The record counts in batches grouped by outcome: what it reports equals counting
    each exchange in turn, across batch boundaries and interleaved outcomes."""
    import random

    from mock_seller.buyer import recorder as module
    from mock_seller.buyer.checks import failed, passed
    from mock_seller.buyer.recorder import Recorder, exchange_id

    rng = random.Random(7)
    recorder = Recorder(checks_per_status=5)
    counts: dict[str, dict[str, int]] = {}
    recent: dict[tuple[str, str], list[str]] = {}
    kinds: dict[str, dict[str, object]] = {}
    apis: dict[str, int] = {}
    for _ in range(module.FOLD_EVERY * 2 + 37):
        findings = [rng.choice([passed, failed])(req, "/x", "m")
                    for req in rng.sample(["R9", "R11", "R17"], rng.randint(0, 3))]
        kind = set(rng.sample(["2a", "2b"], rng.randint(0, 2)))
        api = rng.choice(["v7", "v8"])
        ex = exchange_id(recorder.record("acme", api, "POST", "u", {}, None, findings, kind))
        outcome: dict[str, str] = {}
        for f in findings:
            outcome[f.requirement] = "fail" if not f.ok or outcome.get(f.requirement) == \
                "fail" else "pass"
        for req, status in outcome.items():
            counts.setdefault(req, {"pass": 0, "fail": 0})[status] += 1
            recent.setdefault((req, status), []).append(ex)
        valid = "fail" not in outcome.values()
        for k in kind:
            seen = kinds.setdefault(k, {"valid": 0, "invalid": 0, "last": None})
            seen["valid" if valid else "invalid"] += 1  # type: ignore[operator]
            seen["last_valid" if valid else "last_invalid"] = ex
        apis[api] = apis.get(api, 0) + 1
    log = recorder.snapshot("acme")[0]
    assert {r: v["counts"] for r, v in log["requirements"].items()} == counts
    for req, row in log["requirements"].items():
        for status in ("pass", "fail"):
            shown = [c["evidence"][0] for c in row["checks"] if c["status"] == status]
            assert shown == recent.get((req, status), [])[-5:]
    assert log["kinds"] == kinds and log["apis"] == apis
    # the newest exchange of a kind sits in the group met first
    again = Recorder()
    for requirement in ("R9", "R11", "R9"):
        last = exchange_id(again.record("b", "v8", "GET", "u", {}, None,
                                        [passed(requirement, "", "")], {"2a"}))
    assert again.snapshot()[0]["kinds"]["2a"]["last_valid"] == last


def test_recorder_keeps_at_most_its_total_over_all_buyers() -> None:
    from mock_seller.buyer import recorder as module
    from mock_seller.buyer.recorder import Recorder

    recorder = Recorder(max_exchanges=module.MAX_TOTAL_EXCHANGES)
    quiet = recorder.record("quiet", "v8", "GET", "u", {}, None, [])
    for _ in range(module.MAX_TOTAL_EXCHANGES):
        recorder.record("busy", "v8", "GET", "u", {}, None, [])
    logs = {log["name"]: log for log in recorder.snapshot()}
    assert logs["quiet"]["exchanges"] == []  # the oldest of all went first
    assert len(logs["busy"]["exchanges"]) == module.MAX_TOTAL_EXCHANGES
    assert quiet == 1 and logs["quiet"]["apis"] == {"v8": 1}


def test_recorded_credentials_are_masked() -> None:
    from mock_seller.buyer.recorder import Recorder

    recorder = Recorder()
    ex = recorder.record("b", "v8", "GET", "u",
                         {"Authorization": "Bearer s", "Accept": "x", "X-Api-Key": "k"}, None, [])
    headers = recorder.snapshot()[0]["exchanges"][0]["request"]["headers"]
    assert ex == 1
    assert headers == {"Authorization": "***", "Accept": "x", "X-Api-Key": "***"}


def test_recorded_environ_keeps_only_the_request_headers() -> None:
    """A server may copy its whole process environment into every WSGI environ (granian
    does): the record keeps the request's headers, named as the buyer sent them."""
    from mock_seller.buyer.recorder import Recorder

    environ = {"wsgi.version": (1, 0), "PATH": "/usr/bin", "HOME": "/root",
               "HTTP_ACCEPT": "application/json", "HTTP_X_API_KEY": "k",
               "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "2",
               "REQUEST_METHOD": "POST"}
    recorder = Recorder()
    recorder.record("b", "v8", "POST", "u", environ, b"{}", [])
    request = recorder.snapshot()[0]["exchanges"][0]["request"]
    assert request == {"headers": {"Accept": "application/json", "X-Api-Key": "***",
                                   "Content-Type": "application/json",
                                   "Content-Length": "2"}, "body": {}}


def test_passing_findings_say_what_was_judged_not_the_values() -> None:
    """Requests that differ only in their values (dates, product ids, relationship targets,
    callbacks, subscription and POQ ids) pass with equal findings: the record counts equal
    outcomes together, and a pass naming a value would make each request a group of its
    own (eight times the record's cost)."""
    from mock_seller.buyer.checks import hub, retrieve, run_create

    scenario = load_scenario("default")

    def create(product: str, target: str, when: str) -> Body:
        first = modify_item("1", product)
        first["product"]["productRelationship"] = [{"id": target,
                                                    "relationshipType": "CONNECTS"}]
        second = eline_item("2")
        second["qualificationItemRelationship"] = [{"id": "1", "relationshipType": "RELIES"}]
        return poq(first, second, instant=False, requested=when)

    one, _ = run_create("v8", create("AccessElineOVC-0001", "SP1_UNI", iso(3600)), scenario)
    other_eline = "01494079-6c79-4a25-83f7-48284196d44d"  # of the same offering
    other, _ = run_create("v8", create(other_eline, "AccessElineOVC-0001", iso(7200)), scenario)
    assert {f.requirement for f in one if f.ok} >= {"R11", "R48", "R50", "R51", "R53", "R24"}
    assert [f for f in one if f.ok] == [f for f in other if f.ok]
    assert hub.check_register({"callback": "http://a.example/x"}) == \
        hub.check_register({"callback": "https://b.example/y"})
    assert hub.check_unregister("s-1") == hub.check_unregister("s-2")
    assert retrieve.check_retrieve("p-1") == retrieve.check_retrieve("p-2")


def test_create_checks_name_the_use_cases_a_request_exercises() -> None:
    """The request kinds (2a by offering, 2b by specification, 2c modify) that R2, D1 and D2
    count come from the same walk as the findings."""
    from mock_seller.buyer.checks import run_create

    scenario = load_scenario("default")

    def kinds(body: Any) -> frozenset[str]:
        return run_create("v8", body, scenario)[1]

    assert kinds(poq(eline_item("1"))) == {"2a"}
    assert kinds(poq(spec_item("1"), alternatives=True)) == {"2b"}
    assert kinds(poq(modify_item("1"), eline_item("2"), spec_item("3"))) == {"2a", "2b", "2c"}
    no_id = eline_item("1")
    no_id["product"]["productOffering"] = {}  # an offering without an id names no use case
    assert kinds(poq(no_id)) == set()
    assert kinds(poq()) == {"2a"} and kinds([]) == set() and kinds({"x": 1}) == set()


def test_records_from_many_threads_are_all_counted_while_read() -> None:
    """Recording takes no lock: exchanges recorded by several threads at once, while another
    reads, are each counted once, under numbers of their own."""
    import threading

    from mock_seller.buyer import recorder as module
    from mock_seller.buyer.checks import failed, passed
    from mock_seller.buyer.recorder import Recorder

    recorder = Recorder(max_exchanges=module.MAX_TOTAL_EXCHANGES)
    numbers: list[int] = []
    done = threading.Event()

    def send(ok: bool) -> None:
        finding = (passed if ok else failed)("R82", "/id", "m")
        numbers.extend(recorder.record("b", "v8", "GET", "u", {}, None, [finding], {"retrieve"})
                       for _ in range(module.FOLD_EVERY * 3 + 11))

    def read() -> None:
        while not done.is_set():
            recorder.snapshot("b")

    reader = threading.Thread(target=read)
    reader.start()
    senders = [threading.Thread(target=send, args=(i % 2 == 0,)) for i in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    done.set()
    reader.join()
    each = module.FOLD_EVERY * 3 + 11
    assert sorted(numbers) == list(range(1, 4 * each + 1))
    log = recorder.snapshot("b")[0]
    assert log["requirements"]["R82"]["counts"] == {"pass": 2 * each, "fail": 2 * each}
    assert log["kinds"]["retrieve"]["valid"] == 2 * each
    assert len(log["exchanges"]) == module.MAX_TOTAL_EXCHANGES
    assert log["exchanges"][-1]["id"] == f"ex-{max(numbers)}"


def test_a_waiting_reader_wakes_on_the_next_record() -> None:
    """A record takes no lock: it wakes a reader it sees waiting, and a reader counts itself
    waiting before it compares versions, so a record in between is never missed."""
    import threading
    import time

    from mock_seller.buyer.recorder import Recorder

    recorder = Recorder()
    version = recorder.version
    woke: list[float] = []

    def wait() -> None:
        start = time.monotonic()
        recorder.wait_for_change(version, timeout=30)
        woke.append(time.monotonic() - start)

    reader = threading.Thread(target=wait)
    reader.start()
    time.sleep(0.05)  # the reader is waiting, or about to
    recorder.record("b", "v8", "GET", "u", {}, None, [])
    reader.join(timeout=10)
    assert woke and woke[0] < 5 and recorder.version != version


def test_recorded_bodies_are_bounded_and_shown_decoded() -> None:
    from mock_seller.buyer.recorder import MAX_BODY_CHARS, MAX_WIRE_BYTES, Recorder

    recorder = Recorder()
    long = b'{"a":"' + b"x" * (MAX_WIRE_BYTES * 2) + b'"}'
    recorder.record("b", "v8", "POST", "u", {}, long, [], status=201, response_headers={},
                    answer={"id": "1", "note": "\u00e9"})
    recorder.record("b", "v8", "POST", "u" * 5000, {}, "plain text", [])
    first, second = recorder.snapshot()[0]["exchanges"]
    body = first["request"]["body"]
    assert first["truncated"] and body.startswith('{"a":"xxx')
    assert len(body) < MAX_BODY_CHARS + 100
    assert body.endswith(f"[truncated: {len(long) - MAX_BODY_CHARS} more characters]")
    assert first["response"]["body"] == {"id": "1", "note": "\u00e9"}
    assert second["request"]["body"] == "plain text" and second["truncated"]
    assert second["url"].endswith("...[truncated]") and second["response"] is None


def test_a_buyer_dropped_and_seen_again_starts_a_new_log() -> None:
    from mock_seller.buyer.checks import passed
    from mock_seller.buyer.recorder import Recorder

    recorder = Recorder(max_buyers=2)
    recorder.record("a", "v8", "GET", "u", {}, None, [passed("R82", "/id", "m")])
    recorder.snapshot()  # counted: "a" has a log
    recorder.record("b", "v8", "GET", "u", {}, None, [])
    recorder.record("c", "v8", "GET", "u", {}, None, [])
    assert recorder.buyers() == ["b", "c"]  # "a", seen longest ago, went first
    again = recorder.record("a", "v8", "GET", "u", {}, None, [])
    [log] = recorder.snapshot("a")
    assert [e["id"] for e in log["exchanges"]] == [f"ex-{again}"]
    assert log["requirements"] == {}


def test_recorded_environs_of_one_shape_keep_their_own_headers() -> None:
    """The header names are picked out once per set of environ keys: requests with the same
    keys keep their own values, and a request with other keys its own names."""
    from mock_seller.buyer.recorder import Recorder

    def environ(agent: str, **more: str) -> dict[str, object]:
        return {"wsgi.version": (1, 0), "REQUEST_METHOD": "GET", "HTTP_USER_AGENT": agent,
                "HTTP_ACCEPT": "application/json", **more}

    recorder = Recorder()
    for sent in (environ("first"), environ("second"), environ("third", HTTP_X_TRACE="t"),
                 environ("fourth", HTTP_X_TRACE="u", HTTP_ACCEPT_LANGUAGE="fr")):
        recorder.record("b", "v8", "GET", "u", sent, None, [])
    kept = [e["request"]["headers"] for e in recorder.snapshot()[0]["exchanges"]]
    assert kept == [
        {"Accept": "application/json", "User-Agent": "first"},
        {"Accept": "application/json", "User-Agent": "second"},
        {"Accept": "application/json", "User-Agent": "third", "X-Trace": "t"},
        {"Accept": "application/json", "Accept-Language": "fr", "User-Agent": "fourth",
         "X-Trace": "u"}]
    alone = {"wsgi.version": (1, 0), "HTTP_HOST": "h"}  # one header: no itemgetter of one
    recorder.record("b", "v8", "GET", "u", alone, None, [])
    assert recorder.snapshot()[0]["exchanges"][-1]["request"]["headers"] == {"Host": "h"}


def test_control_reset_starts_a_new_buyer_session(servers: dict[str, MockServer]) -> None:
    server = servers["lenient"]
    _fresh(server)
    _post(server, {"instantSyncQualification": True})  # breaks R9/R12: recorded

    def judged() -> list[str]:
        return [r["id"] for r in _report(server)["requirements"] if r["status"] in ("pass", "fail")]

    assert "R12" in judged()
    assert _control(server, "POST", "/reset").status_code == 200
    assert judged() == []
