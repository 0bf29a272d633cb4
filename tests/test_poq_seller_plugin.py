"""Installing the package changes nothing for a pytest run that uses neither our options nor
the ``poq_seller`` fixture: none of the harness's run machinery, the mock seller, Flask or
waitress is imported (checked in a fresh interpreter, as a buyer's suite would run)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

REPORT = '''
import sys

def test_plain():
    ours = sorted(m for m in sys.modules
                  if m.split(".")[0] in ("harness", "mock_seller", "flask", "waitress"))
    print("\\nIMPORTED " + " ".join(ours))
'''
LIGHT = {"harness", "harness.errors", "harness.pytest_plugin",
         "mock_seller", "mock_seller.testing", "mock_seller.testing.pytest_plugin"}


def _imported(result: pytest.RunResult) -> set[str]:
    [line] = [ln for ln in result.outlines if ln.startswith("IMPORTED")]
    return set(line.split()[1:])


def test_plain_run_imports_no_run_machinery(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=REPORT)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert _imported(result) <= LIGHT, sorted(_imported(result) - LIGHT)
    assert "harness.pytest_plugin" in _imported(result)  # the check sees our plugins
    assert "mock_seller.testing.pytest_plugin" in _imported(result)


def test_using_the_fixture_loads_the_mock_and_honours_marker_and_options(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=REPORT + '''
import pytest

@pytest.mark.poq_scenario(buyer_mode="strict")
def test_with_seller(poq_seller):
    assert poq_seller.base_url().startswith("http://127.0.0.1:")
    assert poq_seller.app.extensions["poq_buyer_conformance"].mode == "strict"
    test_plain()

def test_unmarked(poq_seller):
    assert poq_seller.app.extensions["poq_buyer_conformance"].mode == "default"
''')
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--strict-markers",
                                           "--poq-seller-port", "0")
    result.assert_outcomes(passed=3)
    lines = [set(ln.split()[1:]) for ln in result.outlines if ln.startswith("IMPORTED")]
    assert lines[0] <= LIGHT  # test_plain ran first, before any fixture
    assert {"mock_seller.server", "flask", "waitress"} <= lines[1]
    assert not {m for m in lines[1] if m.startswith("harness.")} - LIGHT


def test_bad_session_scenario_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(poq_seller):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--poq-seller-scenario", "nope")
    assert result.ret != 0
    assert "poq_seller: scenario 'nope': no such file" in str(result.stdout) + str(
        result.stderr)
