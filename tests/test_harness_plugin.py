"""The pytest plugin: inert without its options; with a profile it provides fixtures,
fails tests at their end on failed checks, selects by use case and writes results.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import yaml

pytest_plugins = ["pytester"]

PROFILE = {
    "seller": {"api": "v8",
               "base_url": "http://127.0.0.1:9/mefApi/sonata/productOfferingQualification/v8"},
    "capabilities": {"product_specification": False, "change": False},
    "test_data": {
        "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
        "install_offering": {"product": {"productOffering": {"id": "1"}}},
    },
}

SUITE = '''
import pytest, requests

@pytest.mark.uc("2a")
@pytest.mark.requirements("R36", "R39")
def test_soft(verdict):
    verdict.check("R36", False, "first check failed")
    verdict.check("R39", True, "kept going after it")

@pytest.mark.uc("4")
def test_fine(verdict, seller_profile, dialect):
    assert seller_profile.api == dialect.api == "v8"
    verdict.check("R84", True, "fine")

@pytest.mark.uc("2b")
@pytest.mark.requirements("R44")
def test_gate(capability):
    capability.require("product_specification")
    raise AssertionError("not reached")

@pytest.mark.uc("5")
def test_listener(listener, verdict):
    path = "/mefApi/sonata/productOfferingQualificationNotification/v8/listener/poqStateChangeEvent"
    requests.post(listener.callback_url + path, json={"event": {"id": "p"}}, timeout=5)
    note = listener.wait_for(lambda n: n.event.get("id") == "p", timeout=5)
    verdict.check("R95", note is not None, "notification arrived", evidence=[note])

@pytest.mark.uc("1")
def test_unknown_id(verdict):
    verdict.check("R999", True, "typo")
'''


@pytest.fixture
def profile_file(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "seller.yaml"
    path.write_text(yaml.safe_dump(PROFILE))
    return path


def test_inert_without_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.uc("2a")
        @pytest.mark.requirements("R1")
        def test_plain():
            assert True

        def test_needs_seller(seller):
            raise AssertionError("not reached")
        """
    )
    result = pytester.runpytest("--strict-markers", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*no seller configured*"])
    assert not list(pytester.path.glob("*.json"))


def test_run_with_profile_writes_results(pytester: pytest.Pytester, profile_file: Path) -> None:
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "out" / "results.json"
    result = pytester.runpytest("--seller-profile", str(profile_file), "--poq-results", str(out))
    result.assert_outcomes(passed=2, failed=2, skipped=1)
    result.stdout.fnmatch_lines([
        "*1 of 2 requirement check(s) failed*",
        "*R36: first check failed*",
        "*unknown requirement ID 'R999'*",
    ])
    doc = json.loads(out.read_text())
    rows = {r["id"]: r for r in doc["requirements"]}
    assert len(rows) == 125
    assert rows["R36"]["status"] == "fail" and rows["R39"]["status"] == "pass"
    assert rows["R44"]["status"] == "not_applicable"
    assert rows["R44"]["reason"] == "profile: capabilities.product_specification is false"
    assert rows["R95"]["status"] == "pass"
    assert rows["R95"]["checks"][0]["evidence"] == ["nt-1"]
    assert doc["summary"]["must_failed"] >= 1
    tests = {t["nodeid"].split("::")[-1]: t for t in doc["tests"]}
    assert tests["test_soft"]["outcome"] == "failed"
    assert tests["test_soft"]["use_cases"] == ["2a"]
    assert tests["test_soft"]["requirements"] == ["R36", "R39"]
    assert tests["test_gate"]["outcome"] == "skipped"
    assert tests["test_fine"]["outcome"] == "passed"
    [note] = doc["notifications"]
    assert note["id"] == "nt-1" and note["test"].endswith("test_listener")
    assert doc["run"]["mock"] is False and doc["run"]["profile"] == str(profile_file)


def test_use_case_selection(pytester: pytest.Pytester, profile_file: Path) -> None:
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "r.json"
    result = pytester.runpytest("--seller-profile", str(profile_file), "--poq-uc", "4,2b",
                                "--poq-results", str(out))
    result.assert_outcomes(passed=1, skipped=1, deselected=3)
    assert json.loads(out.read_text())["run"]["use_cases"] == ["4", "2b"]


def test_invalid_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**PROFILE, "seller": {**PROFILE["seller"], "api": "v9"}}))
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--seller-profile", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*seller.api: must be one of v8, v7*"])


def test_wrapped_verdict_fixture_still_fails_the_test(
    pytester: pytest.Pytester, profile_file: Path
) -> None:
    pytester.makeconftest(
        """
        import pytest

        class Thin:
            def __init__(self, inner):
                self.check = inner.check

        @pytest.fixture
        def verdict(verdict):
            return Thin(verdict)
        """
    )
    pytester.makepyfile(
        """
        def test_wrapped(verdict):
            verdict.check("R36", False, "no response code")
        """
    )
    result = pytester.runpytest("--seller-profile", str(profile_file))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*R36: no response code*"])


def test_mock_option_starts_and_stops_the_bundled_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_talks_to_mock(seller, seller_profile, verdict):
            ex = seller.list_poqs()
            assert seller_profile.name == "mock-v7"
            assert "/productOfferingQualification/v7/" in ex.url
            verdict.check("R84", ex.status == 200, f"list answered {ex.status}", evidence=[ex])
        """
    )
    out = pytester.path / "r.json"
    result = pytester.runpytest("--mock", "--mock-api", "v7", "--poq-results", str(out))
    result.assert_outcomes(passed=1)
    doc = json.loads(out.read_text())
    assert doc["run"]["mock"] is True and doc["run"]["api"] == "v7"
    [ex] = doc["exchanges"]
    assert ex["id"] == "ex-1" and ex["response"]["status"] == 200
    with pytest.raises(requests.ConnectionError):  # the mock is gone after the session
        requests.get(doc["run"]["seller"], timeout=2)
