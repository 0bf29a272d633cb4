"""Overlay scenarios: a document that says ``extends: default`` (a bundled name or a file
path, relative to the overlay's own file) and gives only what differs.

Merge rules: mappings merge key by key; a list replaces the base's list, unless one of its
entries names an ``id`` the base list already has: then entries with a known ``id`` merge
into theirs and the others are appended. The merged document is validated as a whole;
``Overlay.where`` turns a pointer into the merged document back into the overlay's own key,
so errors name what the author wrote.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXTENDS = "extends"
MAX_CHAIN = 8

Path_ = tuple[Any, ...]
Reader = Callable[[str | Path], tuple[dict[str, Any], str]]  # source -> (mapping, label)


@dataclass
class Overlay:
    """The merged document and where its values came from."""

    data: dict[str, Any]
    label: str  # the overlay's label (file path, or <dict>)
    base: str  # label of the document it extends
    origins: dict[Path_, Path_] = field(default_factory=dict)  # merged path -> overlay path

    def where(self, path: Path_) -> str:
        """The overlay's key for a merged path, or the base's key when the overlay did not
        write it (then saying so)."""
        for cut in range(len(path), -1, -1):
            start = self.origins.get(tuple(path[:cut]))
            if start is not None:
                return pointer((*start, *path[cut:]))
        return f"{pointer(path) if path else '(top level)'} (inherited from {self.base})"


def pointer(path: Path_) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _ids(entries: list[Any]) -> dict[Any, int]:
    return {e["id"]: i for i, e in enumerate(entries) if isinstance(e, dict) and "id" in e}


def _merge(base: dict[str, Any], over: dict[str, Any], path: Path_, opath: Path_,
           origins: dict[Path_, Path_]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        here, there = (*path, key), (*opath, key)
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            out[key] = _merge(old, value, here, there, origins)
        elif isinstance(value, list) and isinstance(old, list) and (
                _ids(old).keys() & _ids(value).keys()):
            out[key] = _merge_list(old, value, here, there, origins)
        else:
            out[key] = copy.deepcopy(value)
            origins[here] = there
    return out


def _merge_list(base: list[Any], over: list[Any], path: Path_, opath: Path_,
                origins: dict[Path_, Path_]) -> list[Any]:
    out = list(base)
    known = _ids(base)
    for j, entry in enumerate(over):
        i = known.get(entry.get("id")) if isinstance(entry, dict) else None
        if i is not None:
            out[i] = _merge(out[i], entry, (*path, i), (*opath, j), origins)
        else:
            out.append(copy.deepcopy(entry))
            origins[path + (len(out) - 1,)] = opath + (j,)
    return out


def _locate(target: str, label: str) -> str | Path:
    """A relative path is looked up next to the file that names it first, then as given
    (a bundled scenario or a mapping has no directory of its own)."""
    if label != "<dict>" and not label.endswith("(bundled)") and not Path(target).is_absolute():
        near = Path(label).parent / target
        if near.exists():
            return near
    return target


def expand(data: dict[str, Any], label: str, read: Reader,
           error: Callable[[str], Exception]) -> Overlay | None:
    """The merged document of an overlay (None when ``data`` extends nothing)."""
    if EXTENDS not in data:
        return None
    return _resolve(data, label, read, error, [label])


def _resolve(data: dict[str, Any], label: str, read: Reader,
             error: Callable[[str], Exception], chain: list[str]) -> Overlay:
    target = data[EXTENDS]
    if not isinstance(target, str) or not target.strip():
        raise error(f"scenario {label}: key /{EXTENDS}: must be a bundled scenario name or "
                    f"a file path, not {target!r}")
    try:
        base, base_label = read(_locate(target, label))
    except ValueError as exc:  # ScenarioError: no such file or bundled name, bad YAML
        raise error(f"scenario {label}: key /{EXTENDS}: {exc}") from None
    if base_label in chain or len(chain) > MAX_CHAIN:
        raise error(f"scenario {label}: key /{EXTENDS}: {target!r} extends itself "
                    f"({' -> '.join([*chain, base_label])})")
    if EXTENDS in base:
        base = _resolve(base, base_label, read, error, [*chain, base_label]).data
    over = {k: v for k, v in data.items() if k != EXTENDS}
    if "name" not in over:
        base = {k: v for k, v in base.items() if k != "name"}  # named after the overlay
    origins: dict[Path_, Path_] = {}
    merged = _merge(base, over, (), (), origins)
    return Overlay(merged, label, base_label, origins)


__all__ = ["EXTENDS", "Overlay", "expand", "pointer"]
