"""The harness certifies the mock with auth on: ``poq-conformance run`` with a profile using
``auth: {type: bearer, token_env}`` or ``oauth2_client_credentials`` against the mock's
token endpoint gets 0 MUST failures, and a run without credentials stops as a configuration
error. The runs are limited to use cases 1 and 2a (``--uc 1,2a``): registration and the
create / retrieve paths carry the credentials the same way every other request does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from mock_auth_helpers import SECRETS, TOKENS, auth_scenario

from mock_seller.server import MockServer

USE_CASES = ("--uc", "1,2a")  # registration, create and retrieve: every kind of request


@pytest.fixture(scope="module", name="seller")
def seller_fixture() -> Iterator[MockServer]:
    with MockServer(scenario=auth_scenario(token_lifetime=120)) as server:
        yield server


def _profile(seller: MockServer, api: str, auth: dict[str, Any], **seller_keys: Any
             ) -> dict[str, Any]:
    text = resources.files("schemas").joinpath(f"profiles/mock-{api}.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    doc["seller"]["base_url"] = seller.base_url(api)
    doc["seller"]["auth"] = auth
    doc["seller"].update(seller_keys)
    return doc  # type: ignore[no-any-return]


def _run(tmp_path: Path, profile: dict[str, Any], env: dict[str, str], *extra: str
         ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", str(path), "--report-dir", "out",
         *extra],
        cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    results = tmp_path / "out" / "results.json"
    doc = json.loads(results.read_text()) if results.exists() else {}
    return proc, doc


def _authorised_operations(doc: dict[str, Any], base_url: str) -> set[tuple[str, str]]:
    """(method, last path segment) of the seller requests that were answered, not 401."""
    return {(e["method"], e["url"].split("?")[0].rstrip("/").rsplit("/", 1)[-1])
            for e in doc["exchanges"] if e["url"].startswith(base_url)
            and e.get("response") and e["response"]["status"] != 401}


def _must_failures(doc: dict[str, Any]) -> list[str]:
    return [f"{r['id']}: {[c['message'] for c in r['checks'] if c['status'] == 'fail']}"
            for r in doc["requirements"]
            if r["status"] == "fail" and r["level"] in ("MUST", "MUST NOT")]


@pytest.mark.slow
@pytest.mark.parametrize("api", ["v8", "v7"])
def test_bearer_token_run_has_no_must_failure(seller: MockServer, tmp_path: Path,
                                              api: str) -> None:
    seller.engine.reset()
    profile = _profile(seller, api, {"type": "bearer", "token_env": "POQ_TEST_BEARER"})
    proc, doc = _run(tmp_path, profile, {"POQ_TEST_BEARER": TOKENS["alpha"]}, *USE_CASES)
    assert doc, proc.stdout + proc.stderr
    assert _must_failures(doc) == [], proc.stdout[-3000:]
    assert doc["summary"]["must_failed"] == 0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert doc["summary"]["pass"] > 20
    statuses = {e["response"]["status"] for e in doc["exchanges"] if e.get("response")}
    assert 401 not in statuses
    assert TOKENS["alpha"] not in json.dumps(doc)  # the token never reaches the report
    assert {("POST", "hub"), ("POST", "productOfferingQualification")} <= _authorised_operations(
        doc, seller.base_url(api))


@pytest.mark.slow
def test_oauth2_run_with_buyer_id_has_no_must_failure(seller: MockServer,
                                                      tmp_path: Path) -> None:
    """The broker represents two buyers: the harness sends buyerId on every request."""
    seller.engine.reset()
    auth = {"type": "oauth2_client_credentials", "token_url": seller.root_url + "/_auth/token",
            "client_id": "broker", "client_secret_env": "POQ_TEST_SECRET"}
    profile = _profile(seller, "v8", auth, buyer_id="BUYER-C")
    proc, doc = _run(tmp_path, profile, {"POQ_TEST_SECRET": SECRETS["broker"]}, *USE_CASES)
    assert doc, proc.stdout + proc.stderr
    assert _must_failures(doc) == [], proc.stdout[-3000:]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    seller_urls = [e["url"] for e in doc["exchanges"] if e["url"].startswith(seller.base_url())]
    assert seller_urls and all("buyerId=BUYER-C" in url for url in seller_urls)
    assert SECRETS["broker"] not in json.dumps(doc)
    assert {("POST", "hub"), ("POST", "productOfferingQualification")} <= _authorised_operations(
        doc, seller.base_url())


@pytest.mark.slow
def test_run_without_credentials_is_a_configuration_error(seller: MockServer,
                                                          tmp_path: Path) -> None:
    """A seller that refuses our credentials leaves nothing to judge: the run stops with exit
    code 2 and one line naming the refusal, instead of a green run of untested checks."""
    seller.engine.reset()
    profile = _profile(seller, "v8", {"type": "none"})
    proc, doc = _run(tmp_path, profile, {}, "-k", "smoke")
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "refused our credentials (HTTP 401" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert doc == {}
