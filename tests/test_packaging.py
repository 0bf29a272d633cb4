"""The installed product carries exactly its code and data: a wheel built from this tree
holds every shipped file and nothing else (no generated report, no stray module)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "mock_seller", "schemas", "reports", "suites")
SHIPPED_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".html", ".css", ".js", ".xsd", ".typed"}
# what a build leaves behind that is not part of the source tree
_BUILD_LITTER = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                       "__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache",
                                       ".ruff_cache", "node_modules")


def _tracked_package_files() -> set[str]:
    out = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return {f for f in out.stdout.splitlines() if Path(f).suffix in SHIPPED_SUFFIXES}


def unexpected_and_missing(names: set[str], tracked: set[str]) -> tuple[list[str], list[str]]:
    """Files of the wheel no tracked file explains, and tracked files it lacks."""
    payload = {n for n in names if ".dist-info/" not in n}
    return sorted(payload - tracked), sorted(tracked - payload)


def test_the_comparison_names_strays_and_gaps() -> None:
    names = {"reports/html.py", "reports/results.json", "x-1.0.dist-info/RECORD"}
    assert unexpected_and_missing(names, {"reports/html.py", "schemas/dialect.py"}) == (
        ["reports/results.json"], ["schemas/dialect.py"])
