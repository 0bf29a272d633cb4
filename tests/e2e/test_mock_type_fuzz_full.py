"""The exhaustive type fuzz of the mock seller (tests/type_fuzz.py): five create bodies
(2a immediate and deferred with a place, 2b, 2c, item relationships) on the Sonata and the
Cantata paths, the hub and list, every buyer mode and both dialects. About 30,000 requests
in process; the fast tier (tests/test_mock_type_fuzz.py) sends one create body."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers
from type_fuzz import APIS, MODES, sweep  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_no_5xx_whatever_the_types_exhaustive(mode: str, api: str) -> None:
    outcome = sweep(mode, api, exhaustive=True)
    assert outcome.sent > 6000
    assert outcome.server_errors == []
    assert outcome.unnamed == []
