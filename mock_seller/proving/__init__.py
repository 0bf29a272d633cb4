"""Seeded violations of the mock seller: named switches that each break one seller-side
requirement the way real implementations do, to measure what the harness catches.

The list lives in ``defects.yaml`` (name, description, breaks, side_effects, use_cases);
the behaviour in small functions registered by name (``responses.py`` for answers,
``notifications.py`` for the notification hub). ``kit.ProvingKit`` installs them into an app
through the hooks the core declares (``create_app(cfg, extensions=...)``).
docs/defects.md explains every defect; docs/detection-matrix.md shows what the harness caught.
"""

from __future__ import annotations

from mock_seller.proving.registry import (
    Defect,
    DefectError,
    SideEffect,
    defect_names,
    get_defect,
    load_defects,
)

__all__ = ["Defect", "DefectError", "SideEffect", "defect_names", "get_defect", "load_defects"]
