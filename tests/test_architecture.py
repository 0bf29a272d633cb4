"""The import rules of ARCHITECTURE.md: seller and buyer meet over HTTP, never through imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"harness", "mock_seller", "schemas", "reports", "suites"}

# package -> packages of ours it may import
ALLOWED = {
    "schemas": set(),
    "reports": {"schemas"},
    "mock_seller": {"schemas", "reports"},
    "harness": {"schemas", "reports"},
    "suites": {"harness", "schemas"},
}
# the CLI is the composition root: it may start the mock seller in-process
CLI_EXTRA = {"mock_seller"}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def _modules() -> list[tuple[str, Path]]:
    return [
        (package, path)
        for package in sorted(ALLOWED)
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


@pytest.mark.parametrize(
    ("package", "path"), _modules(), ids=[str(p.relative_to(ROOT)) for _, p in _modules()]
)
def test_imports_follow_architecture(package: str, path: Path) -> None:
    allowed = ALLOWED[package] | {package}
    if package == "harness" and path.name.startswith("cli"):
        allowed |= CLI_EXTRA
    forbidden = _imported_packages(path) - allowed
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_rule_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import mock_seller.app\nfrom harness import verdicts\n", encoding="utf-8")
    assert _imported_packages(bad) == {"mock_seller", "harness"}


ROOMS = ("api", "core", "storage", "sandbox", "buyer")
SHELL = {"mock_seller.app", "mock_seller.cli", "mock_seller.server", "mock_seller.__main__"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_the_mock_sellers_rooms_know_neither_the_shell_nor_the_proving_kit(room: str) -> None:
    """The core declares hooks; the proving kit plugs into them from the shell (app.py)."""
    for path in sorted((ROOT / "mock_seller" / room).rglob("*.py")):
        bad = {m for m in _imported_modules(path)
               if m in SHELL or m == "mock_seller.proving" or m.startswith("mock_seller.proving.")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
