"""The slow half of tests/test_schemas_openapi.py: generated bodies against our validator."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from test_schemas_openapi import document

from schemas.validation import validate


@pytest.mark.slow
@pytest.mark.parametrize(
    ("api", "kind", "path", "type_name"),
    [
        ("v8", "openapi", "/productOfferingQualification", "ProductOfferingQualification_Create"),
        ("v7", "openapi", "/productOfferingQualification", "ProductOfferingQualification_Create"),
        ("v8", "notification", "/listener/poqItemStateChangeEvent", "PoqItemStateChangeEvent"),
        ("v7", "notification", "/listener/poqCreateEvent", "PoqCreateEvent"),
    ],
)
def test_generated_bodies_pass_our_validator(
    api: str, kind: str, path: str, type_name: str
) -> None:
    operation = schemathesis.openapi.from_dict(document(api, kind))[path]["POST"]
    seen: list[object] = []

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def check(case: Any) -> None:
        seen.append(case.body)
        assert validate(api, type_name, case.body) == []

    check()
    assert seen
