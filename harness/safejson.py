"""JSON from a Seller, parsed with a nesting bound.

``json.loads`` recurses once per level: a body nested 100,000 deep raises RecursionError,
and one nested 900 deep parses but crashes whatever walks it next (secret scrubbing,
schema validation). Real POQ documents nest about a dozen levels, so anything deeper than
:data:`MAX_DEPTH` is refused before parsing, as a finding about the body.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class TooDeep(ValueError):
    """The JSON text nests deeper than allowed; it was not parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels; not parsed")
        self.limit = limit


def nesting_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when arrays/objects in ``text`` nest deeper than ``limit`` (strings ignored)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for ch in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises :class:`TooDeep` (a ValueError) instead of recursing
    without bound; other invalid JSON raises ValueError as usual."""
    if nesting_exceeds(text, max_depth):
        raise TooDeep(max_depth)
    return json.loads(text)


__all__ = ["MAX_DEPTH", "TooDeep", "loads", "nesting_exceeds"]
