"""No import circle among our modules: a circle makes the order of imports matter, invites
function-local imports to dodge it, and keeps modules from being understood one at a time.

The graph is static (``ast``), with every import a module makes, at its top or inside a
function: an import moved into a function still ties the two modules together. Only imports
under ``if TYPE_CHECKING:`` are left out: they never run."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "mock_seller", "schemas", "reports", "suites")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The modules of ours that ``path`` imports (``from pkg import mod`` names the module)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # a submodule, else a name defined in ``source``
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in modules else source)
    resolved = set()
    for target in found:
        while target and target not in modules:  # pkg.mod.function -> pkg.mod
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    paths = {module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    modules = set(paths)
    return {name: _imports(path, name, modules) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_circle_among_our_modules() -> None:
    found = cycles(import_graph(ROOT, PACKAGES))
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_circle_finder_sees_a_circle_through_a_function_local_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from pkg.b import thing\n", encoding="utf-8")
    (pkg / "b.py").write_text("def thing():\n    from pkg import c\n", encoding="utf-8")
    (pkg / "c.py").write_text("from . import a\n", encoding="utf-8")
    (pkg / "d.py").write_text("import pkg.a\n", encoding="utf-8")
    (pkg / "e.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from pkg import f\n", encoding="utf-8")
    (pkg / "f.py").write_text("import pkg.e\n", encoding="utf-8")
    assert cycles(import_graph(tmp_path, ["pkg"])) == [["pkg.a", "pkg.b", "pkg.c"]]
