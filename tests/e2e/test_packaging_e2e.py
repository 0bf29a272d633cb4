"""The slow half of tests/test_packaging.py: build the wheel and look inside."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_packaging import _BUILD_LITTER, ROOT, _tracked_package_files, unexpected_and_missing


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
