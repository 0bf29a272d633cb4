"""pytest plugin ``poq_seller`` (entry point ``pytest11``): the mock seller as a fixture.

Light on purpose: it registers options, an ini key and the ``poq_scenario`` marker, and
defines fixtures; the mock seller (Flask, waitress, the engine) is imported and started only
when a test asks for ``poq_seller``. A run that never does pays for nothing else.

Modelled on pytest-httpserver (one server per session on a free port, cleared before each
test, host and port overridable) and respx (settings per test from a marker).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

MARKER = "poq_scenario"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("poq-seller", "mock POQ seller fixture (poq_seller)")
    group.addoption("--poq-seller-scenario", metavar="NAME|FILE", default=None,
                    help="scenario of the poq_seller fixture's mock seller (default: the "
                         "ini key poq_seller_scenario, else the bundled 'default')")
    group.addoption("--poq-seller-port", metavar="PORT", type=int, default=None,
                    help="port of the poq_seller mock (default: $POQ_SELLER_PORT, else free)")
    group.addoption("--poq-seller-host", metavar="HOST", default=None,
                    help="interface of the poq_seller mock (default: $POQ_SELLER_HOST, else "
                         "127.0.0.1)")
    parser.addini("poq_seller_scenario", "scenario of the poq_seller fixture's mock seller",
                  default="default")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(scenario=None, *, defects=None, variants=None, faults=None, "
        "buyer_mode=None, response_mode=None, clock=None): settings of the poq_seller mock "
        "seller for this test (as poq_seller.use)")


@pytest.fixture(scope="session")
def poq_seller_listen_address(pytestconfig: pytest.Config) -> tuple[str, int]:
    """(host, port) of the session's mock seller; override the fixture to choose."""
    host = pytestconfig.getoption("--poq-seller-host") or os.environ.get("POQ_SELLER_HOST")
    port = pytestconfig.getoption("--poq-seller-port")
    if port is None:
        port = int(os.environ.get("POQ_SELLER_PORT") or 0)
    return host or "127.0.0.1", port


@pytest.fixture(scope="session")
def poq_seller_session(pytestconfig: pytest.Config,
                       poq_seller_listen_address: tuple[str, int]) -> Iterator[Any]:
    """The session's mock seller, started on first use (not reset: use ``poq_seller``)."""
    from mock_seller.core.scenario import ScenarioError
    from mock_seller.testing.seller import PoqSeller

    scenario = (pytestconfig.getoption("--poq-seller-scenario")
                or pytestconfig.getini("poq_seller_scenario") or "default")
    host, port = poq_seller_listen_address
    try:
        seller = PoqSeller(scenario, host=host, port=port).start()
    except ScenarioError as exc:
        raise pytest.UsageError(f"poq_seller: {exc}") from None
    except OSError as exc:
        raise pytest.UsageError(f"poq_seller: cannot listen on {host}:{port}: "
                                f"{exc.strerror or exc}") from None
    try:
        yield seller
    finally:
        seller.stop()


@pytest.fixture
def poq_seller(poq_seller_session: Any, request: pytest.FixtureRequest) -> Any:
    """The mock seller, reset for this test and set up by its ``poq_scenario`` marker."""
    poq_seller_session.reset()
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if len(marker.args) > 1:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes one scenario, "
                                    f"got {marker.args!r}")
        poq_seller_session.use(*marker.args, **marker.kwargs)
    return poq_seller_session
