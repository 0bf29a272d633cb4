"""Records <-> JSON for durable stores: our dataclasses, datetimes, bytes and containers,
tolerant of fields added later (missing ones take their defaults)."""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
from datetime import datetime
from typing import Any

from mock_seller.storage.protocol import StoreError

_CODEC_MODULES = ("mock_seller.", "schemas.")
# modules moved into rooms since a file may have been written: its class names still load
_MOVED = {f"mock_seller.{name}": f"mock_seller.{room}.{name}" for room, names in (
    ("core", "engine model notifier rules scenario scheduler serializers timeutil"),
    ("sandbox", "auth callbacks control faults tenancy"), ("api", "errors limits validation"),
) for name in names.split()} | {"mock_seller.store": "mock_seller.storage.protocol",
                                 "mock_seller.outbox": "mock_seller.storage.protocol"}


def encode(value: Any) -> Any:
    """A JSON-able form of records made of our dataclasses, datetimes, bytes and containers."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$fs": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {"$d": {str(k): encode(v) for k, v in value.items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {"$c": f"{cls.__module__}:{cls.__qualname__}",
                "f": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    """json.loads object hook (the tree is rebuilt bottom-up in C, much faster than walking it
    again in Python); a tag is a one-key object, a dataclass ``{"$c", "f"}``."""
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "$dt":
            return datetime.fromisoformat(value)
        if key == "$b":
            return base64.b64decode(value)
        if key == "$t":
            return tuple(value)
        if key == "$fs":
            return frozenset(value)
        if key == "$d":
            return value
    elif len(obj) == 2 and "$c" in obj and "f" in obj:
        return _construct(obj["$c"], obj["f"])
    return obj


_CLASSES: dict[str, tuple[Any, frozenset[str]]] = {}


def _construct(name: str, fields: dict[str, Any]) -> Any:
    found = _CLASSES.get(name)
    if found is None:
        module, _, qualname = name.partition(":")
        module = _MOVED.get(module, module)
        if not module.startswith(_CODEC_MODULES):
            raise StoreError(f"refusing to load class {name!r} from the store")
        cls = getattr(importlib.import_module(module), qualname)
        found = cls, frozenset(f.name for f in dataclasses.fields(cls) if f.init)
        _CLASSES[name] = found
    cls, known = found
    return cls(**{k: v for k, v in fields.items() if k in known})


def decode(value: Any) -> Any:
    """The inverse of ``encode`` (fields added since are left at their defaults)."""
    return json.loads(json.dumps(value), object_hook=_hook)


def dumps(value: Any) -> str:
    return json.dumps(encode(value), separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_hook)


__all__ = ["decode", "dumps", "encode", "loads"]
