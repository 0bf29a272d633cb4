"""The proving kit as an extension of the mock seller (``create_app(cfg, extensions=...)``):
it owns the scenario keys ``defects`` and ``variants`` (names checked, variant overrides
applied) and installs its hooks and its ``/_mock/defects`` routes. Without it the mock is the
plain seller; with it (the default) a scenario or ``PUT /_mock/defects`` can switch seeded
defects and legal variants on."""

from __future__ import annotations

from typing import Any

from flask import Flask

from mock_seller.proving import control_routes, runtime
from mock_seller.proving.variants import check_names


class ProvingKit:
    """Seeded defects and legal variants (docs/defects.md)."""

    def prepare_scenario(self, data: dict[str, Any], label: str) -> dict[str, Any]:
        """Check the defect and variant names of a scenario document and apply the variants'
        scenario overrides (ScenarioError naming the key)."""
        if data.get("defects") or data.get("variants"):
            return check_names(data, label)
        return data

    def install(self, app: Flask, engine: Any) -> None:
        runtime.install(app, engine)
        control_routes.install(app)


__all__ = ["ProvingKit"]
