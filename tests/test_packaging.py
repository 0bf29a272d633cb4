"""The installed product must carry its data: a wheel holds every shipped data file."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "mock_seller", "schemas", "reports", "suites")
DATA_SUFFIXES = {".yaml", ".yml", ".json", ".html", ".css", ".js", ".xsd"}


def _tracked_data_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in out.stdout.splitlines() if Path(f).suffix in DATA_SUFFIXES]


@pytest.mark.slow
def test_wheel_contains_every_shipped_data_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("poq_conformance-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = _tracked_data_files()
    assert "schemas/dialect.py" in names
    missing = [f for f in data if f not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert not any(n.startswith("tests/") for n in names), "unit tests must not ship"
