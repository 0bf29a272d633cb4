"""Test tiers: a run over tests/ without ``-m`` is the fast tier (``-m "not slow"``); the slow
tier, tests/e2e/, runs with ``-m slow`` (see README). Kept here rather than in pyproject's
addopts, which would also reach the suites when they run from this checkout."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.option.markexpr:
        config.option.markexpr = "not slow"
