"""Everything under tests/e2e/ is the slow tier: marked ``slow`` here, so that plain
``pytest`` (``-m "not slow"`` in pyproject) leaves it out and ``pytest -m slow`` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.slow)
