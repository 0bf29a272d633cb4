"""The type fuzzer (tests/type_fuzz.py) in every buyer mode and both dialects: no request,
whatever JSON type sits in whatever member, gets a 5xx; every refusal of a create or hub
request is a MEF Error naming the JSON Pointer; a refused create stores nothing, and what was
stored answers retrieve and list once final. The fast tier sends one create body per
dialect; tests/e2e/test_mock_type_fuzz_full.py sends five, on Sonata and Cantata paths."""

from __future__ import annotations

import pytest
from type_fuzz import APIS, MODES, sweep


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_no_5xx_whatever_the_types(mode: str, api: str) -> None:
    outcome = sweep(mode, api)
    assert outcome.sent > 600
    assert outcome.server_errors == []
    assert outcome.unnamed == []
