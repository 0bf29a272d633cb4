"""The installed product carries exactly its code and data: a wheel built from this tree
holds every shipped file and nothing else (no generated report, no stray module)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
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


@pytest.mark.slow
def test_wheel_ships_exactly_the_tracked_package_files(tmp_path: Path) -> None:
    """Built from a copy of the working tree as it is (untracked files included: a report
    written into a package would ship), minus build litter."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=_BUILD_LITTER)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("poq_conformance-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "schemas/dialect.py" in names
    unexpected, missing = unexpected_and_missing(names, _tracked_package_files())
    assert not missing, f"not in the wheel: {missing}"
    assert not unexpected, f"in the wheel but not tracked package files: {unexpected}"


def test_the_comparison_names_strays_and_gaps() -> None:
    names = {"reports/html.py", "reports/results.json", "x-1.0.dist-info/RECORD"}
    assert unexpected_and_missing(names, {"reports/html.py", "schemas/dialect.py"}) == (
        ["reports/results.json"], ["schemas/dialect.py"])
