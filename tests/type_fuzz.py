"""A type fuzzer for the mock seller: every member of a valid create, hub or list request
replaced by each value of ``VALUES`` (every JSON type and a few odd strings), sent in process
through the Flask test client. Shared by the fast tier (tests/test_mock_type_fuzz.py) and
the exhaustive run (tests/e2e/test_mock_type_fuzz_full.py)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml
from flask import Flask
from mock_helpers import POQ, eline_item, modify_item, poq, spec_item, uni_item

from mock_seller.app import create_app
from schemas.dialect import BASE_PATHS, CANTATA_BASE_PATHS

MODES = ("default", "strict", "lenient", "off")
APIS = ("v8", "v7")

#: one value of every JSON type, and strings that broke parsers before
VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 2**64, 1.5, 1e308, "", "x", "\u00b2",
    "2020-01-01T00:00:00+25:00", "0001-01-01T00:00:00+23:59", "http://[", [], [[]], {},
    {"id": [[]]},
)
#: query parameter values (a query has only strings)
QUERY_VALUES: tuple[str, ...] = (
    "", " ", "x", "\u00b2", "-1", "0", "1.5", "2147483648", "1e999", "null", "[]", "{}",
    "2020-01-01T00:00:00+25:00", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "http://[",
)
LIST_KEYS = ("state", "projectId", "externalId", "requestedPOQCompletionDate.gt",
             "requestedPOQCompletionDate.lt", "creationDate.gt", "creationDate.lt", "offset",
             "limit", "buyerId", "sellerId")
FINAL = {"v8": {"done", "rejected", "terminatedWithError"},
         "v7": {"done.ready", "terminatedWithError", "done.unableToProvide"}}


def scenario() -> dict[str, Any]:
    """The default scenario with a fast deferred timeline and callbacks to one literal."""
    text = resources.files("schemas").joinpath("scenarios/default.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["deferred"] = {"in_progress_after": 0.01, "item_interval": 0.01}
    data["callbacks"] = {"allow": ["127.0.0.1"]}
    data["notifications"].update({"retries": 0, "timeout": 0.2})
    return data  # type: ignore[no-any-return]


def app_for(mode: str) -> Flask:
    return create_app({"SCENARIO": scenario(), "BUYER_CONFORMANCE": {"mode": mode},
                       "CONTROL_TOKEN": "fuzz"})


def create_bodies(api: str, exhaustive: bool = False) -> list[dict[str, Any]]:
    """Valid create requests: a deferred 2a with a place (fast tier); immediate 2a, 2b, 2c
    and item relationships too (exhaustive)."""
    bodies = [poq(uni_item(api=api), instant=False, projectId="p", externalId="e")]
    if exhaustive:
        related = eline_item("2")
        related["qualificationItemRelationship"] = [{"id": "1", "relationshipType": "reliesOn"}]
        bodies += [poq(eline_item()), poq(spec_item(), alternatives=True),
                   poq(modify_item(), instant=False), poq(eline_item("1"), related)]
    return bodies


def paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every member and element of ``node`` (and the root)."""
    yield at
    children = node.items() if isinstance(node, dict) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from paths(child, (*at, key))


def replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return copy.deepcopy(value)
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)
    return out


@dataclass
class Outcome:
    """What one sweep saw: the 5xx answers, refusals without a pointer, stored POQs."""

    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)

    def see(self, what: str, status: int, body: Any, pointer: bool = True) -> None:
        self.sent += 1
        if status >= 500:
            self.server_errors.append(f"{status} {what}")
        elif status in (400, 422) and pointer and not _names_pointer(body):
            self.unnamed.append(f"{status} {what}: {json.dumps(body)[:200]}")
        elif status not in (200, 201, 204, 400, 404, 422):
            self.server_errors.append(f"unexpected {status} {what}")


def _names_pointer(body: Any) -> bool:
    """A MEF Error naming a JSON Pointer: 422 entries carry propertyPath, 400 reasons start
    with the pointer (``/productOfferingQualificationItem/0/action: ...``)."""
    entries = body if isinstance(body, list) else [body]
    return bool(entries) and all(
        isinstance(e, dict) and isinstance(e.get("code"), str) and (
            "propertyPath" in e or str(e.get("reason", "")).startswith("/"))
        for e in entries)


def _post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def fuzz_create(app: Flask, api: str, outcome: Outcome, exhaustive: bool = False,
                family: str = "sonata") -> None:
    base = (CANTATA_BASE_PATHS if family == "cantata" else BASE_PATHS)[api]  # type: ignore[index]
    client = app.test_client()
    engine = app.extensions["poq_mock"]
    for body in create_bodies(api, exhaustive):
        for path in list(paths(body)):
            for value in VALUES:
                before = engine.count(api)
                resp = _post(client, base + POQ, replaced(body, path, value))
                where = f"{api} create {'/'.join(map(str, path)) or '(root)'} = {value!r}"
                outcome.see(where, resp.status_code, resp.get_json(silent=True))
                if resp.status_code == 201:
                    outcome.created.append((api, resp.get_json()["id"]))
                elif engine.count(api) != before:
                    outcome.server_errors.append(f"stored although refused: {where}")


def fuzz_hub(app: Flask, api: str, outcome: Outcome) -> None:
    client = app.test_client()
    good = {"callback": "http://127.0.0.1:9/listener", "query": "eventType=poqStateChangeEvent"}
    for path in list(paths(good)):
        for value in VALUES:
            resp = _post(client, BASE_PATHS[api] + "/hub", replaced(good, path, value))
            outcome.see(f"{api} hub {'/'.join(path) or '(root)'} = {value!r}",
                        resp.status_code, resp.get_json(silent=True))


def fuzz_list(app: Flask, api: str, outcome: Outcome) -> None:
    client = app.test_client()
    for key in LIST_KEYS:
        for value in QUERY_VALUES:
            resp = client.get(BASE_PATHS[api] + POQ, query_string={key: value})
            outcome.see(f"{api} list {key}={value!r}", resp.status_code,
                        resp.get_json(silent=True), pointer=False)
    for value in QUERY_VALUES:
        resp = client.get("/_mock/requests", query_string={"limit": value},
                          headers={"Authorization": "Bearer fuzz"})
        outcome.see(f"/_mock/requests?limit={value!r}", resp.status_code,
                    resp.get_json(silent=True), pointer=False)


def read_back(app: Flask, outcome: Outcome, timeout: float = 10.0) -> None:
    """Every stored POQ, once final, answers retrieve and list without a 5xx."""
    client = app.test_client()
    deadline = time.monotonic() + timeout
    for api, poq_id in outcome.created:
        while True:
            resp = client.get(f"{BASE_PATHS[api]}{POQ}/{poq_id}")
            outcome.see(f"{api} retrieve of {poq_id}", resp.status_code, None, pointer=False)
            state = (resp.get_json(silent=True) or {}).get("state")
            if resp.status_code != 200 or state in FINAL[api] or time.monotonic() > deadline:
                break
            time.sleep(0.02)
    for api in APIS:
        resp = client.get(BASE_PATHS[api] + POQ, query_string={"limit": "1000"})
        outcome.see(f"{api} list of all", resp.status_code, None, pointer=False)


def sweep(mode: str, api: str, exhaustive: bool = False) -> Outcome:
    """One buyer mode and dialect: create (Sonata, and Cantata too when exhaustive), hub,
    list, then every stored POQ read back once final."""
    app = app_for(mode)
    outcome = Outcome()
    try:
        for family in ("sonata", "cantata") if exhaustive else ("sonata",):
            fuzz_create(app, api, outcome, exhaustive, family)
        fuzz_hub(app, api, outcome)
        fuzz_list(app, api, outcome)
        read_back(app, outcome)
    finally:
        app.extensions["poq_mock"].close()
    return outcome


__all__ = ["APIS", "MODES", "Outcome", "app_for", "fuzz_create", "fuzz_hub", "fuzz_list",
           "read_back", "sweep"]
