"""docs/coverage.md is generated from the suites' markers and stays up to date."""

from __future__ import annotations

from pathlib import Path

from schemas.catalogue import load_catalogue
from suites.coverage import render, suite_tests

ROOT = Path(__file__).resolve().parents[1]


def test_coverage_document_is_up_to_date() -> None:
    current = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert current == render(), "regenerate: python -m suites.coverage > docs/coverage.md"


def test_every_seller_requirement_has_a_test_and_markers_are_known() -> None:
    catalogue = load_catalogue()
    known = {r.id for r in catalogue}
    marked = {req for t in suite_tests() for req in t.requirements}
    assert marked <= known, sorted(marked - known)
    seller_side = {r.id for r in catalogue if r.verification == "seller"}
    assert seller_side <= marked, sorted(seller_side - marked)


def test_every_suite_test_is_tagged() -> None:
    for test in suite_tests():
        if test.module.endswith("test_smoke.py"):
            continue
        assert test.use_cases, f"{test.ref} has no uc marker"
        assert test.requirements, f"{test.ref} has no requirements marker"
