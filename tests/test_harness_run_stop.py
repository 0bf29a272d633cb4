"""A test that raises is an error, never a quiet failure; a run that must stop (deadline
passed, a request past its bound) ends the pytest session with status 2 and one reason,
results.json still written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from harness.deadline import StopReason

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
import pytest

@pytest.fixture(scope="session")
def stopped(poq_run):
    poq_run.guard.stop("the seller stopped answering")

@pytest.mark.requirements("R36", "R39")
def test_raises(verdict):
    verdict.check("R39", True, "fine so far")
    raise RuntimeError("crashed on seller data")

@pytest.mark.requirements("R84")
def test_fails(verdict):
    verdict.check("R84", False, "judged")

@pytest.mark.requirements("R92")
def test_waits(listener):
    listener.wait_for(lambda n: False, 30)

@pytest.mark.requirements("R8")
def test_stops(stopped):
    pass

def test_never_reached():
    pass
'''


@pytest.fixture
def profile_file(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "seller.yaml"
    path.write_text(yaml.safe_dump(PROFILE))
    return path


def run(pytester: pytest.Pytester, profile_file: Path, *args: str
        ) -> tuple[pytest.RunResult, dict[str, dict[str, object]], StopReason]:
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "results.json"
    stop = StopReason()
    result = pytester.runpytest("--seller-profile", str(profile_file), "--poq-results",
                                str(out), *args, plugins=[stop])
    tests = {str(t["nodeid"]).split("::")[-1]: t for t in json.loads(out.read_text())["tests"]}
    return result, tests, stop


def test_a_raising_test_is_an_error_and_a_failed_check_a_failure(
    pytester: pytest.Pytester, profile_file: Path
) -> None:
    _, tests, _ = run(pytester, profile_file, "-k", "raises or fails")
    assert tests["test_raises"]["outcome"] == "error"
    assert tests["test_raises"]["requirements"] == ["R36", "R39"]
    assert "crashed on seller data" in str(tests["test_raises"]["longrepr"])
    assert tests["test_fails"]["outcome"] == "failed"


def test_a_stop_ends_the_session_with_status_2(
    pytester: pytest.Pytester, profile_file: Path
) -> None:
    result, tests, stop = run(pytester, profile_file, "-k", "stops or never")
    assert result.ret == 2
    assert stop.reason == "the seller stopped answering"
    assert tests["test_stops"]["outcome"] == "error"
    assert tests["test_stops"]["longrepr"] == "run stopped: the seller stopped answering"
    assert "test_never_reached" not in tests


def test_the_run_deadline_cuts_a_long_wait(pytester: pytest.Pytester, profile_file: Path) -> None:
    t0 = time.monotonic()
    result, tests, stop = run(pytester, profile_file, "-k", "waits", "--poq-max-duration", "1")
    assert time.monotonic() - t0 < 10
    assert result.ret == 2
    assert stop.reason == ("run deadline of 1 s (--max-duration) passed while waiting for a "
                           "notification at the listener")
    assert tests["test_waits"]["outcome"] == "error"
