"""Validate JSON documents against our own OpenAPI schemas of the v8 and v7 dialects.

Both the mock seller (every request) and the harness (every response and event) call
:func:`validate`, so it is cached, fast and never raises on odd input: whatever JSON value
comes in, the answer is a list of :class:`Violation` with RFC 6901 pointers, all of them,
not only the first. ``oneOf`` failures are narrowed to the branch named by ``@type`` so
the pointers land inside the object the sender meant to send.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from schemas import fast_yaml
from schemas.dialect import APIS

try:  # Rust validator: a fast yes for valid documents; details still come from jsonschema
    import jsonschema_rs
except ImportError:  # pragma: no cover - it ships with schemathesis
    jsonschema_rs = None  # type: ignore[assignment]

__all__ = [
    "MAX_DEPTH",
    "MAX_VIOLATIONS",
    "UnknownType",
    "Violation",
    "is_valid",
    "notification_document",
    "openapi_document",
    "type_names",
    "validate",
    "validate_list",
]

#: Deeper JSON than this is reported as one violation instead of being walked.
MAX_DEPTH = 64
#: Validation stops after this many violations (one more says that it stopped).
MAX_VIOLATIONS = 1000
_MAX_MESSAGE = 300
_DOCS = {"openapi": "openapi.yaml", "notification": "notification.yaml"}


@dataclass(frozen=True, slots=True)
class Violation:
    """One schema violation: where (JSON Pointer, "" = root) and what."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '(root)'}: {self.message}"


class UnknownType(KeyError):
    """The type name is not a schema component of the dialect (a caller bug)."""

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return str(self.args[0]) if self.args else "unknown type"


# -- loading ----------------------------------------------------------------------------


def _check_api(api: str) -> str:
    if api not in APIS:
        raise ValueError(f"unknown API dialect {api!r}: expected one of v8, v7")
    return api


@cache
def _load(api: str, kind: str) -> MappingProxyType[str, Any]:
    text = (
        resources.files("schemas").joinpath(api).joinpath(_DOCS[kind]).read_text(encoding="utf-8")
    )
    return MappingProxyType(fast_yaml.load(text))


def _uri(api: str, kind: str) -> str:
    return f"urn:poq-conformance:{api}:{kind}"


def openapi_document(api: str) -> dict[str, Any]:
    """Our OpenAPI 3 document of the Seller API of ``api`` (a fresh deep copy)."""
    return copy.deepcopy(dict(_load(_check_api(api), "openapi")))


def notification_document(api: str) -> dict[str, Any]:
    """Our OpenAPI 3 document of the Buyer's notification listener of ``api`` (a copy)."""
    return copy.deepcopy(dict(_load(_check_api(api), "notification")))


@cache
def _index(api: str) -> dict[str, str]:
    """Type name -> document kind; the management document wins on shared names."""
    found: dict[str, str] = {}
    for kind in ("notification", "openapi"):
        for name in _load(api, kind)["components"]["schemas"]:
            found[name] = kind
    return found


def type_names(api: str) -> list[str]:
    """Every schema component name ``validate`` accepts for ``api``, sorted."""
    return sorted(_index(_check_api(api)))


@cache
def _registry(api: str) -> Registry:
    resources_ = [
        (_uri(api, kind), DRAFT202012.create_resource(dict(_load(api, kind)))) for kind in _DOCS
    ]
    return Registry().with_resources(resources_)


# -- formats ----------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (full-date "T" full-time with a mandatory offset)."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        datetime(year, month, day, hour, minute, min(second, 59))  # 60 = leap second
    except ValueError:
        return False
    offset = match.group(8)
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    return second <= 60


@_FORMATS.checks("date")
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@cache
def _validator(api: str, type_name: str) -> Draft202012Validator:
    kind = _index(api).get(type_name)
    if kind is None:
        raise UnknownType(
            f"{type_name!r} is not a schema of the {api} dialect; see type_names({api!r})"
        )
    schema = {"$ref": f"{_uri(api, kind)}#/components/schemas/{type_name}"}
    return Draft202012Validator(schema, registry=_registry(api), format_checker=_FORMATS)


@cache
def _fast_validator(api: str, type_name: str) -> Any:
    """A jsonschema_rs validator with our format checkers, or None when unavailable."""
    if jsonschema_rs is None:
        return None
    kind = _index(api)[type_name]
    try:
        registry = jsonschema_rs.Registry([(_uri(api, k), dict(_load(api, k))) for k in _DOCS])
        return jsonschema_rs.Draft202012Validator(
            {"$ref": f"{_uri(api, kind)}#/components/schemas/{type_name}"},
            registry=registry,
            validate_formats=True,
            formats={"date-time": _is_date_time, "date": _is_date, "uri": _is_uri},
        )
    except Exception:  # pragma: no cover - an incompatible jsonschema_rs: use jsonschema
        return None


def _fast_is_valid(api: str, type_name: str, instance: object) -> bool:
    """True only when the fast validator is sure the instance is valid."""
    fast = _fast_validator(api, type_name)
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(instance))
    except Exception:  # values it cannot take (huge integers, ...): ask jsonschema
        return False


# -- validation -------------------------------------------------------------------------


def validate(api: str, type_name: str, instance: object,
             max_depth: int | None = None) -> list[Violation]:
    """Every violation of ``instance`` against schema ``type_name`` of dialect ``api``.

    ``instance`` is any decoded JSON value. An empty list means valid. Raises only on
    caller bugs: an unknown ``api`` (ValueError) or ``type_name`` (UnknownType).
    ``max_depth``: the nesting the caller already knows ``instance`` stays under (a request
    body its parser bounded); within ``MAX_DEPTH`` the depth walk, half the cost of
    validating a create, is skipped.
    """
    validator = _validator(_check_api(api), type_name)
    deep = None if max_depth is not None and max_depth <= MAX_DEPTH else _too_deep(instance)
    if deep is not None:
        return [Violation(deep, f"JSON nested deeper than {MAX_DEPTH} levels")]
    if _fast_is_valid(api, type_name, instance):
        return []
    found: dict[Violation, None] = {}
    try:
        for error in validator.iter_errors(instance):
            found.update((v, None) for v in _violations(error, instance))
            if len(found) >= MAX_VIOLATIONS:
                found[
                    Violation("", f"more than {MAX_VIOLATIONS} violations; the rest are not listed")
                ] = None
                break
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        # odd values (e.g. integers too long to print) must not escape as exceptions
        found[Violation("", f"document cannot be validated ({type(exc).__name__})")] = None
    return sorted(found, key=lambda v: (v.pointer, v.message))


def validate_list(api: str, item_type: str, instance: object) -> list[Violation]:
    """Violations of a JSON array whose entries are ``item_type`` (a 422 body, list rows).

    Pointers start at the array: ``/2/code`` is entry 2's code.
    """
    _validator(_check_api(api), item_type)  # unknown names fail even for an empty list
    if not isinstance(instance, list):
        shown = _short(repr(instance), 80)
        return [Violation("", f"{shown} is not of type 'array'")]
    found: list[Violation] = []
    for index, entry in enumerate(instance):
        found.extend(
            Violation(f"/{index}{v.pointer}", v.message) for v in validate(api, item_type, entry)
        )
    return found


def is_valid(api: str, type_name: str, instance: object) -> bool:
    """True when ``instance`` has no violation (cheaper than ``not validate(...)``)."""
    validator = _validator(_check_api(api), type_name)
    if _too_deep(instance) is not None:
        return False
    if _fast_is_valid(api, type_name, instance):
        return True
    try:
        return bool(validator.is_valid(instance))
    except (RecursionError, ValueError, TypeError, OverflowError):
        return False


def _too_deep(instance: object) -> str | None:
    """Pointer of the first node below MAX_DEPTH, or None (iterative: no recursion)."""
    if not isinstance(instance, (dict, list)):
        return None
    level: list[dict[Any, Any] | list[Any]] = [instance]  # the containers at one depth
    for _ in range(MAX_DEPTH):
        below: list[dict[Any, Any] | list[Any]] = []
        for node in level:
            below += [c for c in (node.values() if isinstance(node, dict) else node)
                      if isinstance(c, (dict, list))]
        if not below:
            return None
        level = below
    return _deep_pointer(instance)  # a container at depth MAX_DEPTH


def _deep_pointer(instance: object) -> str:
    """The path to a node below MAX_DEPTH (only called when there is one)."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(instance, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= MAX_DEPTH and isinstance(node, (dict, list)):
            return _pointer(path)
        if isinstance(node, dict):
            stack.extend((child, (*path, key)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(node))
    return ""


def _violations(error: ValidationError, root: object) -> Iterator[Violation]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        branch = _branch(error)
        if branch is not None:
            for sub in branch:
                yield from _violations(sub, root)
            return
        yield from _discriminator_violation(error)
        return
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = _missing_name(error)
        if missing is not None:
            yield Violation(_pointer((*path, missing)), "required property is missing")
            return
    yield Violation(_pointer(path), _short(error.message))


def _branch(error: ValidationError) -> list[ValidationError] | None:
    """Errors of the oneOf branch that ``@type`` names (None when it names none)."""
    instance = error.instance
    if not isinstance(instance, dict) or not isinstance(error.schema, dict):
        return None
    wanted = instance.get("@type")
    mapping = (error.schema.get("discriminator") or {}).get("mapping") or {}
    if not isinstance(wanted, str) or wanted not in mapping:
        return None
    target = mapping[wanted]
    branches = error.validator_value
    index = next(
        (i for i, b in enumerate(branches) if isinstance(b, dict) and b.get("$ref") == target),
        None,
    )
    if index is None:
        return None
    return [
        sub
        for sub in error.context
        if sub.relative_schema_path and sub.relative_schema_path[0] == index
    ]


def _discriminator_violation(error: ValidationError) -> Iterator[Violation]:
    """A oneOf whose @type names no branch: say so at the @type itself."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    mapping = (schema.get("discriminator") or {}).get("mapping") or {}
    if not mapping:
        yield Violation(_pointer(path), _short(error.message))
        return
    names = ", ".join(sorted(mapping))
    instance = error.instance
    if not isinstance(instance, dict):
        shown = _short(repr(instance), 80)
        yield Violation(_pointer(path), f"{shown} is not an object with @type one of: {names}")
    elif "@type" not in instance:
        yield Violation(_pointer((*path, "@type")), f"required property is missing ({names})")
    else:
        shown = _short(repr(instance["@type"]), 80)
        yield Violation(_pointer((*path, "@type")), f"{shown} is not one of: {names}")


def _missing_name(error: ValidationError) -> str | None:
    instance = error.instance
    if isinstance(instance, dict):
        for name in error.validator_value:
            if isinstance(name, str) and name not in instance and repr(name) in error.message:
                return name
    return None


def _pointer(path: Iterable[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _short(message: str, limit: int = _MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
